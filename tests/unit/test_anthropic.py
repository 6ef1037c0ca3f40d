"""The Anthropic Messages translation, pure: request fields -> Gemini, Gemini parts -> blocks, error shapes."""

from __future__ import annotations

import pytest

from gemgate.catalog import Catalog, apply_model_spec
from gemgate.dialects.anthropic.errors import anthropic_error_body, anthropic_status
from gemgate.dialects.anthropic.reply import anthropic_usage, stop_reason
from gemgate.dialects.anthropic.request import parse_count_tokens, parse_messages
from gemgate.dialects.base import ParseInput, RenderContext
from gemgate.errors import GatewayError
from gemgate.gemini.signatures import SignatureStore
from gemgate.gemini.thinking import ThinkingRequest

BASH = {"name": "Bash", "input_schema": {"type": "object", "properties": {"n": {"type": "integer", "enum": [1, 2]}}}}


def catalog() -> Catalog:
    cat = Catalog()
    cat.replace({"gemini-api": {m: {"name": f"models/{m}"} for m in ("gemini-2.5-flash", "gemini-3-pro-preview", "gemini-2.0-flash")}})
    return cat


def parse(**fields):
    body = {"model": "gemini-2.5-flash", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}], **fields}
    return parse_messages(ParseInput(body, {}, {}, {}))


def bad(param: str, **fields) -> str:
    with pytest.raises(GatewayError) as info:
        parse(**fields)
    assert info.value.status == 400 and info.value.param == param, (info.value.param, info.value.message)
    return info.value.message


@pytest.mark.parametrize(("fields", "want"), [
    ({}, ThinkingRequest(include_thoughts=False, adaptive=True)),
    ({"output_config": {"effort": "medium"}}, ThinkingRequest(effort="medium", include_thoughts=False, adaptive=True)),
    ({"thinking": {"type": "disabled"}}, ThinkingRequest(effort="none", include_thoughts=False, adaptive=True)),
    ({"thinking": {"type": "adaptive"}}, ThinkingRequest(effort="auto", include_thoughts=True, adaptive=True)),
    ({"thinking": {"type": "adaptive", "display": "omitted"}, "output_config": {"effort": "xhigh"}},
     ThinkingRequest(effort="max", include_thoughts=False, adaptive=True)),
    ({"thinking": {"type": "enabled", "budget_tokens": 4096}, "output_config": {"effort": "low"}},
     ThinkingRequest(budget=4096, include_thoughts=True, param="thinking.budget_tokens")),
])
def test_thinking_fields(fields, want):
    assert parse(**fields).thinking == want


def test_thinking_configs_per_model():
    cat = catalog()
    for model, fields, config in [
        ("gemini-2.5-flash", {"thinking": {"type": "enabled", "budget_tokens": 2048}}, {"includeThoughts": True, "thinkingBudget": 2048}),
        ("gemini-3-pro-preview", {"thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}},
         {"includeThoughts": True, "thinkingLevel": "LOW"}),
        ("gemini-2.5-flash", {"thinking": {"type": "disabled"}}, {"includeThoughts": False, "thinkingBudget": 0}),
    ]:
        work = parse(**fields)
        apply_model_spec(work.request, cat.resolve(model), work.thinking, work.names)
        assert work.request["generationConfig"]["thinkingConfig"] == config, model
    # Claude Code's adaptive thinking with effort on a model that cannot think: answered without thinking.
    work = parse(thinking={"type": "adaptive"}, output_config={"effort": "high"})
    apply_model_spec(work.request, cat.resolve("gemini-2.0-flash"), work.thinking, work.names)
    assert "thinkingConfig" not in work.request["generationConfig"]
    work = parse(thinking={"type": "enabled", "budget_tokens": 2048})
    with pytest.raises(GatewayError) as info:  # an explicit budget is strict
        apply_model_spec(work.request, cat.resolve("gemini-2.0-flash"), work.thinking, work.names)
    assert info.value.param == "thinking.budget_tokens"


def test_signatures_from_thinking_blocks():
    work = parse(tools=[BASH], messages=[
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "gemini:SIG-A"},
            {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"n": 1}},
            {"type": "thinking", "thinking": "again", "signature": "EqQBCkgIBxABGAIiQ...anthropic"},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}},
            {"type": "tool_use", "id": "t2", "name": "Bash", "input": {"n": 2}},
        ]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "1"},
                                     {"type": "tool_result", "tool_use_id": "t2", "content": [{"type": "text", "text": "{\"ok\": 2}"}]}]},
    ])
    model = work.request["contents"][1]["parts"]
    assert model == [{"functionCall": {"name": "Bash", "args": {"n": 1}}, "thoughtSignature": "SIG-A"},
                     {"functionCall": {"name": "Bash", "args": {"n": 2}}}]  # Anthropic's own signature is not sent
    assert [(r.call_id, r.first_in_turn) for r in work.signatures] == [("t1", True), ("t2", False)]
    responses = [p["functionResponse"]["response"] for p in work.request["contents"][2]["parts"]]
    assert responses == [{"result": "1"}, {"ok": 2}]


def test_documents_search_results_and_media_refs():
    work = parse(messages=[{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain doc"}},
        {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "inner"}]}},
        {"type": "search_result", "source": "https://e.x", "title": "T", "content": [{"type": "text", "text": "found"}]},
        {"type": "image", "source": {"type": "url", "url": "https://e.x/a.png"}},
    ]}])
    parts = work.request["contents"][0]["parts"]
    assert parts[:3] == [{"text": "plain doc"}, {"text": "inner"}, {"text": "T https://e.x\nfound"}]
    assert [(m.url, m.param) for m in work.media] == [("https://e.x/a.png", "messages[0].content[3].source.url")]
    assert parts[3] is work.media[0].part


def test_tools_and_choices():
    work = parse(tools=[BASH, {"name": "my tool!", "input_schema": None},
                        {"type": "bash_20250124", "name": "bash"}, {"type": "web_search_20250305", "name": "web_search"}],
                 tool_choice={"type": "auto", "disable_parallel_tool_use": True})
    names = [d["name"] for d in work.request["tools"][0]["functionDeclarations"]]
    assert names == ["Bash", "my_tool_"] and len(work.request["tools"]) == 1
    assert work.request["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert any("bash_20250124" in n for n in work.adjusted) and any("web_search left out" in n for n in work.adjusted)
    assert parse(tools=[BASH], tool_choice={"type": "none"}).request["toolConfig"]["functionCallingConfig"] == {"mode": "NONE"}
    assert "tools" not in parse(tool_choice={"type": "auto"}).request
    bad("tool_choice", tool_choice={"type": "any"})
    bad("tool_choice.name", tools=[BASH], tool_choice={"type": "tool", "name": "Other"})
    bad("tools[1].name", tools=[BASH, BASH])


def test_structured_output_and_sampling():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    config = parse(output_config={"format": {"type": "json_schema", "schema": schema}}, temperature=1.5, top_k=5).request["generationConfig"]
    assert config["responseMimeType"] == "application/json" and config["responseSchema"]["type"] == "object"
    assert (config["temperature"], config["topK"], config["maxOutputTokens"]) == (1.5, 5, 10)
    assert parse(output_format={"type": "json_schema", "schema": schema}).request["generationConfig"]["responseMimeType"]


def test_field_errors():
    assert bad("max_tokens", max_tokens=0)
    assert "Extra inputs" in bad("nonsense", nonsense=1)
    bad("output_config.verbosity", output_config={"verbosity": 1})
    bad("temperature", temperature=2.5)
    bad("stop_sequences", stop_sequences=["a"] * 6)
    bad("thinking.budget_tokens", thinking={"type": "enabled"})
    bad("mcp_servers", mcp_servers=[{"type": "url", "url": "https://mcp.example"}])
    bad("messages[0].role", messages=[{"role": "tool", "content": "x"}])
    bad("messages[0].content[0].source.type",
        messages=[{"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}])
    bad("messages[0].content[0].source.data",
        messages=[{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "!!"}}]}])
    bad("messages[1].content[0].type", messages=[{"role": "user", "content": "x"},
                                                  {"role": "assistant", "content": [{"type": "image", "source": {}}]}])
    bad("model", model=3)
    bad("stream", stream="yes")
    bad("max_tokens", max_tokens=None)


def test_count_tokens_body():
    body = {"model": "gemini-2.5-flash", "system": "s", "tools": [BASH], "messages": [{"role": "user", "content": "hi"}]}
    unary = parse_count_tokens(ParseInput(body, {}, {}, {}))
    built = unary.build(catalog().resolve("gemini-2.5-flash"))["generateContentRequest"]
    assert built["model"] == "models/gemini-2.5-flash" and built["systemInstruction"] == {"parts": [{"text": "s"}]}
    assert unary.render({"totalTokens": 7}, None) == {"input_tokens": 7}
    # An image by URL is left for the pipeline's fetcher, as /v1/messages leaves it (it was refused here).
    by_url = parse_count_tokens(ParseInput({**body, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://e.x/a.png"}}]}]}, {}, {}, {}))
    assert [(m.url, m.param) for m in by_url.media] == [("https://e.x/a.png", "messages[0].content[0].source.url")]


async def test_reply_blocks_and_signatures():
    work = parse(tools=[BASH, {"name": "my tool!", "input_schema": None}])
    store = SignatureStore(None)
    response = {"candidates": [{"index": 0, "finishReason": "STOP", "content": {"parts": [
        {"text": "plan", "thought": True},
        {"functionCall": {"name": "Bash", "args": {"n": "2"}}, "thoughtSignature": "S1"},
        {"functionCall": {"name": "my_tool_", "args": {}}},
        {"text": "after", "thoughtSignature": "S2"},
    ]}}], "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 3, "thoughtsTokenCount": 2,
                            "cachedContentTokenCount": 4}}
    message = await work.reply.whole(response, RenderContext(store, thoughts_in_content=True))
    thinking, call, other, text = message["content"]
    assert thinking == {"type": "thinking", "thinking": "plan", "signature": "gemini:S1"}
    assert call["input"] == {"n": 2} and call["name"] == "Bash" and other["name"] == "my tool!"
    assert text == {"type": "text", "text": "after"}  # thoughts_in_content never puts thoughts in text here
    assert message["stop_reason"] == "tool_use"
    assert message["usage"] == {"input_tokens": 6, "output_tokens": 5, "cache_creation_input_tokens": 0,
                                "cache_read_input_tokens": 4}
    assert await store.get_many([call["id"], other["id"]]) == {call["id"]: "S1"}


def test_stop_reasons_usage_and_errors():
    assert [stop_reason(r, c, b) for r, c, b in [("STOP", False, False), ("STOP", True, False), ("MAX_TOKENS", True, False),
                                                ("SAFETY", False, False), (None, False, True), ("OTHER", False, False)]] == \
        ["end_turn", "tool_use", "max_tokens", "refusal", "refusal", "end_turn"]
    assert anthropic_usage(None) == {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                                     "cache_read_input_tokens": 0}
    cases = [(GatewayError(400, "m"), 400, "invalid_request_error"), (GatewayError(401, "m"), 401, "authentication_error"),
             (GatewayError(403, "m"), 403, "permission_error"), (GatewayError(404, "m"), 404, "not_found_error"),
             (GatewayError(413, "m"), 413, "request_too_large"), (GatewayError(408, "m"), 408, "invalid_request_error"),
             (GatewayError(429, "m"), 429, "rate_limit_error"), (GatewayError(500, "m"), 500, "api_error"),
             (GatewayError(502, "m", upstream=True), 502, "api_error"),
             (GatewayError(503, "m", upstream=True), 529, "overloaded_error"),
             (GatewayError(503, "no accounts"), 503, "api_error"),
             (GatewayError(429, "m", code="all_accounts_cooling"), 529, "overloaded_error")]
    for err, status, kind in cases:
        assert anthropic_status(err) == status
        assert anthropic_error_body(err) == {"type": "error", "error": {"type": kind, "message": "m" if err.message == "m" else err.message}}


@pytest.mark.parametrize("tool_use_id", [["toolu_1"], {"a": 1}, None, 5])
def test_tool_result_id_must_be_a_string(tool_use_id):
    """A tool_result answering a tool_use with an id that is not a string is a 400 naming it, never a 500
    (found attacking issue 10: a list or object id raised TypeError: unhashable type)."""
    messages = [{"role": "user", "content": "x"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use_id, "content": "r"}]}]
    bad("messages[2].content[0].tool_use_id", messages=messages, tools=[BASH])
