"""Gemini grounding / citations -> OpenAI url_citation annotations (dialects/openai/annotations.py)."""

from __future__ import annotations

from gemgate.dialects.openai.annotations import url_citations

ANSWER = "Zürich won. Café au lait — twice."  # multi-byte characters before the cited spans


def _span(text: str, part: str) -> dict:
    """Gemini's byte offsets of `part` in `text` (startIndex omitted when 0, as proto3 JSON does)."""
    start = len(text[: text.index(part)].encode())
    seg = {"endIndex": start + len(part.encode()), "text": part}
    if start:
        seg["startIndex"] = start
    return seg


def test_grounding_supports_become_url_citations_in_characters():
    grounding = {
        "groundingChunks": [{"web": {"uri": "https://a.example/1", "title": "a.example"}},
                            {"retrievedContext": {"uri": "gs://b/2", "title": "doc"}}],
        "groundingSupports": [{"segment": _span(ANSWER, "Zürich won."), "groundingChunkIndices": [0]},
                              {"segment": _span(ANSWER, "Café au lait — twice."), "groundingChunkIndices": [0, 1]}],
    }
    got = url_citations(grounding, [], ANSWER)
    spans = [(a["url_citation"]["url"], ANSWER[a["url_citation"]["start_index"]:a["url_citation"]["end_index"]]) for a in got]
    assert spans == [("https://a.example/1", "Zürich won."), ("https://a.example/1", "Café au lait — twice."),
                     ("gs://b/2", "Café au lait — twice.")]
    assert got[0] == {"type": "url_citation", "url_citation": {"url": "https://a.example/1", "title": "a.example",
                                                               "start_index": 0, "end_index": 11}}


def test_citation_sources_and_think_block_offset():
    content_prefix = "<think>hm</think>"
    got = url_citations(None, [{**_span(ANSWER, "Café"), "uri": "https://c.example", "license": "mit"}], ANSWER, len(content_prefix))
    content = content_prefix + ANSWER
    c = got[0]["url_citation"]
    assert content[c["start_index"]:c["end_index"]] == "Café" and c["title"] == ""


def test_offsets_that_disagree_with_the_text_are_found_by_text():
    grounding = {"groundingChunks": [{"web": {"uri": "u"}}],
                 "groundingSupports": [{"segment": {"startIndex": 1, "endIndex": 3, "text": "twice"}, "groundingChunkIndices": [0]}]}
    c = url_citations(grounding, [], ANSWER)[0]["url_citation"]
    assert ANSWER[c["start_index"]:c["end_index"]] == "twice"


def test_sources_without_a_url_and_bad_indices_are_skipped():
    grounding = {"groundingChunks": [{"web": {"title": "no uri"}}, "junk"],
                 "groundingSupports": [{"segment": {"endIndex": 3}, "groundingChunkIndices": [0, 1, 7, "x"]}, "junk",
                                       {"groundingChunkIndices": [0]}]}
    assert url_citations(grounding, [{"endIndex": 2}, "junk"], ANSWER) == []
    assert url_citations({"groundingSupports": 5}, 5, ANSWER) == []
