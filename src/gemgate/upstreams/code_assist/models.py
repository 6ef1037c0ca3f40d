"""An account's models from Code Assist's quota RPCs, as Gemini Model resources (ai.google.dev/api/models):
Antigravity's `fetchAvailableModels` (reference/antigravity.md §7.1: a `models` map of id -> {displayName,
maxTokens, maxOutputTokens, supportsThinking, isInternal, quotaInfo…}) and the Gemini CLI's `retrieveUserQuota`
(§7.4: `buckets[{modelId, remainingFraction, resetTime, tokenType}]`). Nothing is hard-coded: ids change monthly.
"""

from __future__ import annotations

import time
from datetime import datetime

from ...store import QuotaReading, QuotaSnapshot

GENERATE_METHODS = ["generateContent", "streamGenerateContent", "countTokens"]


def _resource(model_id: str) -> dict:
    return {"name": f"models/{model_id}", "baseModelId": model_id, "supportedGenerationMethods": GENERATE_METHODS}


def from_available_models(answer: dict) -> list[dict]:
    """Model resources from a fetchAvailableModels answer; internal ones (isInternal, the `chat_*` / `tab_*`
    ids gateways hide, §5) are left out. `quotaInfo` is not copied: it is one account's, and the resources are
    what clients list (`quota_from_available_models` reads it)."""
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


def _epoch(stamp: object) -> float | None:
    """Epoch seconds of an RFC 3339 `resetTime`; None when absent or unreadable."""
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _fraction(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return min(1.0, max(0.0, float(value)))


def quota_from_available_models(answer: dict, now: float | None = None) -> QuotaSnapshot:
    """The quota per model of a fetchAvailableModels answer: `models[id].quotaInfo{remainingFraction,
    resetTime}` (§7.1). A missing fraction together with a resetTime means exhausted (antigravity-claude-proxy
    getModelQuotas, §7.1); neither means not reported (third-party models of free accounts, §7.1)."""
    readings: dict[str, QuotaReading] = {}
    models = answer.get("models")
    for model_id, info in (models.items() if isinstance(models, dict) else ()):
        quota = info.get("quotaInfo") if isinstance(info, dict) else None
        if not isinstance(quota, dict) or (info.get("isInternal") or model_id.startswith(("chat_", "tab_"))):
            continue
        reset, fraction = _epoch(quota.get("resetTime")), _fraction(quota.get("remainingFraction"))
        if fraction is None and reset is not None:
            fraction = 0.0
        readings[model_id] = QuotaReading(fraction, reset)
    return QuotaSnapshot(time.time() if now is None else now, readings)


def quota_from_user_quota(answer: dict, now: float | None = None) -> QuotaSnapshot:
    """The quota per model of a retrieveUserQuota answer (§7.4): a model with several buckets (token types)
    has as much left as its emptiest one."""
    readings: dict[str, QuotaReading] = {}
    for bucket in answer.get("buckets") or ():
        model_id = bucket.get("modelId") if isinstance(bucket, dict) else None
        if not isinstance(model_id, str) or not model_id:
            continue
        reading = QuotaReading(_fraction(bucket.get("remainingFraction")), _epoch(bucket.get("resetTime")))
        if reading.fraction is None and reading.reset is None:
            continue
        seen = readings.get(model_id)
        left = 2.0 if seen is None or seen.fraction is None else seen.fraction  # 2.0: more than any fraction
        if seen is None or (reading.fraction is not None and reading.fraction < left):
            readings[model_id] = reading
    return QuotaSnapshot(time.time() if now is None else now, readings)
