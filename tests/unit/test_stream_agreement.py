"""Streaming and non-streaming agree, for every dialect: over every recorded stream and over generated chunk
sequences, the non-streaming answer (the dialect's Reply.whole of the fold) equals the streamed answer
(the dialect's Reply.stream) folded by that dialect's own client-side rules (tests/support/agreement.py).

Also: the fake's generateContent answer equals the fold of its own stream for generated prompts.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gemgate.dialects.anthropic.request import parse_messages
from gemgate.dialects.base import ParseInput, RenderContext
from gemgate.dialects.gemini_native.reply import GeminiReply
from gemgate.dialects.openai.chat_request import parse_chat
from gemgate.dialects.openai.responses_request import parse_responses
from gemgate.gemini.aggregate import aggregate
from gemgate.gemini.parts import parts_of
from gemgate.gemini.signatures import SignatureStore
from gemgate.gemini.stops import MATCHED, StopCut, StopMatcher
from gemgate.streaming import _cut
from gemgate.testing import ThoughtSigner, plan_reply, single_response, stream_chunks
from tests.support.agreement import (
    assert_anthropic_agree, assert_openai_agree, assert_responses_agree, gemini_view, stream_captures,
)
from tests.support.sse import parse_sse, parse_sse_events

TOOLS = [{"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}}}}
         for n in ("f", "g")]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


async def _aiter(items):
    for item in items:
        yield item


async def openai_both(chunks: list[dict], n: int = 1) -> tuple[dict, list]:
    """(chat.completion of the fold, the decoded stream events) for one request's Reply."""
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}], "tools": TOOLS, "n": n,
            "stream": True, "stream_options": {"include_usage": True}, "logprobs": True, "top_logprobs": 2}
    reply = parse_chat(ParseInput(body, {}, {}, {})).reply
    ctx = RenderContext(SignatureStore(None), thoughts_in_content=False)
    whole = await reply.whole(aggregate(chunks), ctx)
    frames = b"".join([f async for f in reply.stream(chunks[0], _aiter(chunks[1:]), ctx)])
    return whole, parse_sse(frames)


async def gemini_both(chunks: list[dict]) -> tuple[dict, list[dict]]:
    """(the Gemini-native whole answer, the streamed chunks as sent) for one request's Reply."""
    reply = GeminiReply(sse=True)
    ctx = RenderContext(SignatureStore(None), thoughts_in_content=False)
    whole = await reply.whole(aggregate(chunks), ctx)
    frames = b"".join([f async for f in reply.stream(chunks[0], _aiter(chunks[1:]), ctx)])
    return whole, [e for e in parse_sse(frames) if isinstance(e, dict)]


async def anthropic_both(chunks: list[dict]) -> tuple[dict, list]:
    """(the Messages answer of the fold, the (event, data) pairs streamed) for one request's Reply."""
    tools = [{"name": t["function"]["name"], "input_schema": t["function"]["parameters"]} for t in TOOLS]
    body = {"model": "gemini-2.5-flash", "max_tokens": 100, "tools": tools, "messages": [{"role": "user", "content": "x"}]}
    reply = parse_messages(ParseInput(body, {}, {}, {})).reply
    ctx = RenderContext(SignatureStore(None), thoughts_in_content=False)
    whole = await reply.whole(aggregate(chunks), ctx)
    frames = b"".join([f async for f in reply.stream(chunks[0], _aiter(chunks[1:]), ctx)])
    return whole, parse_sse_events(frames)


RESPONSES_TOOLS = [{"type": "function", "name": n, "parameters": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}}}
                   for n in ("f", "g")]


async def responses_both(chunks: list[dict], store: bool = False) -> tuple[dict, list]:
    """(the Responses object of the fold, the decoded stream events) for one request's Reply (thought summaries and
    carried signatures asked for)."""
    body = {"model": "gemini-2.5-flash", "input": "x", "tools": RESPONSES_TOOLS, "stream": True, "store": store,
            "reasoning": {"summary": "auto"}, "include": ["reasoning.encrypted_content"]}
    ctx = RenderContext(SignatureStore(None), thoughts_in_content=False)
    whole = await parse_responses(ParseInput(body, {}, {}, {})).reply.whole(aggregate(chunks), ctx)
    reply = parse_responses(ParseInput(body, {}, {}, {})).reply
    frames = b"".join([f async for f in reply.stream(chunks[0], _aiter(chunks[1:]), ctx)])
    return whole, [e for e in parse_sse(frames) if isinstance(e, dict)]


async def check_both_dialects(chunks: list[dict], n: int = 1) -> None:
    """The property, for OpenAI chat, OpenAI Responses (the first candidate: the API has one), Gemini-native and
    Anthropic Messages."""
    whole, events = await openai_both(chunks, n)
    assert_openai_agree(whole, events)
    r_whole, r_events = await responses_both(chunks)
    assert_responses_agree(r_whole, r_events)
    a_whole, a_events = await anthropic_both(chunks)
    assert_anthropic_agree(a_whole, a_events)
    g_whole, g_events = await gemini_both(chunks)
    assert g_events == chunks  # the native stream passes chunks through
    assert gemini_view([g_whole]) == gemini_view(g_events)


async def test_every_capture(fixtures_dir):
    captures = stream_captures(fixtures_dir)
    assert len(captures) >= 10, sorted(captures)
    for name, chunks in captures.items():
        try:
            await check_both_dialects(chunks)
        except AssertionError as err:
            raise AssertionError(f"{name}: {err}") from err


# Generated chunk sequences.

_sig_counter = iter(range(10**9))
TEXT = st.text(alphabet="ab é\n{}", max_size=6)
FINISH = st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "MALFORMED_FUNCTION_CALL", "OTHER"])


@st.composite
def parts(draw) -> dict:
    kind = draw(st.sampled_from(["thought", "text", "text", "call", "empty"]))
    signed = draw(st.booleans())
    if kind == "thought":
        part = {"text": draw(TEXT), "thought": True}
    elif kind == "text":
        part = {"text": draw(TEXT)}
    elif kind == "call":
        args = draw(st.dictionaries(st.sampled_from(["x", "y"]), st.integers(0, 9), max_size=2))
        part = {"functionCall": {"name": draw(st.sampled_from(["f", "g"])), "args": args}}
    else:
        part, signed = {"text": ""}, draw(st.booleans())
    if signed:
        part["thoughtSignature"] = f"SIG{next(_sig_counter)}"
    return part


@st.composite
def logprobs_results(draw) -> dict:
    tokens = draw(st.lists(st.tuples(st.text(alphabet="ab é", min_size=1, max_size=3), st.floats(-5, 0)), min_size=1, max_size=3))
    return {"topCandidates": [{"candidates": [{"token": t, "logProbability": lp}, {"token": t + "~", "logProbability": lp - 1}]} for t, lp in tokens],
            "chosenCandidates": [{"token": t, "logProbability": lp} for t, lp in tokens]}


@st.composite
def chunk_sequences(draw) -> tuple[list[dict], int]:
    n = draw(st.integers(1, 3))
    with_logprobs = draw(st.booleans())
    per_candidate = []
    for _ in range(n):
        steps = draw(st.lists(st.lists(parts(), max_size=3), min_size=1, max_size=5))
        if draw(st.booleans()):
            steps.append([{"text": ""}])  # Gemini 3's closing part
        per_candidate.append(steps)
    finishes = [draw(FINISH) for _ in range(n)]
    length = max(len(s) for s in per_candidate)
    chunks = []
    for k in range(length):
        cands = []
        for i, steps in enumerate(per_candidate):
            if k >= len(steps):
                continue
            cand: dict = {}
            if steps[k]:
                cand["content"] = {"parts": steps[k], "role": "model"}
            if k == len(steps) - 1:
                cand["finishReason"] = finishes[i]
            cand["index"] = i
            if with_logprobs and any("text" in p and not p.get("thought") for p in steps[k]) and draw(st.booleans()):
                cand["logprobsResult"] = draw(logprobs_results())
            cands.append(cand)
        chunk: dict = {"candidates": cands}
        if k == length - 1 or draw(st.booleans()):
            chunk["usageMetadata"] = {"promptTokenCount": 5, "candidatesTokenCount": k + 1, "thoughtsTokenCount": 2,
                                      "totalTokenCount": k + 8}
        chunk["modelVersion"] = "gemini-2.5-flash"
        chunk["responseId"] = "rid"
        chunks.append(chunk)
    return chunks, n


@given(chunk_sequences())
@SETTINGS
async def test_generated_sequences(seq):
    chunks, n = seq
    await check_both_dialects(chunks, n)


@given(st.sampled_from(["SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"]))
@SETTINGS
async def test_blocked_prompts(reason):
    chunks = [{"promptFeedback": {"blockReason": reason}, "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4},
               "modelVersion": "gemini-2.5-flash", "responseId": "rid"}]
    whole, events = await openai_both(chunks)
    assert_openai_agree(whole, events)
    assert whole["choices"][0]["finish_reason"] == "content_filter"
    g_whole, g_events = await gemini_both(chunks)
    assert gemini_view([g_whole]) == gemini_view(g_events) and "candidates" not in g_whole


# The fake: its generateContent answer is the fold of its stream (what Google does, per the captures).

MODELS = ["gemini-2.0-flash", "gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview"]
GEMINI_TOOLS = [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT", "properties": {"x": {"type": "INTEGER"}}}}]}]


@st.composite
def fake_requests(draw) -> tuple[str, dict]:
    model = draw(st.sampled_from(MODELS))
    words = draw(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "é", "x\ny"]), min_size=1, max_size=12))
    lines = [" ".join(words)]
    lines += draw(st.lists(st.sampled_from(['CALL f {"x": 1}', 'CALL f {"x": 2}', "CITE https://e.x/1", "BLOCK", "MALFORMED"]), max_size=2))
    gen: dict = {}
    if draw(st.booleans()):
        gen["thinkingConfig"] = {"includeThoughts": True}
    if draw(st.booleans()):
        gen["responseLogprobs"], gen["logprobs"] = True, draw(st.integers(0, 3))
    if draw(st.booleans()):
        gen["candidateCount"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        gen["maxOutputTokens"] = draw(st.integers(1, 6))
    req = {"contents": [{"role": "user", "parts": [{"text": "\n".join(lines)}]}], "tools": GEMINI_TOOLS, "generationConfig": gen}
    if draw(st.booleans()):
        req["tools"] = GEMINI_TOOLS + [{"googleSearch": {}}]
    return model, req


@given(fake_requests())
@SETTINGS
async def test_fake_generate_content_is_the_fold_of_its_stream(case):
    model, req = case
    reply = plan_reply(req, model, signer=ThoughtSigner())
    if reply.is_error:
        return
    chunks = stream_chunks(reply, model, "rid")
    whole = single_response(reply, model, "rid")
    folded = aggregate(chunks)
    assert gemini_view([folded]) == gemini_view([whole]) == gemini_view(chunks)
    assert [c.get("content", {}).get("parts") for c in folded.get("candidates", [])] == \
        [c.get("content", {"parts": []}).get("parts") for c in whole.get("candidates", [])]
    for got, want in zip(folded.get("candidates", []), whole.get("candidates", []), strict=True):
        for key in ("groundingMetadata", "citationMetadata"):
            assert got.get(key) == want.get(key)
    if chunks:
        await check_both_dialects(chunks, len(whole.get("candidates") or [None]))


# Stop sequences cut by the gateway (gemini.stops through streaming._cut, as every attempt's chunks go): the
# whole answer is the fold of the cut stream, so both agree, usage included (the last usageMetadata before the
# cut), and the cut text is what matching the candidate's whole answer text gives.

async def _through_cut(chunks: list[dict], stops: tuple[str, ...], n: int, report: bool) -> list[dict]:
    return [c async for c in _cut(_aiter(chunks), StopCut(stops, n, report))]


def _answer_text(chunks: list[dict], index: int = 0) -> str:
    return "".join(p["text"] for c in chunks for cand in c.get("candidates") or () if cand.get("index", 0) == index
                   for p in parts_of(cand) if "text" in p and not p.get("thought"))


@given(chunk_sequences(), st.lists(st.text(alphabet="ab é\n{}", min_size=1, max_size=3), min_size=1, max_size=5))
@SETTINGS
async def test_cut_sequences_agree(seq, stops):
    chunks, n = seq
    stops = tuple(stops)
    cut = await _through_cut(chunks, stops, n, report=False)
    await check_both_dialects(cut, n)
    reported = await _through_cut(chunks, stops, n, report=True)
    a_whole, a_events = await anthropic_both(reported)
    assert_anthropic_agree(a_whole, a_events)
    folded = aggregate(reported)
    assert folded.get("usageMetadata") == next((c["usageMetadata"] for c in reversed(reported) if "usageMetadata" in c), None)
    matched = next((c.get(MATCHED) for c in folded.get("candidates", ()) if c["index"] == 0), None)
    has_calls = any("functionCall" in p for p in parts_of(next(iter(folded.get("candidates", ())), {})))
    if matched is not None and not has_calls:
        assert (a_whole["stop_reason"], a_whole["stop_sequence"]) == ("stop_sequence", matched)
    if all(not p.get("functionCall") for c in chunks for cand in c.get("candidates") or () if cand.get("index", 0) == 0
           for p in parts_of(cand)):
        m = StopMatcher(stops)
        text, hit = m.feed(_answer_text(chunks))
        assert (_answer_text(reported), matched) == (text + (m.release() if hit is None else ""), hit)
