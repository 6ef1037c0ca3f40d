"""Fold a stream of Gemini response chunks into one response (non-streaming answers are built this way).

The fold matches what the Gemini API's own generateContent returns for the same generation: consecutive
text parts of one kind (thought or not) are joined, the last finishReason, usageMetadata and
promptFeedback win, modelVersion and responseId come from the first chunk that has them.
"""

from __future__ import annotations

from .parts import parts_of


def _merge_part(parts: list[dict], part: dict) -> None:
    if parts and "text" in part and len(part) <= 3:
        last = parts[-1]
        same_kind = "text" in last and bool(last.get("thought")) == bool(part.get("thought"))
        if same_kind and "thoughtSignature" not in last and set(last) <= {"text", "thought", "thoughtSignature"}:
            last["text"] += part["text"]
            if "thoughtSignature" in part:
                last["thoughtSignature"] = part["thoughtSignature"]
            return
    parts.append(dict(part))


def aggregate(chunks: list[dict]) -> dict:
    """One GenerateContentResponse from its streamed chunks, candidates sorted by index."""
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
                    agg[key] = value
        for key in ("usageMetadata", "promptFeedback"):
            if key in chunk:
                out[key] = chunk[key]
        for key in ("modelVersion", "responseId"):
            if key in chunk and key not in out:
                out[key] = chunk[key]
    out["candidates"].sort(key=lambda c: c["index"])
    return out
