"""StreamGenerate answers → Gemini chunks (reference/gemini-web-protocol.md §3.5-§3.6, §4.1): the recorded
captures, sparse and positional payloads, text and thought deltas, held-back provisional endings, completion,
images, citations and in-band errors."""

from __future__ import annotations

import json

import pytest

from gemgate.errors import Failure, Scope, UpstreamError
from gemgate.gemini.aggregate import aggregate
from gemgate.upstreams.web.framing import read_frames
from gemgate.upstreams.web.payload import field
from gemgate.upstreams.web.settings import GeminiWebSettings
from gemgate.upstreams.web.snapshots import Snapshots
from tests.support.fixtures import web_capture

SETTINGS = GeminiWebSettings(blocked_cooldown_seconds=77, usage_limit_cooldown_seconds=88)


def run(frames: list) -> tuple[Snapshots, list[dict]]:
    snaps = Snapshots("web", SETTINGS)
    chunks = [c for f in frames for c in snaps.feed(f)]
    return snaps, chunks + snaps.end()


def texts(chunks: list[dict], thought: bool) -> str:
    return "".join(p["text"] for c in chunks for cand in c["candidates"]
                   for p in cand.get("content", {}).get("parts", []) if bool(p.get("thought")) is thought)


def wrb(payload: list) -> list:
    return [["wrb.fr", None, json.dumps(payload)]]


def cand(text: str, done: bool, thoughts: str | None = None, rich: list | None = None) -> list:
    c = [None] * 38
    c[0], c[1], c[8] = "rc_1", [text], [2 if done else 1]
    if thoughts is not None:
        c[37] = [[thoughts]]
    if rich is not None:
        c[12] = rich
    return c


def answer(*cands) -> list:
    return [None, ["c_1", "r_1"], None, None, list(cands)]


def test_basic_capture_text_ids_and_context_token():
    snaps, chunks = run(read_frames(web_capture(
        "Leechael__gemini-web-cli__internal_client_protocol_testdata_stream_generate_basic_response.txt")))
    assert texts(chunks, False) == "Sample assistant response."
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert (snaps.cid, snaps.rid, snaps.rcid) == ("c_000000000000001", "r_000000000000001", "rcid_000000000000001")
    assert snaps.context == "completion_context_000000000000001"  # positional payload[25]


def test_deep_research_capture_sparse_metadata_thoughts_and_completion():
    snaps, chunks = run(read_frames(web_capture(
        "Leechael__gemini-web-cli__internal_client_testdata_stream_research_step1_response.json")))
    assert texts(chunks, True).startswith("***生成研究计划***\n\nTo best answer your request")
    answer_text = texts(chunks, False)
    assert answer_text.startswith("这是我拟定的方案") and "googleusercontent.com" not in answer_text  # placeholder gone
    assert [c["candidates"][0].get("finishReason") for c in chunks].count("STOP") == 1
    assert snaps.context == "AwAAAA_REDACTED"  # only in the sparse form {"26": ...}
    assert (snaps.cid, snaps.rid, snaps.rcid) == ("c_0000000000000000", "r_0000000000000000", "rc_0000000000000000")


def test_pretty_printed_frame_capture_gives_text_and_long_thoughts_but_no_finish():
    part = json.loads(web_capture("HanaokaYuzu__Gemini-API__a.json"))
    snaps = Snapshots("web", SETTINGS)
    chunks = snaps.feed([part])
    assert texts(chunks, False).startswith("The total impulse exerted by the conveyor belt on the block is **0 N·s**.")
    assert texts(chunks, True).startswith("**Defining the Objective**") and len(texts(chunks, True)) > 4000
    assert snaps.rcid == "rc_c7b399c48bb264a3" and snaps.cid == "c_796974d7a2f68f7a"
    with pytest.raises(UpstreamError) as exc:  # completion flag [1] and no context token: cut off
        snaps.end()
    assert exc.value.failure is Failure.TRANSIENT


def test_cumulative_snapshots_become_deltas_and_fold_to_the_whole():
    frames = [wrb(answer(cand("Hel", False, "Thinking"))), wrb(answer(cand("Hello wor", False, "Thinking about it"))),
              wrb(answer(cand("Hello world.", True, "Thinking about it")))]
    _, chunks = run(frames)
    assert [texts([c], False) for c in chunks] == ["Hel", "lo wor", "ld."]
    assert texts(chunks, True) == "Thinking about it"
    whole = aggregate(chunks)
    parts = whole["candidates"][0]["content"]["parts"]
    assert "".join(p["text"] for p in parts if not p.get("thought")) == "Hello world."
    assert whole["candidates"][0]["finishReason"] == "STOP"


def test_provisional_code_fence_and_placeholder_are_held_back():
    frames = [wrb(answer(cand("```py\nx=1\n```", False))), wrb(answer(cand("```py\nx=1\ny=2\n```", False))),
              wrb(answer(cand("```py\nx=1\ny=2\n```\nhttp://googleusercontent.com/image_gen", False))),
              wrb(answer(cand("```py\nx=1\ny=2\n```\nhttp://googleusercontent.com/image_generation_content/0\n", True)))]
    _, chunks = run(frames)
    assert texts(chunks, False) == "```py\nx=1\ny=2\n```\n"
    # the fence closed provisionally is sent only once text follows it; the half-written link never
    assert [texts([c], False) for c in chunks] == ["```py\nx=1", "\ny=2", "\n```\n", ""]


def test_sparse_candidate_list_and_field_reader():
    assert field([None, {"26": "ctx"}], 25) == "ctx"
    assert field([1, 2, {"3": 9}], 2) == 9 and field([1, 2, 3], 1) == 2 and field("x", 0) is None
    _, chunks = run([wrb([None, ["c", "r"], {"5": [cand("sparse", True)]}])])
    assert texts(chunks, False) == "sparse"


def test_images_and_citations_in_the_rich_block():
    generated = [[[None, None, None, [None, None, "a cat", "https://lh3.googleusercontent.com/gg-dl/cat=s1024-rj",
                                      None, None, None, None, None, None, None, "image/png"]], ["img1"]]]
    rich = [None] * 8
    rich[7] = [generated]
    rich.append({"44": [[[" [cite: 1]"], [[None, None, None, [["fav", "https://ex.org/a", "Source A"]]]]]]})
    text = "Cats purr. [cite: 1]"
    _, chunks = run([wrb(answer(cand(text, True, rich=rich)))])
    assert texts(chunks, False) == text + "\n\n![a cat](https://lh3.googleusercontent.com/gg-dl/cat=s1024-rj)"
    grounding = chunks[-1]["candidates"][0]["groundingMetadata"]
    assert grounding["groundingChunks"] == [{"web": {"uri": "https://ex.org/a", "title": "Source A"}}]
    assert grounding["groundingSupports"][0]["segment"]["text"] == "Cats purr."
    assert grounding["groundingSupports"][0]["groundingChunkIndices"] == [0]


@pytest.mark.parametrize("code,failure,scope,retry", [
    (1037, Failure.QUOTA_EXHAUSTED, Scope.MODEL, 88), (1060, Failure.RATE_LIMITED, Scope.ACCOUNT, 77),
    (1095, Failure.RATE_LIMITED, Scope.ACCOUNT, 60), (1052, Failure.NOT_FOUND, Scope.MODEL, None),
    (1050, Failure.BAD_REQUEST, Scope.MODEL, None), (1013, Failure.TRANSIENT, Scope.MODEL, None),
])
def test_in_band_error_codes(code, failure, scope, retry):
    part = ["wrb.fr", None, None, None, None,
            [8, None, [["type.googleapis.com/assistant.boq.bard.application.BardErrorInfo", [code]]]]]
    with pytest.raises(UpstreamError) as exc:
        Snapshots("web", SETTINGS).feed([part])
    assert (exc.value.failure, exc.value.scope, exc.value.retry_after) == (failure, scope, retry)
    assert str(code) in exc.value.message


def test_an_answer_without_candidates_is_a_failure():
    with pytest.raises(UpstreamError):
        run([[["di", 1]], [["e", 2, None, None, 10]]])


def test_canned_failure_text_is_held_back_then_refused_but_a_real_answer_flows():
    canned = "Sorry, something went wrong. Please try your request again."
    snaps = Snapshots("web", SETTINGS)
    assert snaps.feed(wrb(answer(cand(canned[:25], False)))) == []  # might be the canned text: held
    with pytest.raises(UpstreamError) as exc:
        snaps.feed(wrb(answer(cand(canned, True))))
    assert exc.value.failure is Failure.TRANSIENT
    _, chunks = run([wrb(answer(cand("Sorry,", False))), wrb(answer(cand("Sorry, I cannot", False))),
                     wrb(answer(cand("Sorry, I cannot do that.", True)))])
    assert [texts([c], False) for c in chunks] == ["Sorry, I cannot", " do that."]


def test_queueing_parts_and_errors_after_completion_are_not_failures():
    queueing = [["wrb.fr", None, None, None, None, [3]]]
    late = [["wrb.fr", None, None, None, None,
             [13, None, [["type.googleapis.com/assistant.boq.bard.application.BardErrorInfo", [1096]]]]]]
    _, chunks = run([queueing, wrb(answer(cand("done", True))), late])
    assert texts(chunks, False) == "done"
    with pytest.raises(UpstreamError):  # a real error code before the answer completed still fails it
        run([wrb(answer(cand("half", False))), [["wrb.fr", None, None, None, None, [8, None, [[
            "type.googleapis.com/assistant.boq.bard.application.BardErrorInfo", [1037]]]]]]])


# A hostile or broken server (issue 9 hardening): a classified UpstreamError, never an empty answer.

CANNED = "Sorry, something went wrong. Please try your request again."


@pytest.mark.parametrize("frames,said", [
    ([wrb(answer(cand("Here is the", False))), wrb(answer(cand(CANNED, True)))], "canned failure text"),
    ([wrb(answer(cand("", True)))], "no text"),
    ([wrb([None, ["c_1", "r_1"], None, None, [[*cand("x", True)[:1], 5, *cand("x", True)[2:]]]])], "no text"),
    ([[["wrb.fr", None, "[" * 100_000 + "]" * 100_000]]], "unreadable payload"),
], ids=["canned-replacing-sent-text", "empty", "text-of-wrong-type", "payload-nested-too-deep"])
def test_hostile_answers_are_a_classified_failure(frames, said):
    snaps = Snapshots("web", SETTINGS)
    with pytest.raises(UpstreamError, match=said) as caught:
        for frame in frames:
            snaps.feed(frame)
        snaps.end()
    assert caught.value.failure in (Failure.TRANSIENT, Failure.MALFORMED)


def test_a_frame_nested_deeper_than_wrb_parts_look_costs_no_recursion():
    deep: list = []
    for _ in range(10_000):  # deeper than the interpreter's recursion limit
        deep = [deep]
    with pytest.raises(UpstreamError, match="without a candidate"):
        run([deep])


def test_lone_surrogates_in_an_answer_become_replacement_characters():
    # JSON lets "\ud83d" through alone; no UTF-8 writer (every dialect's) takes it: a 500 before
    payload = json.dumps(answer(cand("hi \ud83d there \ud83d\ude00", True)))
    for raw in (payload, payload.replace("\\ud83d there", "\ud83d there")):  # escaped, or a character
        _, chunks = run([[["wrb.fr", None, raw]]])
        assert texts(chunks, False) == "hi \ufffd there \U0001F600"
        json.dumps(chunks, ensure_ascii=False).encode("utf-8")
