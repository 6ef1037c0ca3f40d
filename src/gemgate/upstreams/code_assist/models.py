"""An account's models from Code Assist's quota RPCs, as Gemini Model resources (ai.google.dev/api/models):
Antigravity's `fetchAvailableModels` (reference/antigravity.md §7.1: a `models` map of id -> {displayName,
maxTokens, maxOutputTokens, supportsThinking, isInternal, quotaInfo…}) and the Gemini CLI's `retrieveUserQuota`
(§7.4: `buckets[{modelId, remainingFraction, resetTime, tokenType}]`). Nothing is hard-coded: ids change monthly.
"""

from __future__ import annotations

GENERATE_METHODS = ["generateContent", "streamGenerateContent", "countTokens"]


def _resource(model_id: str) -> dict:
    return {"name": f"models/{model_id}", "baseModelId": model_id, "supportedGenerationMethods": GENERATE_METHODS}


def from_available_models(answer: dict) -> list[dict]:
    """Model resources from a fetchAvailableModels answer; internal ones (isInternal, the `chat_*` / `tab_*`
    ids gateways hide, §5) are left out. `quotaInfo` is kept as is for the quota display of a later slice."""
    models = answer.get("models")
    out = []
    for model_id, info in (models.items() if isinstance(models, dict) else ()):
        info = info if isinstance(info, dict) else {}
        if info.get("isInternal") or model_id.startswith(("chat_", "tab_")):
            continue
        resource = _resource(model_id)
        if isinstance(info.get("displayName"), str):
            resource["displayName"] = info["displayName"]
        for ours, theirs in (("inputTokenLimit", "maxTokens"), ("outputTokenLimit", "maxOutputTokens")):
            if isinstance(info.get(theirs), int):
                resource[ours] = info[theirs]
        if isinstance(info.get("supportsThinking"), bool):
            resource["thinking"] = info["supportsThinking"]
        if isinstance(info.get("quotaInfo"), dict):
            resource["quotaInfo"] = info["quotaInfo"]
        out.append(resource)
    return out


def from_user_quota(answer: dict) -> list[dict]:
    """Model resources from a retrieveUserQuota answer: one per distinct bucket `modelId`, in order."""
    seen: dict[str, dict] = {}
    for bucket in answer.get("buckets") or ():
        model_id = bucket.get("modelId") if isinstance(bucket, dict) else None
        if isinstance(model_id, str) and model_id and model_id not in seen:
            seen[model_id] = _resource(model_id)
    return list(seen.values())
