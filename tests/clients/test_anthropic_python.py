"""The anthropic Python SDK (unmodified, in-process) against the gateway's Anthropic Messages surface.

SDK 2.x sends its key as `Authorization: Bearer` and `anthropic-version: 2026-10-21`; Claude Code sends
`x-api-key` and 2023-06-01 (client-harness.md §5): both are accepted.
"""

from __future__ import annotations

import anthropic
import pytest

from gemgate.gemini.signatures import SKIP_SENTINEL
from tests.support.upstream import upstream_requests

pytestmark = pytest.mark.clients

BASH = {"name": "Bash", "description": "Run a shell command",
        "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}


def client(gw, **kw) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=gw.key, max_retries=0, timeout=30, **kw)


@pytest.fixture
def ant(gw):
    with client(gw) as c:
        yield c


def test_create_plain_text(ant):
    message = ant.messages.create(model="gemini-2.5-flash", max_tokens=200, system="be brief",
                                  messages=[{"role": "user", "content": "hello from the anthropic sdk"}])
    assert message.type == "message" and message.role == "assistant" and message.model == "gemini-2.5-flash"
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "echo: hello from the anthropic sdk"
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


def test_x_api_key_and_old_version_accepted(gw):
    with anthropic.Anthropic(base_url=gw.url, api_key="unused", max_retries=0,
                             default_headers={"Authorization": "", "x-api-key": gw.key,
                                              "anthropic-version": "2023-06-01",
                                              "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14"}) as c:
        message = c.messages.create(model="gemini-2.5-flash", max_tokens=50, messages=[{"role": "user", "content": "hi"}])
    assert message.content[0].text == "echo: hi"


def test_stream_helper_final_message(ant):
    with ant.messages.stream(model="gemini-2.5-flash", max_tokens=200,
                             messages=[{"role": "user", "content": "alpha beta gamma delta epsilon"}]) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(texts) >= 3 and "".join(texts) == "echo: alpha beta gamma delta epsilon"
    assert final.content[0].text == "echo: alpha beta gamma delta epsilon"
    assert final.stop_reason == "end_turn"
    assert final.usage.input_tokens > 0 and final.usage.output_tokens > 0


def test_thinking_blocks(ant):
    with ant.messages.stream(model="gemini-2.5-flash", max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024},
                             messages=[{"role": "user", "content": "think first"}]) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking.startswith("**Considering the request**")
    assert final.content[1].text == "echo: think first"  # no thought in the text
    assert "thinking" in kinds and "text" in kinds
    whole = ant.messages.create(model="gemini-2.5-flash", max_tokens=2000, thinking={"type": "adaptive"},
                                messages=[{"role": "user", "content": "think first"}])
    assert [b.type for b in whole.content] == ["thinking", "text"] and whole.content[1].text == "echo: think first"
    plain = ant.messages.create(model="gemini-2.5-flash", max_tokens=2000, messages=[{"role": "user", "content": "think first"}])
    assert [b.type for b in plain.content] == ["text"]  # thinking not asked: no thinking block


def _call(c, model: str, marker: str, **kw):
    return c.messages.create(model=model, max_tokens=2000, tools=[BASH], thinking={"type": "adaptive"},
                             messages=[{"role": "user", "content": f'CALL Bash {{"command": "echo {marker}"}}'}], **kw)


def _follow_up(c, model: str, marker: str, first, content=None):
    call = next(b for b in first.content if b.type == "tool_use")
    history = [{"role": "user", "content": f'CALL Bash {{"command": "echo {marker}"}}'},
               {"role": "assistant", "content": content if content is not None else [b.model_dump() for b in first.content]},
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": marker}]}]
    return c.messages.create(model=model, max_tokens=2000, tools=[BASH], thinking={"type": "adaptive"}, messages=history)


def test_tools_round_trip(ant, fake_api):
    first = _call(ant, "gemini-3-pro-preview", "sdk-tools-1")
    assert first.stop_reason == "tool_use"
    thinking, call = first.content[0], first.content[-1]
    assert thinking.type == "thinking" and thinking.signature.startswith("gemini:")
    assert call.type == "tool_use" and call.name == "Bash" and call.input == {"command": "echo sdk-tools-1"}
    final = _follow_up(ant, "gemini-3-pro-preview", "sdk-tools-1", first)
    assert final.content[-1].text == "tool result: sdk-tools-1" and final.stop_reason == "end_turn"
    sent = upstream_requests(fake_api, "sdk-tools-1")[-1].body["contents"]
    replayed = next(p for p in sent[1]["parts"] if "functionCall" in p)
    assert replayed["thoughtSignature"] == thinking.signature.removeprefix("gemini:")


def test_signature_survives_a_gateway_without_the_store(make_gateway, fake_api):
    """A second gateway with its own empty store continues the conversation: the thinking block's signature
    is the one Gemini issued (the fake refuses forged ones); without the thinking block it is the skip sentinel."""
    with client(make_gateway()) as one:
        first = _call(one, "gemini-3-pro-preview", "sdk-restart")
    with client(make_gateway()) as two:
        final = _follow_up(two, "gemini-3-pro-preview", "sdk-restart", first)
        assert final.content[-1].text == "tool result: sdk-restart"
        replayed = next(p for p in upstream_requests(fake_api, "sdk-restart")[-1].body["contents"][1]["parts"]
                        if "functionCall" in p)
        assert replayed["thoughtSignature"] == first.content[0].signature.removeprefix("gemini:")
        calls_only = [b.model_dump() for b in first.content if b.type == "tool_use"]
        _follow_up(two, "gemini-3-pro-preview", "sdk-restart", first, content=calls_only)
        replayed = next(p for p in upstream_requests(fake_api, "sdk-restart")[-1].body["contents"][1]["parts"]
                        if "functionCall" in p)
        assert replayed["thoughtSignature"] == SKIP_SENTINEL


def test_stream_tool_use(ant):
    with ant.messages.stream(model="gemini-2.5-flash", max_tokens=500, tools=[BASH], tool_choice={"type": "any"},
                             messages=[{"role": "user", "content": 'CALL Bash {"command": "echo streamed"}'}]) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    (call,) = [b for b in final.content if b.type == "tool_use"]
    assert call.input == {"command": "echo streamed"} and call.id.startswith("toolu_")


def test_count_tokens(ant):
    counted = ant.messages.count_tokens(model="gemini-2.5-flash", system="sys words here", tools=[BASH],
                                        messages=[{"role": "user", "content": "one two three four"}])
    assert counted.input_tokens > 4
    fewer = ant.messages.count_tokens(model="gemini-2.5-flash", messages=[{"role": "user", "content": "one"}])
    assert 0 < fewer.input_tokens < counted.input_tokens


def test_models_list_and_retrieve(ant):
    models = ant.models.list()
    ids = [m.id for m in models]
    assert "gemini-2.5-flash" in ids and all(m.type == "model" for m in models)
    model = ant.models.retrieve("gemini-2.5-flash")
    assert model.id == "gemini-2.5-flash" and model.display_name


def test_errors(ant, gw):
    with pytest.raises(anthropic.NotFoundError) as info:
        ant.messages.create(model="gemini-9-nonexistent", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert info.value.body["error"]["type"] == "not_found_error"
    assert "gemini-9-nonexistent" in info.value.body["error"]["message"]
    with pytest.raises(anthropic.BadRequestError) as info:
        ant.messages.create(model="gemini-2.5-flash", max_tokens="ten", messages=[{"role": "user", "content": "x"}])
    assert info.value.body == {"type": "error", "error": {"type": "invalid_request_error",
                                                          "message": "'max_tokens' must be an integer, got a string"}}
    with client(gw, default_headers={"Authorization": "Bearer wrong-key"}) as bad, pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model="gemini-2.5-flash", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.APIStatusError) as info:  # an upstream failure after the stream began
        with ant.messages.stream(model="gemini-2.5-flash", max_tokens=100,
                                 messages=[{"role": "user", "content": "one two three four\nFAIL-AFTER 1 500"}]) as stream:
            list(stream)
    assert info.value.body["error"]["type"] == "api_error"


def test_stream_helper_through_pings(ant):
    """The gateway pings while the upstream is silent, before message_start: the helper skips pings."""
    with ant.messages.stream(model="gemini-2.5-flash", max_tokens=100,
                             messages=[{"role": "user", "content": "late words here\nSLOW 2.5"}]) as stream:
        final = stream.get_final_message()
    assert final.content[0].text == "echo: late words here\nSLOW 2.5"
