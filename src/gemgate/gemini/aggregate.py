"""Fold a stream of Gemini response chunks into one response (non-streaming answers are built this way).

The fold gives what the Gemini API's own generateContent returns for the same generation, as the captures
in fixtures/gemini-api show (google-reasoning.json / google-reasoning-gemini3.chunks.txt, and
google-tool-call-gemini3.json / .chunks.txt, same prompts, one answered whole and one streamed):

* consecutive text parts of one kind (thought or not) are one part; a signature carried by any of them
  (2.5 signs the first answer part, 3.x a trailing empty-text part) rides on the joined part;
* an empty text part without a signature carries nothing and is not a part of the answer (Gemini 3 closes
  a function-call stream with `{"text": ""}`, generateContent answers the call alone);
* per candidate, the last value of every other field wins (finishReason, safetyRatings, groundingMetadata,
  ...), except `logprobsResult` (token lists concatenated, sums added, ai.google.dev/api/generate-content
  #LogprobsResult), `avgLogprobs` (recomputed over all chosen tokens when
  they came) and `citationMetadata.citationSources` (concatenated);
* the last usageMetadata and promptFeedback win; modelVersion, responseId and createTime come from the
  first chunk that has them.
"""

from __future__ import annotations

from .parts import parts_of

_TEXT_KEYS = frozenset({"text", "thought", "thoughtSignature"})


def _merge_part(parts: list[dict], part: dict) -> None:
    """Append `part` to `parts`, joining it to the last part when both are text of the same kind."""
    if "text" in part and set(part) <= _TEXT_KEYS:
        last = parts[-1] if parts else None
        if (
            last is not None
            and "text" in last
            and set(last) <= _TEXT_KEYS
            and bool(last.get("thought")) == bool(part.get("thought"))
            and not ("thoughtSignature" in last and "thoughtSignature" in part
                     and last["thoughtSignature"] != part["thoughtSignature"])
        ):
            last["text"] += part["text"]
            if "thoughtSignature" in part:
                last["thoughtSignature"] = part["thoughtSignature"]
            return
        if not part["text"] and "thoughtSignature" not in part:
            return  # the closing empty part of a stream: nothing to keep
    parts.append(dict(part))


def merge_logprobs(into: dict | None, more: dict) -> dict:
    """One LogprobsResult from two in stream order: chosenCandidates and topCandidates concatenated,
    logProbabilitySum added (ai.google.dev/api/generate-content#LogprobsResult)."""
    if into is None:
        into = {}
    out = dict(into)
    for key in ("topCandidates", "chosenCandidates"):
        if key in more or key in out:
            out[key] = list(out.get(key) or ()) + list(more.get(key) or ())
    if "logProbabilitySum" in more or "logProbabilitySum" in out:
        out["logProbabilitySum"] = float(out.get("logProbabilitySum") or 0.0) + float(more.get("logProbabilitySum") or 0.0)
    return out


def _merge_citations(into: dict | None, more: dict) -> dict:
    """citationMetadata with the sources of both, in stream order (each chunk cites what it carries)."""
    sources = list((into or {}).get("citationSources") or ()) + list(more.get("citationSources") or ())
    return {**(into or {}), **more, "citationSources": sources}


def merge_field(agg: dict, key: str, value) -> None:
    """One candidate field (any but content and index) from a later chunk into the folded candidate `agg`, by the
    rules in the module docstring."""
    if key == "logprobsResult" and isinstance(value, dict):
        agg[key] = merge_logprobs(agg.get(key), value)
    elif key == "citationMetadata" and isinstance(value, dict):
        agg[key] = _merge_citations(agg.get(key), value)
    else:
        agg[key] = value


def aggregate(chunks: list[dict]) -> dict:
    """One GenerateContentResponse from its streamed chunks, candidates sorted by index (no candidates field
    when none came, as for a blocked prompt)."""
    out: dict = {"candidates": []}
    by_index: dict[int, dict] = {}
    for chunk in chunks:
        for cand in chunk.get("candidates") or ():
            idx = cand.get("index", 0)
            agg = by_index.get(idx)
            if agg is None:
                agg = by_index[idx] = {"content": {"parts": [], "role": "model"}, "index": idx}
                out["candidates"].append(agg)
            for part in parts_of(cand):
                _merge_part(agg["content"]["parts"], part)
            for key, value in cand.items():
                if key not in ("content", "index"):
                    merge_field(agg, key, value)
        for key in ("usageMetadata", "promptFeedback"):
            if key in chunk:
                out[key] = chunk[key]
        for key in ("modelVersion", "responseId", "createTime"):
            if key in chunk and key not in out:
                out[key] = chunk[key]
    for agg in out["candidates"]:
        chosen = (agg.get("logprobsResult") or {}).get("chosenCandidates")
        if chosen:
            agg["avgLogprobs"] = sum(float(c.get("logProbability") or 0.0) for c in chosen) / len(chosen)
    out["candidates"].sort(key=lambda c: c["index"])
    if not out["candidates"]:
        del out["candidates"]  # a blocked prompt: Google's answer has promptFeedback and no candidates field
    return out
