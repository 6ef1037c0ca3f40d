"""Turn a fake-model `Reply` into Gemini API GenerateContentResponse dicts.

Key order follows the captures: candidates, usageMetadata, modelVersion,
responseId; candidate: content{parts, role}, finishReason, index, finishMessage.
Code Assist wraps these same dicts in ``{"response": ..., "traceId": ...}``.
"""

from __future__ import annotations

import secrets
from typing import Any

from gemgate.testing.fake_model import _PIECE_RE, Chunk, Reply, part_tokens


def new_response_id() -> str:
    return secrets.token_urlsafe(17)[:23]


def stream_chunks(reply: Reply, model_version: str, response_id: str | None = None) -> list[dict[str, Any]]:
    """One dict per streamed chunk; usage on every chunk, cumulative like Google's."""
    response_id = response_id or new_response_id()
    if reply.block_reason:
        return [_blocked(reply, model_version, response_id)]
    out, produced = [], 0
    for chunk in reply.chunks:
        produced += sum(part_tokens(p) for p in chunk.parts if not p.get("thought"))
        logprobs = _logprobs([chunk], reply.logprobs)
        out.append(
            _response(
                reply,
                [_candidate(chunk, i, logprobs) for i in range(reply.candidate_count)],
                produced,
                model_version,
                response_id,
            )
        )
    return out


def single_response(reply: Reply, model_version: str, response_id: str | None = None) -> dict[str, Any]:
    """The non-streamed response: every chunk's parts merged into one candidate."""
    response_id = response_id or new_response_id()
    if reply.block_reason:
        return _blocked(reply, model_version, response_id)
    if not reply.chunks:
        candidates = [{"finishReason": "STOP", "index": i} for i in range(reply.candidate_count)]
        return _response(reply, candidates, 0, model_version, response_id)
    finish = next((c.finish_reason for c in reversed(reply.chunks) if c.finish_reason), None)
    merged = Chunk(_merge_parts([p for c in reply.chunks for p in c.parts]), finish, reply.finish_message,
                   _merge_fields(reply.chunks))
    logprobs = _logprobs(reply.chunks, reply.logprobs)
    candidates = [_candidate(merged, i, logprobs) for i in range(reply.candidate_count)]
    return _response(reply, candidates, reply.usage.candidates_tokens, model_version, response_id)


def partial_response(reply: Reply, model_version: str, upto: int, response_id: str | None = None) -> dict[str, Any]:
    """The first `upto` chunks merged into one response, as if the stream had stopped there: no finish."""
    response_id = response_id or new_response_id()
    chunks = reply.chunks[:upto]
    produced = sum(part_tokens(p) for c in chunks for p in c.parts if not p.get("thought"))
    merged = Chunk(_merge_parts([p for c in chunks for p in c.parts]), fields=_merge_fields(chunks))
    logprobs = _logprobs(chunks, reply.logprobs)
    candidates = [_candidate(merged, i, logprobs) for i in range(reply.candidate_count)]
    return _response(reply, candidates, produced, model_version, response_id)


def usage_metadata(prompt: int, candidates: int, thoughts: int) -> dict[str, Any]:
    usage: dict[str, Any] = {"promptTokenCount": prompt}
    if candidates:
        usage["candidatesTokenCount"] = candidates
    usage["totalTokenCount"] = prompt + candidates + thoughts
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def _blocked(reply: Reply, model_version: str, rid: str) -> dict[str, Any]:
    """A blocked prompt: promptFeedback.blockReason, prompt-only usage, no candidates
    (ai.google.dev/api/generate-content#PromptFeedback: "If set, the prompt was blocked and no candidates
    are returned")."""
    return {"promptFeedback": {"blockReason": reply.block_reason},
            "usageMetadata": usage_metadata(reply.usage.prompt_tokens, 0, 0),
            "modelVersion": model_version, "responseId": rid}


def _merge_fields(chunks: list[Chunk]) -> dict[str, Any]:
    """The candidate fields of a whole answer: the last of each, citation sources of all chunks."""
    fields: dict[str, Any] = {}
    sources: list = []
    for chunk in chunks:
        fields.update(chunk.fields)
        sources += (chunk.fields.get("citationMetadata") or {}).get("citationSources") or []
    if sources:
        fields["citationMetadata"] = {"citationSources": sources}
    return fields


def _response(reply: Reply, candidates: list, produced: int, model_version: str, rid: str) -> dict:
    usage = usage_metadata(reply.usage.prompt_tokens, produced, reply.usage.thoughts_tokens)
    return {"candidates": candidates, "usageMetadata": usage, "modelVersion": model_version, "responseId": rid}


def _token_logprob(token: str, rank: int = 0) -> dict[str, Any]:
    """A deterministic log probability per token; alternatives (rank > 0) are less likely."""
    name = token if rank == 0 else f"{token.strip()}~{rank}"
    value = -round((sum(map(ord, token)) % 97) / 100 + 0.01 + rank * 0.5, 6)
    return {"token": name, "tokenId": sum(map(ord, name)) % 256000, "logProbability": value}


def _logprobs(chunks: list[Chunk], top: int | None) -> dict[str, Any] | None:
    """The LogprobsResult for the answer tokens of `chunks` (ai.google.dev/api/generate-content#LogprobsResult):
    chosenCandidates per token, topCandidates with `top` alternatives per step (the chosen one first, as a
    greedy decode ranks it), logProbabilitySum. None when logprobs were not asked or there is no token."""
    if top is None:
        return None
    tokens = [t for c in chunks for p in c.parts if isinstance(p.get("text"), str) and not p.get("thought")
              for t in _PIECE_RE.findall(p["text"])]
    if not tokens:
        return None
    chosen = [_token_logprob(t) for t in tokens]
    result: dict[str, Any] = {}
    if top:
        result["topCandidates"] = [{"candidates": [_token_logprob(t, r) for r in range(top)]} for t in tokens]
    result["chosenCandidates"] = chosen
    result["logProbabilitySum"] = round(sum(c["logProbability"] for c in chosen), 6)
    return result


def _candidate(chunk: Chunk, index: int, logprobs: dict[str, Any] | None = None) -> dict[str, Any]:
    # A finish without output (e.g. MALFORMED_FUNCTION_CALL) carries no content at all, as captured.
    candidate: dict[str, Any] = (
        {"content": {"parts": [dict(p) for p in chunk.parts], "role": "model"}} if chunk.parts else {}
    )
    if chunk.finish_reason:
        candidate["finishReason"] = chunk.finish_reason
    candidate["index"] = index
    if chunk.finish_message:
        candidate["finishMessage"] = chunk.finish_message
    candidate.update(chunk.fields)
    if logprobs is not None:
        chosen = logprobs["chosenCandidates"]
        candidate["avgLogprobs"] = sum(c["logProbability"] for c in chosen) / len(chosen)
        candidate["logprobsResult"] = logprobs
    return candidate


def _merge_parts(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join adjacent text parts of the same kind, keeping the first signature; drop the empty closing part.

    What generateContent answers for a generation that streams as several parts, per the vercel/ai captures
    of one prompt answered both ways: google-tool-call-gemini3.json is the functionCall part alone (its
    stream, .chunks.txt, closes with a ``{"text": ""}`` part), google-reasoning.json is one text part
    carrying the signature (its stream, google-reasoning-gemini3.chunks.txt, sends the text in two parts
    and the signature on a trailing empty-text part).
    """
    merged: list[dict[str, Any]] = []
    for part in parts:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and isinstance(part.get("text"), str)
            and isinstance(prev.get("text"), str)
            and bool(part.get("thought")) == bool(prev.get("thought"))
        ):
            prev["text"] += part["text"]
            if "thoughtSignature" in part and "thoughtSignature" not in prev:
                prev["thoughtSignature"] = part["thoughtSignature"]
            continue
        if prev is not None and part == {"text": ""}:
            continue  # the empty closing part of a stream carries nothing
        merged.append(dict(part))
    return merged
