"""OpenAI Chat Completions over real HTTP against the fake Gemini API."""

from __future__ import annotations

import json

from tests.support.gateway import chat
from tests.support.upstream import upstream_body


def test_plain_text_non_streaming(gw):
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hello there"}]})
    assert r.status == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "gemini-2.5-flash"
    choice = body["choices"][0]
    assert "echo: hello there" in choice["message"]["content"]
    assert choice["finish_reason"] == "stop"
    assert body["usage"]["prompt_tokens"] > 0
    assert body["usage"]["total_tokens"] >= body["usage"]["completion_tokens"]


def test_streaming_chunks_and_usage(gw):
    r = chat(
        gw,
        {
            "model": "gemini-2.5-flash",
            "messages": [{"role": "user", "content": "one two three four five"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = r.sse()
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "echo: one two three four five"
    content_chunks = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert len(content_chunks) >= 2, "the reply should arrive in several chunks"
    finals = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert len(finals) == 1 and finals[0]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0


def test_system_and_multiturn_reach_upstream(gw, fake_api):
    r = chat(
        gw,
        {
            "model": "gemini-2.0-flash",  # penalties: 2.5 and 3.x refuse them (gemini.capabilities [penalty])
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "developer", "content": [{"type": "text", "text": "and kind"}]},
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": [{"type": "text", "text": "second marker-7731"}]},
            ],
            "temperature": 0.3,
            "top_p": 0.9,
            "max_tokens": 50,
            "stop": ["END"],
            "seed": 7,
            "presence_penalty": 0.1,
            "frequency_penalty": 0.2,
        },
    )
    assert r.status == 200, r.text
    assert "echo: second marker-7731" in r.json()["choices"][0]["message"]["content"]
    sent = upstream_body(fake_api, "marker-7731")
    assert sent["systemInstruction"]["parts"] == [{"text": "be brief"}, {"text": "and kind"}]
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
    cfg = sent["generationConfig"]
    assert cfg["temperature"] == 0.3 and cfg["topP"] == 0.9 and cfg["maxOutputTokens"] == 50
    assert cfg["stopSequences"] == ["END"] and cfg["seed"] == 7
    assert cfg["presencePenalty"] == 0.1 and cfg["frequencyPenalty"] == 0.2


def test_max_tokens_gives_length(gw):
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "a b c d e f g h"}], "max_tokens": 3})
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "length"
    assert len(choice["message"]["content"].split()) == 3


def test_json_schema_mode(gw):
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "count": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["city", "count", "tags"],
        "additionalProperties": False,
    }
    r = chat(
        gw,
        {
            "model": "gemini-2.5-flash",
            "messages": [{"role": "user", "content": "give me data"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema, "strict": True}},
        },
    )
    assert r.status == 200, r.text
    data = json.loads(r.json()["choices"][0]["message"]["content"])
    assert isinstance(data["city"], str) and isinstance(data["count"], int) and isinstance(data["tags"], list)


def test_json_object_mode(gw):
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "json please"}], "response_format": {"type": "json_object"}})
    assert isinstance(json.loads(r.json()["choices"][0]["message"]["content"]), dict)


def test_n_candidates(gw):
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "twice"}], "n": 2})
    assert [c["index"] for c in r.json()["choices"]] == [0, 1]


def test_reasoning_effort_gives_reasoning_content(gw, fake_api):
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "think marker-4410"}], "reasoning_effort": "high"})
    assert r.status == 200, r.text
    msg = r.json()["choices"][0]["message"]
    assert msg["reasoning_content"]
    assert "echo: think marker-4410" in msg["content"]
    assert r.json()["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0
    cfg = upstream_body(fake_api, "marker-4410")["generationConfig"]["thinkingConfig"]
    assert cfg == {"includeThoughts": True, "thinkingBudget": 24576}


def test_thinking_suffix_on_gemini3_uses_level(gw, fake_api):
    r = chat(gw, {"model": "gemini-3-flash-preview-low", "messages": [{"role": "user", "content": "lvl marker-5520"}]})
    assert r.status == 200, r.text
    assert r.json()["model"] == "gemini-3-flash-preview-low"
    cfg = upstream_body(fake_api, "marker-5520")["generationConfig"]["thinkingConfig"]
    assert cfg == {"includeThoughts": True, "thinkingLevel": "LOW"}


def test_reasoning_streams_as_reasoning_content(gw):
    r = chat(gw, {"model": "gemini-2.5-flash-thinking", "messages": [{"role": "user", "content": "deep"}], "stream": True})
    chunks = [c for c in r.sse() if c != "[DONE]"]
    reasoning = "".join(c["choices"][0]["delta"].get("reasoning_content") or "" for c in chunks if c["choices"])
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert reasoning and content == "echo: deep"


def test_think_tags_mode(make_gateway):
    gw = make_gateway(thoughts_in_content=True)
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "tags"}], "reasoning_effort": "low"})
    content = r.json()["choices"][0]["message"]["content"]
    assert content.startswith("<think>") and "</think>echo: tags" in content
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "tags"}], "reasoning_effort": "low", "stream": True})
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in r.sse() if c != "[DONE]" and c["choices"])
    assert text.startswith("<think>") and text.endswith("</think>echo: tags")


def test_think_tag_name_is_a_setting_and_replayed_blocks_are_dropped(make_gateway, fake_api):
    """`think_tag = "thinking"` (the Cloudflare worker's tag) names the block, streamed and whole; a block the
    client sends back at the start of an assistant message is not replayed to the model as text."""
    gw = make_gateway(thoughts_in_content=True, think_tag="thinking")
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "tags"}], "reasoning_effort": "low"}
    content = chat(gw, body).json()["choices"][0]["message"]["content"]
    assert content.startswith("<thinking>") and "</thinking>echo: tags" in content and "<think>" not in content
    r = chat(gw, {**body, "stream": True})
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in r.sse() if c != "[DONE]" and c["choices"])
    assert text == content
    for tag in ("think", "thinking"):
        marker = f"replayed block {tag}"
        history = [{"role": "user", "content": "tags"},
                   {"role": "assistant", "content": f"<{tag}>secret plan</{tag}>\n\necho: tags"},
                   {"role": "user", "content": marker}]
        assert chat(gw, {**body, "messages": history}).status == 200
        sent = upstream_body(fake_api, marker)["contents"][1]
        assert sent == {"role": "model", "parts": [{"text": "echo: tags"}]}


def test_search_suffix_adds_google_search(gw, fake_api):
    r = chat(gw, {"model": "gemini-2.5-flash-search", "messages": [{"role": "user", "content": "news marker-6620"}]})
    assert r.status == 200, r.text
    assert {"googleSearch": {}} in upstream_body(fake_api, "marker-6620")["tools"]


def test_structured_output_keeps_declared_key_order(gw, fake_api):
    """Issue 6 §6: keys declared reasoning, answer, confidence. Gemini writes an OpenAPI schema's keys alphabetically
    unless `propertyOrdering` says otherwise, so the gateway sends the declaration order (as google-genai does)."""
    schema = {"type": "object", "additionalProperties": False, "required": ["reasoning", "answer", "confidence"],
              "properties": {"reasoning": {"type": "string"}, "answer": {"type": "string"},
                             "confidence": {"type": "number"},
                             "detail": {"type": "object", "properties": {"zeta": {"type": "string"},
                                                                         "alpha": {"type": "string"}}}}}
    for stream in (False, True):
        marker = f"ordered keys please {stream}"
        r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": marker}], "stream": stream,
                      "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}})
        assert r.status == 200, r.text
        if stream:
            events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
            content = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e.get("choices"))
        else:
            content = r.json()["choices"][0]["message"]["content"]
        data = json.loads(content)
        assert list(data) == ["reasoning", "answer", "confidence", "detail"]
        assert list(data["detail"]) == ["zeta", "alpha"]
        sent = upstream_body(fake_api, marker)["generationConfig"]["responseSchema"]
        assert sent["propertyOrdering"] == ["reasoning", "answer", "confidence", "detail"]
        assert sent["properties"]["detail"]["propertyOrdering"] == ["zeta", "alpha"]


def test_tool_arguments_keep_declared_key_order(gw, fake_api):
    """Tool parameters get the same `propertyOrdering`, so a forced call's arguments come in declaration order."""
    tool = {"type": "function", "function": {"name": "decide", "parameters": {
        "type": "object", "properties": {"why": {"type": "string"}, "choice": {"type": "string"}},
        "required": ["why", "choice"]}}}
    marker = "ordered tool arguments"
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": marker}],
                  "tools": [tool], "tool_choice": "required"})
    assert r.status == 200, r.text
    args = json.loads(r.json()["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    assert list(args) == ["why", "choice"]
    sent = upstream_body(fake_api, marker)["tools"][0]["functionDeclarations"][0]["parameters"]
    assert sent["propertyOrdering"] == ["why", "choice"]


def test_current_sdk_fields_without_effect_are_accepted(gw, fake_api):
    """Issue 6 §7: current SDKs send `prompt_cache_retention: "24h"`; it was a 400 "Unrecognized request argument"."""
    marker = "cache retention hello"
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": marker}],
                  "prompt_cache_retention": "24h", "prompt_cache_key": "k", "prompt_cache_options": {"ttl": "30m"}})
    assert r.status == 200, r.text
    sent = upstream_body(fake_api, marker)
    assert not {"prompt_cache_retention", "prompt_cache_key", "prompt_cache_options"} & set(json.dumps(sent).split('"'))


def test_moderation_is_refused_saying_why(gw):
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "moderate me"}],
                  "moderation": {"model": "omni-moderation-latest"}})
    assert r.status == 400
    error = r.json()["error"]
    assert error["param"] == "moderation" and "moderation models do not run here" in error["message"]
