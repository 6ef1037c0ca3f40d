"""Gemini grounding and citations -> OpenAI `url_citation` annotations.

OpenAI (platform.openai.com/docs/api-reference/chat/object, `message.annotations`): `{"type": "url_citation",
"url_citation": {"url", "title", "start_index", "end_index"}}`, indices in characters of `message.content`.
Gemini (ai.google.dev/api/generate-content#GroundingMetadata, #CitationMetadata): `groundingSupports[].segment`
{startIndex, endIndex, text} with `groundingChunkIndices` into `groundingChunks[]` ({web|retrievedContext|maps:
{uri, title}}), and `citationSources[]` {startIndex, endIndex, uri, license}; Gemini's indices are UTF-8 byte
offsets into the answer text, and a proto3 zero (startIndex 0) is omitted.
"""

from __future__ import annotations


def _char_span(answer: str, raw: bytes, segment: dict) -> tuple[int, int]:
    """Character (start, end) of a segment given in bytes; found by its `text` when the offsets disagree."""
    start_b, end_b = segment.get("startIndex"), segment.get("endIndex")
    start_b = start_b if isinstance(start_b, int) else 0
    end_b = end_b if isinstance(end_b, int) else 0
    start = len(raw[:start_b].decode(errors="ignore"))
    end = len(raw[:end_b].decode(errors="ignore"))
    text = segment.get("text")
    if isinstance(text, str) and text and answer[start:end] != text:
        found = answer.find(text)
        if found >= 0:
            return found, found + len(text)
    return start, max(start, end)


def _items(value) -> list[dict]:
    """The objects of a JSON list (anything else in it, or a non-list, carries nothing)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _annotation(url: str, title: str, start: int, end: int) -> dict:
    return {"type": "url_citation", "url_citation": {"url": url, "title": title, "start_index": start, "end_index": end}}


def url_citations(grounding: dict | None, citations: list[dict], answer: str, offset: int = 0) -> list[dict]:
    """The annotations of one choice: a url_citation per (grounding support, chunk it cites) in support order,
    then one per citation source with a uri. `answer` is the choice's answer text (thoughts excluded) the byte
    offsets refer to; `offset` the characters of `content` before it (a `<think>` block). Supports or sources
    that name no URL are skipped; indices are clamped to the answer."""
    out: list[dict] = []
    raw = answer.encode()
    if isinstance(grounding, dict):
        chunks = _items(grounding.get("groundingChunks"))
        for support in _items(grounding.get("groundingSupports")):
            if not isinstance(support.get("segment"), dict):
                continue
            start, end = _char_span(answer, raw, support["segment"])
            indices = support.get("groundingChunkIndices")
            for i in indices if isinstance(indices, list) else ():
                if not isinstance(i, int) or not 0 <= i < len(chunks):
                    continue
                source = next((v for v in chunks[i].values() if isinstance(v, dict) and v.get("uri")), None)
                if source is not None:
                    out.append(_annotation(str(source["uri"]), str(source.get("title") or ""), start + offset, end + offset))
    for source in _items(citations):
        if source.get("uri"):
            start, end = _char_span(answer, raw, source)
            out.append(_annotation(str(source["uri"]), str(source.get("title") or ""), start + offset, end + offset))
    return out
