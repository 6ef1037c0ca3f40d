"""The gateway's stop-sequence matcher (gemini.stops): cuts at the first sequence completed, across chunk
boundaries, holding back only what could start a match; any chunking of a text cuts it as the whole text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gemgate.gemini.stops import MATCHED, StopCut, StopMatcher, stop_cut


def run(stops: tuple[str, ...], pieces: list[str]) -> tuple[str, str | None, list[str]]:
    """(released text, matched sequence, what each feed released) over `pieces` fed in order, then released."""
    m = StopMatcher(stops)
    out: list[str] = []
    matched = None
    for piece in pieces:
        text, matched = m.feed(piece)
        out.append(text)
        if matched is not None:
            break
    if matched is None:
        out.append(m.release())
    return "".join(out), matched, out


def test_a_sequence_split_across_chunks_is_found_and_only_its_start_is_held():
    text, matched, steps = run(("STOP",), ["one two ST", "OP three"])
    assert (text, matched) == ("one two ", "STOP")
    assert steps[0] == "one two "  # "ST" held: it could start STOP


def test_held_text_that_does_not_complete_a_match_comes_out_with_the_next_chunk():
    text, matched, steps = run(("STOP",), ["a S", "Tx b"])
    assert (text, matched) == ("a STx b", None)
    assert steps[:2] == ["a ", "STx b"]


def test_a_sequence_longer_than_a_chunk():
    text, matched, steps = run(("<|end of answer|>",), ["ok <|e", "nd", " of", " ans", "wer|> more"])
    assert (text, matched) == ("ok ", "<|end of answer|>")
    assert steps[1:4] == ["", "", ""]


def test_the_first_sequence_completed_wins_and_of_two_ending_together_the_longer():
    assert run(("abcd", "bc"), ["xab", "cd"])[:2] == ("xa", "bc")  # bc is complete before abcd
    assert run(("world", "d"), ["hello world"])[:2] == ("hello ", "world")
    assert run(("b", "ab"), ["aab"])[:2] == ("a", "ab")


def test_overlapping_sequences_and_repeated_prefixes():
    assert run(("aab",), ["a", "a", "a", "b"])[:2] == ("a", "aab")
    assert run(("abab",), ["ab", "a", "c"])[:2] == ("abac", None)


def test_no_match_gives_the_text_unchanged():
    assert run(("zz", "yy"), ["one ", "two z", "ero"])[:2] == ("one two zero", None)


def test_a_match_in_the_first_chunk():
    assert run(("two",), ["one two three", "four"])[:2] == ("one ", "two")


def test_unicode_sequences_and_text():
    assert run(("終わり",), ["日本語の文。終", "わり。続き"])[:2] == ("日本語の文。", "終わり")
    assert run(("👍🏽",), ["ok 👍", "🏽 then"])[:2] == ("ok ", "👍🏽")
    assert run(("é",), ["cafe\u0301"])[:2] == ("cafe\u0301", None)  # exact code points, no normalisation


def test_empty_sequences_are_ignored():
    assert run(("",), ["abc"])[:2] == ("abc", None)


PIECE = st.text(alphabet="ab\u00e9\U0001f600 ", max_size=5)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECE, max_size=8), st.lists(st.text(alphabet="ab\u00e9\U0001f600 ", min_size=1, max_size=4), min_size=1, max_size=5))
def test_any_chunking_of_a_text_gives_what_the_whole_text_gives(pieces, stops):
    whole = "".join(pieces)
    assert run(tuple(stops), pieces)[:2] == run(tuple(stops), [whole])[:2]
    # and the whole text's cut is the first completed sequence
    text, matched, _ = run(tuple(stops), [whole])
    if matched is None:
        assert text == whole and not any(s in whole for s in stops)
    else:
        assert whole.startswith(text + matched)
        end = len(text) + len(matched)
        assert not any(s in whole[: end - 1] for s in stops)


def chunk(*parts: dict, finish: str | None = None, index: int = 0, usage: int | None = None) -> dict:
    cand: dict = {"content": {"parts": list(parts), "role": "model"}, "index": index}
    if finish:
        cand["finishReason"] = finish
    out: dict = {"candidates": [cand]}
    if usage is not None:
        out["usageMetadata"] = {"candidatesTokenCount": usage}
    return out


def test_the_cut_chunk_ends_the_candidate_with_stop_and_says_to_stop_reading():
    cut = StopCut(("END",), report=True)
    first, stop = cut(chunk({"text": "one E"}, usage=1))
    assert not stop and first["candidates"][0]["content"]["parts"] == [{"text": "one "}]
    second, stop = cut(chunk({"text": "ND two"}, {"functionCall": {"name": "f", "args": {}}}, usage=2))
    assert stop
    cand = second["candidates"][0]
    assert cand["finishReason"] == "STOP" and cand[MATCHED] == "END" and cand["content"]["parts"] == []
    assert second["usageMetadata"] == {"candidatesTokenCount": 2}  # the chunk's own usage rides on


def test_thoughts_are_not_matched_and_do_not_break_the_answer_text():
    cut = StopCut(("END",))
    out, stop = cut(chunk({"text": "plan: END", "thought": True}, {"text": "answer E"}))
    assert not stop and out["candidates"][0]["content"]["parts"] == [{"text": "plan: END", "thought": True},
                                                                     {"text": "answer "}]
    out, stop = cut(chunk({"text": "more END", "thought": True}, {"text": "ND"}))
    assert stop and MATCHED not in out["candidates"][0]  # not reporting: no gateway field
    assert out["candidates"][0]["content"]["parts"] == [{"text": "more END", "thought": True}]


def test_a_function_call_releases_held_text_before_it():
    cut = StopCut(("END",))
    call = {"functionCall": {"name": "f", "args": {}}}
    out, stop = cut(chunk({"text": "x EN"}, call, {"text": "D"}))
    assert not stop and out["candidates"][0]["content"]["parts"] == [{"text": "x "}, {"text": "EN"}, call, {"text": "D"}]


def test_held_text_comes_out_with_the_finish_or_at_the_end():
    cut = StopCut(("END",))
    out, _ = cut(chunk({"text": "x E"}))
    out, stop = cut(chunk({"text": "N"}, finish="STOP"))
    assert not stop and out["candidates"][0]["content"]["parts"] == [{"text": "EN"}]
    assert cut.end() is None
    cut = StopCut(("END",))
    cut(chunk({"text": "x E"}))
    assert cut.end() == {"candidates": [{"content": {"parts": [{"text": "E"}], "role": "model"}, "index": 0}]}


def test_reading_stops_only_when_every_candidate_asked_for_matched():
    cut = StopCut(("END",), candidates=2)
    out, stop = cut(chunk({"text": "a END"}, index=0))
    assert not stop
    out, stop = cut({"candidates": [{"content": {"parts": [{"text": "more"}]}, "index": 0},
                                    {"content": {"parts": [{"text": "b END"}]}, "index": 1}]})
    assert stop and [c["index"] for c in out["candidates"]] == [1]  # candidate 0 sends nothing after its match


def test_stop_cut_is_made_only_when_needed():
    asked = {"generationConfig": {"stopSequences": ["END"], "candidateCount": 2}}
    assert stop_cut({}, True, False) is None
    assert stop_cut(asked, False, True) is None  # the kind applies them and nothing is to be reported
    made = stop_cut(asked, False, False)
    assert made is not None and made.candidates == 2 and not made.report
    assert stop_cut(asked, True, True).report
