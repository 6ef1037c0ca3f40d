"""The gemini-web tool prompt and its streaming call parser (upstreams/web/tools.py): calls found in text arriving
in any chunking, text held back only while it may be a call, malformed blocks and the retry bookkeeping."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from gemgate.errors import UpstreamError
from gemgate.upstreams.web import tools
from gemgate.upstreams.web.answer import Unusable
from gemgate.upstreams.web.prompt import build_prompt

NAMES = frozenset({"get_weather", "run"})
OFFER = tools.Calling("AUTO", ({"name": "get_weather", "parameters": {"type": "object"}}, {"name": "run"}))

prose = st.text(alphabet="ab `\n{}\"tool-c_:", max_size=30).filter(
    lambda s: not any(o in s for o in tools.OPENINGS))
args = st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(alphabet="x`\n\"\\{}", max_size=12)),
                       max_size=3)
call = st.tuples(st.sampled_from(sorted(NAMES)), args, st.sampled_from(["tool-call", "tool_call"]),
                 st.sampled_from(["\n", " ", ""]))


def run(parser: tools.CallParser, pieces: list[str]) -> list:
    out = []
    for piece in pieces:
        out += parser.feed(piece)
    return out + parser.close()


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)])]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(prose, call), max_size=3), prose, st.lists(st.integers(0, 10_000), max_size=12))
def test_any_chunking_gives_the_same_text_and_calls(segments, tail, cuts):
    text, expected_text, expected_calls = "", "", []
    for before, (name, arguments, tag, gap) in segments:
        text += before + f"```{tag}{gap}" + json.dumps({"name": name, "arguments": arguments}) + "\n```"
        expected_text += before
        expected_calls.append({"name": name, "args": arguments})
    text += tail
    expected_text += tail
    assume(not any(o in expected_text for o in tools.OPENINGS))  # prose joined by a call may spell an opening
    pieces = run(tools.CallParser(NAMES), split(text, cuts))
    assert "".join(p for p in pieces if isinstance(p, str)) == expected_text
    assert [c for p in pieces if isinstance(p, list) for c in p] == expected_calls


@given(prose, st.lists(st.integers(0, 1000), max_size=8))
def test_text_is_held_back_only_while_it_may_open_a_call(text, cuts):
    parser = tools.CallParser(NAMES)
    shown = fed = ""
    for piece in split(text, cuts):
        fed += piece
        shown += "".join(parser.feed(piece))
        assert fed.startswith(shown)
        held = fed[len(shown):]
        assert held == "" or any(o.startswith(held) for o in tools.OPENINGS), (shown, held)
    assert shown + "".join(parser.close()) == text


@pytest.mark.parametrize("block,reason", [
    ('```tool-call\n{"name": "get_weather", "arguments": {"city": "Par\n```', "does not hold one JSON value"),
    ('```tool-call\n{"name": "rm_rf", "arguments": {}}\n```', "not one of the functions offered"),
    ('```tool-call\n{"name": "run", "arguments": [1]}\n```', "not a JSON object"),
    ('```tool-call\n{"arguments": {}}\n```', 'with a "name"'),
    ('```tool-call\n{"name": "run"} and more\n```', "text follows the JSON"),
])
def test_malformed_blocks(block, reason):
    pieces = run(tools.CallParser(NAMES), ["I will.\n", block, "\nafter"])
    (bad,) = [p for p in pieces if isinstance(p, tools.Malformed)]
    assert reason in bad.reason and bad.raw.startswith("```tool-call")


def test_lenient_forms_are_read():
    block = '```tool-call\n{"name": "run", "args": "{\\"cmd\\": \\"ls\\"}"}'  # string arguments, unclosed block
    assert run(tools.CallParser(NAMES), [block]) == [[{"name": "run", "args": {"cmd": "ls"}}]]
    batch = '```tool-call\n[{"name": "run"}, {"name": "get_weather", "arguments": null}]\n```'
    assert run(tools.CallParser(NAMES), [batch]) == [[{"name": "run", "args": {}}, {"name": "get_weather", "args": {}}]]
    code = '```tool-call\n{"name": "run", "arguments": {"src": "```py\nprint(1)\n```"}}\n```'
    assert run(tools.CallParser(NAMES), [code]) == [[{"name": "run", "args": {"src": "```py\nprint(1)\n```"}}]]
    assert run(tools.CallParser(NAMES), ["see ```tool-calls here"]) == ["see ```tool-calls here"]


def chunk(text: str = "", finish: str | None = None, thought: bool = False) -> dict:
    cand: dict = {"index": 0}
    if text:
        cand["content"] = {"role": "model", "parts": [{"text": text, **({"thought": True} if thought else {})}]}
    if finish:
        cand["finishReason"] = finish
    return {"candidates": [cand]}


def parts(chunks: list[dict | None]) -> list[dict]:
    return [p for c in chunks if c for p in c["candidates"][0].get("content", {}).get("parts", [])]


def test_tool_answer_makes_function_call_parts_at_the_end():
    answer = tools.ToolAnswer(OFFER, "web", strict=True)
    out = [answer.chunk(chunk("Checking.\n```tool-")), answer.chunk(chunk('call\n{"name": "run"}\n```\n\n')),
           answer.chunk(chunk("", "STOP"))]
    assert parts(out) == [{"text": "Checking.\n"}, {"functionCall": {"name": "run", "args": {}}}]
    assert out[-1]["candidates"][0]["finishReason"] == "STOP"


def test_required_call_missing_is_malformed_then_text_with_a_warning(caplog):
    must = tools.Calling("ANY", OFFER.declarations)
    with pytest.raises(Unusable, match="calls no function"):
        tools.ToolAnswer(must, "web", strict=True).chunk(chunk("no.", "STOP"))
    with caplog.at_level(logging.WARNING, logger="gemgate.web"):
        out = tools.ToolAnswer(must, "web", strict=False).chunk(chunk("no.", "STOP"))
    assert parts([out]) == [{"text": "no."}] and "unusable twice" in caplog.text


def test_a_retry_does_not_repeat_what_was_sent():
    first = tools.ToolAnswer(OFFER, "web", strict=True)
    first.chunk(chunk("thinking", thought=True))
    first.chunk(chunk("Let me check. "))
    with pytest.raises(Unusable):
        first.chunk(chunk('```tool-call\n{"name": "nope"}\n```', "STOP"))
    second = tools.ToolAnswer(OFFER, "web", strict=False, after=first)
    out = [second.chunk(chunk("thinking again", thought=True)), second.chunk(chunk("Let me ")),
           second.chunk(chunk('check. ```tool-call\n{"name": "run"}\n```', "STOP"))]
    assert parts(out) == [{"functionCall": {"name": "run", "args": {}}}]


def test_prompt_renders_offer_history_and_choice():
    request = {"tools": [{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "object"}},
                                                   {"name": "run", "description": "runs"}]}],
               "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["run"]}},
               "contents": [{"role": "user", "parts": [{"text": "go"}]},
                            {"role": "model", "parts": [{"text": "ok"}, {"functionCall": {"name": "run", "args": {"a": 1}}}]},
                            {"role": "user", "parts": [{"functionResponse": {"name": "run", "response": {"out": "x"}}}]}]}
    prompt = build_prompt(request)
    assert '{"name":"run","description":"runs","parameters":{"type":"object","properties":{}}}' in prompt
    assert '"get_weather"' not in prompt and "you must call the function run:" in prompt
    assert 'Assistant: ok\n\n```tool-call\n{"name":"run","arguments":{"a":1}}\n```' in prompt
    assert prompt.endswith('User:\n```tool-result\n{"name":"run","response":{"out":"x"}}\n```')
    request["toolConfig"]["functionCallingConfig"] = {"mode": "NONE"}
    assert "Functions you can call" not in build_prompt(request)  # history still in the protocol
    request["toolConfig"]["functionCallingConfig"] = {"mode": "ANY", "allowedFunctionNames": ["nope"]}
    with pytest.raises(UpstreamError, match="not declared: nope"):
        build_prompt(request)


# A hostile or broken answer (issue 9 hardening): bounded work, one Malformed, never an exception.

def test_a_call_nested_deeper_than_the_decoder_goes_is_malformed():
    deep = '{"name": "run", "arguments": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    for block in (f"```tool-call\n{deep}\n```",
                  '```tool-call\n{"name": "run", "arguments": "' + "[" * 100_000 + '"}\n```'):
        pieces = run(tools.CallParser(NAMES), [block])
        assert pieces and all(isinstance(p, tools.Malformed | list) for p in pieces)


def test_a_block_that_never_closes_is_read_in_linear_work(monkeypatch):
    decoded = []

    class Counting:
        def raw_decode(self, text, start):
            decoded.append(len(text) - start)
            return json.JSONDecoder(strict=False).raw_decode(text, start)

    monkeypatch.setattr(tools, "_DECODER", Counting())
    parser = tools.CallParser(NAMES)
    pieces = 20_000
    out = parser.feed('```tool-call\n{"name": "run", "arguments": {"src": "')
    for _ in range(pieces):
        out += parser.feed("x" * 10)
    out += parser.close()
    assert sum(decoded) < 8 * pieces * 10  # decoding the whole block again per piece would be ~2*10^9
    assert [type(p) for p in out] == [tools.Malformed]


def test_lone_surrogates_in_a_call_become_replacement_characters():
    block = '```tool-call\n{"name": "run", "arguments": {"\\udc00k": "\\ud83d", "ok": "\\ud83d\\ude00"}}\n```'
    (calls,) = run(tools.CallParser(NAMES), [block])
    assert calls == [{"name": "run", "args": {"\ufffdk": "\ufffd", "ok": "\U0001F600"}}]
    json.dumps(calls, ensure_ascii=False).encode("utf-8")
