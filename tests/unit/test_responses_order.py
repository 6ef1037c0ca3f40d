"""The order of a Responses answer's items: reasoning items are done before the next item starts (OpenAI's order,
which Codex and the SDK UIs show as it comes), in the stream and the whole response alike, and the signatures
they carry come back onto the right parts when a client sends every item back."""

from __future__ import annotations

from gemgate.dialects.base import ParseInput, RenderContext
from gemgate.dialects.openai.responses_carry import unseal
from gemgate.dialects.openai.responses_request import parse_responses
from gemgate.gemini.aggregate import aggregate
from gemgate.gemini.signatures import SignatureStore
from tests.support.agreement import assert_responses_agree
from tests.support.sse import parse_sse

TOOLS = [{"type": "function", "name": n, "parameters": {"type": "object", "properties": {}}} for n in ("f", "g")]
BODY = {"model": "gemini-2.5-flash", "input": "x", "tools": TOOLS, "stream": True, "store": False,
        "reasoning": {"summary": "auto"}, "include": ["reasoning.encrypted_content"]}


def _chunk(*parts: dict, **more) -> dict:
    return {"candidates": [{"content": {"role": "model", "parts": list(parts)}, "index": 0, **more}]}


# Thoughts signed as two segments, an answer text signed only on its last chunk (as Gemini 3 does), more
# thought, a signed call and an unsigned parallel one.
CHUNKS = [
    _chunk({"text": "plan", "thought": True, "thoughtSignature": "T1"}),
    _chunk({"text": " more", "thought": True, "thoughtSignature": "T2"}),
    _chunk({"text": "hel"}),
    _chunk({"text": "lo", "thoughtSignature": "S"}),
    _chunk({"text": "then", "thought": True}),
    _chunk({"functionCall": {"id": "call_f", "name": "f", "args": {}}, "thoughtSignature": "C"},
           {"functionCall": {"id": "call_g", "name": "g", "args": {}}}, finishReason="STOP"),
]
# What the model turn must be when the items come back: thoughts are not replayed, their signatures are.
REPLAYED = [
    {"text": "", "thoughtSignature": "T1"}, {"text": "", "thoughtSignature": "T2"},
    {"text": "hello", "thoughtSignature": "S"},
    {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "C"}, {"functionCall": {"name": "g", "args": {}}},
]


async def _both(chunks: list[dict], body: dict = BODY) -> tuple[dict, list[dict]]:
    ctx = RenderContext(SignatureStore(None), thoughts_in_content=False)
    whole = await parse_responses(ParseInput(body, {}, {}, {})).reply.whole(aggregate(chunks), ctx)

    async def rest():
        for c in chunks[1:]:
            yield c

    reply = parse_responses(ParseInput(body, {}, {}, {})).reply
    frames = b"".join([f async for f in reply.stream(chunks[0], rest(), ctx)])
    return whole, [e for e in parse_sse(frames) if isinstance(e, dict)]


def _at(events: list[dict], kind: str, item_type: str | None = None, n: int = 0) -> int:
    """The position of the n-th event of `kind` (for an item of `item_type`)."""
    found = [i for i, e in enumerate(events) if e["type"] == kind
             and (item_type is None or e.get("item", {}).get("type") == item_type)]
    return found[n]


async def test_reasoning_is_done_before_the_answer_and_the_call():
    whole, events = await _both(CHUNKS)
    assert_responses_agree(whole, events)
    kinds = [(i["type"], [s["text"] for s in i.get("summary", [])], unseal(i.get("encrypted_content")))
             for i in whole["output"]]
    assert kinds == [
        ("reasoning", ["plan", " more"], [{"e": 0, "s": "T1"}, {"e": 0, "s": "T2"}]),
        ("message", [], []),
        ("reasoning", ["then"], [{"t": 0, "s": "S"}, {"c": "call_f", "s": "C"}]),
        ("function_call", [], []), ("function_call", [], []),
    ]
    # Each item is done before the next one is added: no item is open across another.
    items = [(e["type"], e["output_index"]) for e in events if e["type"].startswith("response.output_item.")]
    assert items == [(kind, n // 2) for n, kind in enumerate(["response.output_item.added",
                                                              "response.output_item.done"] * 5)]
    assert _at(events, "response.output_item.done", "reasoning") < _at(events, "response.output_text.delta")
    assert (_at(events, "response.output_item.done", "reasoning", 1)
            < _at(events, "response.output_item.added", "function_call"))


async def test_a_late_text_signature_travels_after_the_message():
    """A text answer signed on its last chunk: the summary first, the signature in a reasoning item of its own after
    the message (it is not known when the message starts)."""
    chunks = [_chunk({"text": "hmm", "thought": True}), _chunk({"text": "an"}),
              _chunk({"text": "swer"}), _chunk({"text": "", "thoughtSignature": "S"}, finishReason="STOP")]
    whole, events = await _both(chunks)
    assert_responses_agree(whole, events)
    assert [(i["type"], len(i.get("summary", [])), unseal(i.get("encrypted_content"))) for i in whole["output"]] == [
        ("reasoning", 1, []), ("message", 0, []), ("reasoning", 0, [{"t": 0, "s": "S"}])]
    assert _at(events, "response.output_item.done", "reasoning") < _at(events, "response.output_item.added", "message")


async def test_without_carry_only_summaries_and_still_first():
    body = {**BODY, "include": []}
    whole, events = await _both(CHUNKS, body)
    assert_responses_agree(whole, events)
    kinds = [i["type"] for i in whole["output"]]
    assert kinds == ["reasoning", "message", "reasoning", "function_call", "function_call"]
    assert not any("encrypted_content" in i for i in whole["output"])


async def test_every_item_sent_back_puts_each_signature_on_its_part():
    """As Codex does: the output items (several reasoning items among them) sent back verbatim, from the stream and
    from the whole response."""
    whole, events = await _both(CHUNKS)
    streamed = events[-1]["response"]["output"]
    for output in (whole["output"], streamed):
        answers = [{"type": "function_call_output", "call_id": c, "output": "ok"} for c in ("call_f", "call_g")]
        work = parse_responses(ParseInput({**BODY, "input": [{"role": "user", "content": "x"}, *output, *answers]},
                                          {}, {}, {}))
        assert work.request["contents"][1] == {"role": "model", "parts": REPLAYED}
