"""The Anthropic Messages dialect over real HTTP against the fake Gemini API: wire shapes, what reaches Gemini,
stream/whole agreement, errors in Anthropic's shape and statuses, keepalives and retries."""

from __future__ import annotations

import base64

import pytest

from tests.support.agreement import assert_anthropic_agree
from tests.support.http import get, post, request
from tests.support.sse import parse_sse_events
from tests.support.ssrf import PNG
from tests.support.upstream import upstream_body, upstream_requests

VERSION = {"anthropic-version": "2023-06-01"}
BASH = {"name": "Bash", "description": "run", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}


def messages(gw, body, *, path="/v1/messages", key=None, headers=None, raw=None):
    """POST to the Messages endpoint the way Claude Code does (x-api-key, anthropic-version)."""
    return post(f"{gw.url}{path}", body, key=key or gw.key, key_header="x-api-key", headers={**VERSION, **(headers or {})},
                raw=raw)


def ask(text: str, model: str = "gemini-2.5-flash", **fields) -> dict:
    return {"model": model, "max_tokens": 1000, "messages": [{"role": "user", "content": text}], **fields}


def test_whole_message_shape(gw):
    r = messages(gw, ask("hello whole shape"))
    assert r.status == 200, r.text
    body = r.json()
    assert body["id"].startswith("msg_") and body["type"] == "message" and body["role"] == "assistant"
    assert body["content"] == [{"type": "text", "text": "echo: hello whole shape"}]
    assert body["model"] == "gemini-2.5-flash" and body["stop_reason"] == "end_turn" and body["stop_sequence"] is None
    assert set(body["usage"]) == {"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}


def test_stream_event_sequence(gw):
    r = messages(gw, ask("alpha beta gamma delta", stream=True), path="/v1/messages?beta=true")
    assert r.status == 200 and r.headers["content-type"].startswith("text/event-stream"), r.text
    kinds = [k for k, _ in parse_sse_events(r.body)]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds[1] == "content_block_start" and kinds[-3] == "content_block_stop"
    assert set(kinds[2:-3]) == {"content_block_delta"} and len(kinds[2:-3]) >= 3
    start = parse_sse_events(r.body)[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None and start["usage"]["input_tokens"] > 0


CASES = {
    "thinking-text": ask("one two three four five agree-a1", thinking={"type": "enabled", "budget_tokens": 2048}),
    "adaptive-effort": ask("one two three agree-a2", thinking={"type": "adaptive"}, output_config={"effort": "low"}),
    "calls-gemini3": ask('CALL Bash {"command": "a"}\nCALL Bash {"command": "b"}\nagree-a3', model="gemini-3-pro-preview",
                         tools=[BASH], thinking={"type": "adaptive"}),
    "max-tokens": {**ask("one two three four five six agree-a4"), "max_tokens": 3},
    "blocked": ask("agree-a5\nBLOCK"),
    "grounded": ask("who won agree-a6", tools=[{"type": "web_search_20250305", "name": "web_search"}]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_stream_and_whole_agree(gw, case):
    whole = messages(gw, CASES[case])
    stream = messages(gw, {**CASES[case], "stream": True})
    assert whole.status == stream.status == 200, (whole.text, stream.text)
    assert_anthropic_agree(whole.json(), parse_sse_events(stream.body))


def test_stop_reasons_and_thinking_apart(gw):
    assert messages(gw, CASES["max-tokens"]).json()["stop_reason"] == "max_tokens"
    blocked = messages(gw, CASES["blocked"]).json()
    assert blocked["stop_reason"] == "refusal" and blocked["content"] == []
    calls = messages(gw, CASES["calls-gemini3"]).json()
    assert calls["stop_reason"] == "tool_use"
    assert [b["type"] for b in calls["content"]] == ["thinking", "tool_use", "tool_use"]
    assert calls["content"][0]["signature"].startswith("gemini:")
    thought = messages(gw, CASES["thinking-text"]).json()
    assert [b["type"] for b in thought["content"]] == ["thinking", "text"]
    assert thought["content"][1]["text"] == "echo: one two three four five agree-a1"


def test_request_translation(gw, fake_api):
    """What reaches Gemini: system blocks and system-role messages, images, PDFs, tool results, tool choice,
    sampling; Anthropic bookkeeping fields accepted without effect."""
    png = base64.b64encode(PNG).decode()
    pdf = base64.b64encode(b"%PDF-1.4 tiny").decode()
    body = {
        "model": "gemini-2.5-flash", "max_tokens": 500, "temperature": 0.5, "top_p": 0.9, "top_k": 20,
        "stop_sequences": ["END"], "metadata": {"user_id": "u"}, "context_management": {"edits": []},
        "system": [{"type": "text", "text": "sys one", "cache_control": {"type": "ephemeral"}}],
        "tools": [BASH, {"name": "Nothing", "input_schema": None}], "tool_choice": {"type": "tool", "name": "Bash"},
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "look marker-at1"},
                                         {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
                                         {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": pdf}}]},
            {"role": "system", "content": "mid-conversation system"},
            {"role": "assistant", "content": [{"type": "text", "text": "running"},
                                              {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "is_error": True,
                                          "content": [{"type": "text", "text": "no such dir"}], "cache_control": {"type": "ephemeral"}}]},
        ],
    }
    r = messages(gw, body)
    assert r.status == 200, r.text
    sent = upstream_body(fake_api, "marker-at1")
    assert sent["systemInstruction"]["parts"] == [{"text": "sys one"}, {"text": "mid-conversation system"}]
    first = sent["contents"][0]["parts"]
    assert [p["inlineData"]["mimeType"] for p in first if "inlineData" in p] == ["image/png", "application/pdf"]
    assert sent["contents"][1]["parts"][1]["functionCall"] == {"name": "Bash", "args": {"command": "ls"}}
    assert sent["contents"][2]["parts"][0]["functionResponse"] == {"name": "Bash", "response": {"error": "no such dir"}}
    declared = sent["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declared] == ["Bash", "Nothing"] and "parameters" not in declared[1]
    assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["Bash"]}}
    config = sent["generationConfig"]
    assert (config["temperature"], config["topP"], config["topK"], config["maxOutputTokens"]) == (0.5, 0.9, 20, 500)
    assert "stopSequences" not in config  # matched by the gateway, which names the one met (test_stop_sequences)
    assert config["thinkingConfig"] == {"includeThoughts": False}  # thinking not asked: none shown


def test_web_search_tool_is_google_search(gw, fake_api):
    r = messages(gw, CASES["grounded"])
    assert r.status == 200 and "Google Search" in r.headers["X-Gemgate-Adjusted"]
    assert upstream_requests(fake_api, "agree-a6")[-1].body["tools"] == [{"googleSearch": {}}]


def test_count_tokens(gw):
    r = messages(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "one two three"}],
                      "system": "be brief", "tools": [BASH]}, path="/v1/messages/count_tokens")
    assert r.status == 200, r.text
    assert set(r.json()) == {"input_tokens"} and r.json()["input_tokens"] > 3


def test_preflight_and_model_lists(gw):
    head = request("HEAD", gw.url + "/", key=gw.key, key_header="x-api-key")
    assert head.status == 200
    assert get(gw.url + "/", key=gw.key).json()["service"] == "gemgate"
    anthropic_list = get(gw.url + "/v1/models", key=gw.key, headers=VERSION).json()
    assert set(anthropic_list) == {"data", "has_more", "first_id", "last_id"} and anthropic_list["has_more"] is False
    assert {"type": "model", "id": "gemini-2.5-flash"}.items() <= anthropic_list["data"][1].items()
    one = get(gw.url + "/v1/models/gemini-2.5-flash", key=gw.key, headers=VERSION).json()
    assert one["type"] == "model" and one["id"] == "gemini-2.5-flash" and one["display_name"]
    openai_list = get(gw.url + "/v1/models", key=gw.key).json()  # no anthropic-version: the OpenAI+Gemini body
    assert openai_list["object"] == "list" and "models" in openai_list


def test_preflight_without_a_key(gw):
    """Claude Code's `HEAD /` may come before it has a key (client-harness.md §4): a bare 200 telling nothing,
    where it was a 401; a wrong key and any other path or method still need a key."""
    for method in ("HEAD", "GET"):
        r = request(method, gw.url + "/", headers=VERSION)
        assert r.status == 200, r.text
        assert r.body in (b"", b"{}")
    assert request("GET", gw.url + "/", key="wrong", key_header="x-api-key").status == 401
    assert request("POST", gw.url + "/", headers=VERSION).status == 401
    assert get(gw.url + "/v1/models").status == 401


def _error(r, status: int, kind: str) -> str:
    assert r.status == status, r.text
    body = r.json()
    assert body["type"] == "error" and set(body["error"]) == {"type", "message"} and body["error"]["type"] == kind, body
    return body["error"]["message"]


@pytest.mark.parametrize(("body", "raw", "says"), [
    (None, b"{not json", "JSON"),
    ({"model": "gemini-2.5-flash", "messages": []}, None, "max_tokens: Field required"),
    (ask("x", max_tokens="ten"), None, "'max_tokens' must be an integer"),
    (ask("x", bogus=1), None, "bogus: Extra inputs are not permitted"),
    (ask("x", thinking={"type": "sometimes"}), None, "thinking.type"),
    ({**ask("x"), "messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "nope"}]}]}, None,
     "unexpected `tool_use_id`"),
    ({**ask("x"), "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}]}, {"role": "user", "content": "y"}]}, None,
     "without `tool_result` blocks"),
    ({**ask("x"), "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "http://127.0.0.1:9/x.png"}}]}]},
     None, "messages[0].content[0].source.url"),
])
def test_bad_requests(gw, body, raw, says):
    assert says in _error(messages(gw, body, raw=raw), 400, "invalid_request_error")


def test_unknown_model_missing_key_unknown_path(gw):
    assert "gemini-9-nonexistent" in _error(messages(gw, ask("x", model="gemini-9-nonexistent")), 404, "not_found_error")
    r = post(gw.url + "/v1/messages", ask("x"), headers=VERSION)
    assert "Missing client key" in _error(r, 401, "authentication_error")
    _error(messages(gw, ask("x"), key="wrong"), 401, "authentication_error")
    _error(messages(gw, ask("x"), path="/v1/messages/nowhere"), 404, "not_found_error")


@pytest.mark.parametrize("path", ["/v1/models", "/v1/models/gemini-2.5-flash"])
def test_model_list_auth_errors_in_anthropic_shape(gw, path):
    """The anthropic SDK's models.list() (anthropic-version sent) with a missing or wrong key gets Anthropic's
    error shape, as its answers have (found attacking issue 10: the 401 was OpenAI's shape)."""
    _error(get(gw.url + path, headers=VERSION), 401, "authentication_error")
    _error(get(gw.url + path, key="wrong", key_header="x-api-key", headers=VERSION), 401, "authentication_error")
    assert "error" in get(gw.url + path).json() and get(gw.url + path).json().get("type") != "error"  # OpenAI's


def test_overloaded_is_529(make_gateway):
    gw = make_gateway()
    assert "rate" in _error(messages(gw, ask("x\nFAIL 429")), 429, "rate_limit_error").lower()
    # Every account is cooling now: Anthropic's clients know that as 529 overloaded (they retry it).
    assert "cooling" in _error(messages(gw, ask("y")), 529, "overloaded_error")
    capacity = make_gateway()
    _error(messages(capacity, ask("x\nFAIL 503")), 529, "overloaded_error")


def test_failure_after_commit_is_an_error_event(gw):
    r = messages(gw, ask("one two three four\nFAIL-AFTER 1 500", stream=True))
    assert r.status == 200
    events = parse_sse_events(r.body)
    assert events[0][0] == "message_start" and events[-1][0] == "error"
    assert events[-1][1]["type"] == "error" and events[-1][1]["error"]["type"] == "api_error"


def test_silence_is_filled_with_pings(gw):
    """The gateway's keepalive (1 s in tests) while the upstream is silent is Anthropic's `ping` event."""
    r = messages(gw, ask("slow answer marker-ping\nSLOW 2.5", stream=True))
    assert r.status == 200
    events = parse_sse_events(r.body)
    assert ("ping", {"type": "ping"}) in events
    assert [k for k, _ in events if k != "ping"][0] == "message_start"
    assert events[-1][0] == "message_stop"


def test_malformed_call_retried_then_clean_error(gw):
    ok = messages(gw, ask("retry me marker-mal1\nMALFORMED-ONCE", model="gemini-3-pro-preview"))
    assert ok.status == 200 and ok.json()["content"][0]["text"].startswith("echo:"), ok.text
    _error(messages(gw, ask("never marker-mal2\nMALFORMED", model="gemini-3-pro-preview")), 502, "api_error")
    empty = messages(gw, ask("nothing marker-empty\nEMPTY"))
    assert empty.status >= 500 and empty.json()["type"] == "error"
