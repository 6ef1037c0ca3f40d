"""One walker over a Gemini GenerateContentResponse: candidates, their parts, usage, malformed answers.

Shapes follow ai.google.dev/api/generate-content#generatecontentresponse: `candidates[].content.parts[]`,
`candidates[].finishReason`, `usageMetadata`, `promptFeedback`.
"""

from __future__ import annotations

from collections.abc import Iterator

_NO_PARTS: tuple = ()


def candidates(response: dict) -> list[dict]:
    """The response's candidates (an empty list when the prompt was blocked)."""
    return response.get("candidates") or []


def parts_of(candidate: dict) -> list[dict] | tuple:
    """The parts of one candidate's content (empty when it has none)."""
    content = candidate.get("content")
    return (content.get("parts") or _NO_PARTS) if content else _NO_PARTS


def walk(response: dict) -> Iterator[tuple[dict, dict]]:
    """(candidate, part) for every part of every candidate, in order."""
    for cand in response.get("candidates") or _NO_PARTS:
        for part in parts_of(cand):
            yield cand, part


def is_answer_part(part: dict) -> bool:
    """A part the client can use: a function call, or visible (non-thought) text."""
    return "functionCall" in part or ("text" in part and not part.get("thought"))


def malformed_call(response: dict) -> bool:
    """Every candidate ended in MALFORMED_FUNCTION_CALL with nothing usable.

    Gemini 3.x sometimes answers so (observed; see the fake model's MALFORMED directive); another try
    usually works, so the pipeline treats it as a retryable upstream failure.
    """
    cands = response.get("candidates") or ()
    return bool(cands) and all(
        c.get("finishReason") == "MALFORMED_FUNCTION_CALL" and not any(is_answer_part(p) for p in parts_of(c))
        for c in cands
    )


def finished(response: dict) -> bool:
    """Whether some candidate carries a finishReason, or the prompt was blocked (promptFeedback.blockReason)."""
    if (response.get("promptFeedback") or {}).get("blockReason"):
        return True
    return any(c.get("finishReason") for c in response.get("candidates") or ())


def usage_tokens(usage: dict | None) -> tuple[int, int, int, int]:
    """(input, output, thought, cached) tokens from a Gemini `usageMetadata`; zeros when absent."""
    if not usage:
        return 0, 0, 0, 0
    return (
        int(usage.get("promptTokenCount") or 0),
        int(usage.get("candidatesTokenCount") or 0),
        int(usage.get("thoughtsTokenCount") or 0),
        int(usage.get("cachedContentTokenCount") or 0),
    )


def without_thoughts(chunk: dict) -> dict | None:
    """`chunk` without its thought parts; None when no candidate keeps a part or a finishReason (a chunk of
    thoughts only: its usage comes again in later chunks)."""
    candidates = []
    for cand in chunk.get("candidates") or ():
        parts = [p for p in parts_of(cand) if not p.get("thought")]
        if parts or cand.get("finishReason"):
            rest = {k: v for k, v in cand.items() if k != "content"}
            if parts:
                rest["content"] = {**cand["content"], "parts": parts}
            candidates.append(rest)
    if not candidates and not (chunk.get("promptFeedback") or {}).get("blockReason"):
        return None
    return {**chunk, "candidates": candidates} if candidates else chunk
