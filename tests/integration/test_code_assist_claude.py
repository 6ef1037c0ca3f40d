"""Claude served through Antigravity, end to end against the fake (which enforces the same rules,
gemgate.testing.code_assist_claude): thinking replayed with its Claude signature or dropped, never a Gemini
sentinel; VALIDATED tool mode with placeholder properties; Claude's function-name alphabet with the client's
names given back; tool_use ids on calls and results; maxOutputTokens above the thinking budget
(reference/antigravity.md §6.1, §6.3, §6.4)."""

from __future__ import annotations

import json

import pytest

from tests.support.code_assist import CodeAssistGateway
from tests.support.code_assist import module_fakes as fakes  # noqa: F401 (a fixture)
from tests.support.gateway import chat
from tests.support.http import post

MODEL = "claude-sonnet-4-6"
EMAIL = "cleo@example.com"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                          "required": ["city"]}}}
PING = {"type": "function", "function": {"name": "ping", "parameters": {"type": "object", "properties": {}}}}
SENTINELS = ("skip_thought_signature_validator", "context_engineering_is_the_way_to_go")


@pytest.fixture
def gw(fakes, tmp_path):
    fakes.ca.account(EMAIL, tier="g1-pro-tier")
    gateway = CodeAssistGateway(tmp_path / "gw", fakes, {"cleo": fakes.credential(EMAIL)}).start()
    yield gateway
    gateway.stop()


def native(gw, method: str, body: dict, query: str = ""):
    return post(f"{gw.url}/v1beta/models/{MODEL}:{method}{query}", body, headers={"x-goog-api-key": gw.key})


def sent(fakes) -> dict:
    return fakes.ca.requests_for("streamGenerateContent", EMAIL)[-1].body


@pytest.mark.parametrize("stream", [False, True])
def test_tool_round_trip_with_thinking_through_the_openai_route(fakes, gw, stream):
    user = {"role": "user", "content": 'CALL get_weather {"city": "Paris"}'}
    first = chat(gw, {"model": MODEL, "messages": [user], "tools": [WEATHER, PING], "reasoning_effort": "low"})
    assert first.status == 200, first.text
    message = first.json()["choices"][0]["message"]
    assert message.get("reasoning_content")  # Claude's thinking came back
    (call,) = message["tool_calls"]
    request = sent(fakes)["request"]
    assert request["toolConfig"]["functionCallingConfig"]["mode"] == "VALIDATED"
    ping = next(d for t in request["tools"] for d in t["functionDeclarations"] if d["name"] == "ping")
    assert list(ping["parameters"]["properties"]) == ["reason"] and ping["parameters"]["required"] == ["reason"]
    assert request["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 1024
    # The OpenAI client drops the thinking; the replay carries the call and its result, with tool_use ids.
    follow = chat(gw, {"model": MODEL, "tools": [WEATHER, PING], "reasoning_effort": "low", "stream": stream,
                       "messages": [user, {"role": "assistant", "content": None, "tool_calls": [call]},
                                    {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]})
    assert follow.status == 200 and "sunny" in follow.text and "result" in follow.text, follow.text
    parts = [p for c in sent(fakes)["request"]["contents"] for p in c["parts"]]
    (fc,) = [p for p in parts if "functionCall" in p]
    (fr,) = [p for p in parts if "functionResponse" in p]
    assert fc["functionCall"]["id"] and fr["functionResponse"]["id"] == fc["functionCall"]["id"]
    assert not any(p.get("thoughtSignature") in SENTINELS for p in parts)


def test_thinking_replayed_with_its_signature_or_dropped_and_a_foreign_one_retried(fakes, gw):
    ask = {"role": "user", "parts": [{"text": "think about it"}]}
    body = {"contents": [ask], "generationConfig": {"thinkingConfig": {"includeThoughts": True, "thinkingBudget": 2048}}}
    first = native(gw, "generateContent", body)
    assert first.status == 200, first.text
    turn = first.json()["candidates"][0]["content"]
    (thought,) = [p for p in turn["parts"] if p.get("thought")]
    assert thought["thoughtSignature"].startswith("E")  # a Claude-shaped signature (§6.2)
    again = {"role": "user", "parts": [{"text": "and again"}]}

    def replay(thought_part: dict):
        history = {**turn, "parts": [thought_part] + [p for p in turn["parts"] if not p.get("thought")]}
        return native(gw, "generateContent", {**body, "contents": [ask, history, again]})

    assert replay(thought).status == 200  # its own signature: kept and accepted
    assert sent(fakes)["request"]["contents"][1]["parts"][0]["thoughtSignature"] == thought["thoughtSignature"]
    unsigned = {k: v for k, v in thought.items() if k != "thoughtSignature"}
    for part in (unsigned, {**unsigned, "thoughtSignature": SENTINELS[0]}):
        r = replay(part)
        assert r.status == 200, r.text  # dropped: never invented, never the Gemini sentinel
        assert not any(p.get("thought") for p in sent(fakes)["request"]["contents"][1]["parts"])
    fakes.ca.reset()
    foreign = replay({**unsigned, "thoughtSignature": "EiBmb3JlaWduLXNpZ25hdHVyZS1ub3QtaXNzdWVkLWJ5LWNsYXVkZQ=="})
    assert foreign.status == 200, foreign.text  # refused once ("Invalid `signature` in `thinking` block"), dropped
    answers = [r.status for r in fakes.ca.requests_for("streamGenerateContent", EMAIL)]
    assert answers == [400, 200]


def test_dotted_function_names_renamed_for_claude_and_given_back(fakes, gw):
    body = {"contents": [{"role": "user", "parts": [{"text": 'CALL repo_search {"q": "x"}'}]}],
            "tools": [{"functionDeclarations": [{"name": "repo.search", "parameters": {
                "type": "OBJECT", "properties": {"q": {"type": "STRING"}}}}]}]}
    r = native(gw, "generateContent", body)
    assert r.status == 200, r.text
    (call,) = [p["functionCall"] for p in r.json()["candidates"][0]["content"]["parts"] if "functionCall" in p]
    assert call["name"] == "repo.search"
    assert sent(fakes)["request"]["tools"][0]["functionDeclarations"][0]["name"] == "repo_search"


def test_max_output_tokens_raised_above_the_thinking_budget(fakes, gw):
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "generationConfig": {"maxOutputTokens": 2000, "thinkingConfig": {"thinkingBudget": 4096}}}
    r = native(gw, "generateContent", body)
    assert r.status == 200, r.text
    config = sent(fakes)["request"]["generationConfig"]
    assert config["maxOutputTokens"] == 4096 + 8192 and config["thinkingConfig"]["thinkingBudget"] == 4096
    big = {**body, "generationConfig": {"maxOutputTokens": 60000, "thinkingConfig": {"thinkingBudget": 64000}}}
    assert native(gw, "generateContent", big).status == 200
    config = sent(fakes)["request"]["generationConfig"]
    assert config["maxOutputTokens"] == 64000 and config["thinkingConfig"]["thinkingBudget"] == 63999
