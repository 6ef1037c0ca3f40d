"""Issue 7 §4: bad input is a 400 naming the field, in the caller's format — never a 500.

Each case is one found by the attacker run (a 500, a misnamed parameter, or a silent acceptance)."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.support.http import Client

MODEL = "gemini-2.5-flash"
USER = [{"role": "user", "content": "hi"}]
TOOLS = [{"type": "function", "function": {"name": "abc", "parameters": {"type": "object"}}}]
CALL = {"type": "function", "function": {"name": "abc", "arguments": "{}"}}


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def keeps_connection(gw, path: str, body: dict) -> bool:
    """The bad request and then a good one on the same keep-alive connection: the second must be answered
    (a 500 used to close the connection without saying so)."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    headers = {"Authorization": f"Bearer {gw.key}", "Content-Type": "application/json"}
    try:
        conn.request("POST", path, json.dumps(body), headers)
        first = conn.getresponse()
        first.read()
        if first.getheader("connection", "").lower() == "close":
            return False
        conn.request("GET", "/v1/models", headers=headers)
        return conn.getresponse().status == 200
    finally:
        conn.close()


def chat(**fields) -> dict:
    return {"model": MODEL, "messages": USER, **fields}


CHAT_CASES = [
    # were 500s
    ("tool_choice function is a string", chat(tools=TOOLS, tool_choice={"function": "abc"}), "tool_choice.function"),
    ("modalities item is an object", chat(modalities=[{}]), "modalities[0]"),
    (
        "file filename is a number",
        chat(messages=[{"role": "user", "content": [{"type": "file", "file": {"file_data": "QUJD", "filename": 5}}]}]),
        "messages[0].content[0].file.filename",
    ),
    ("tool call id is a list", chat(messages=USER + [{"role": "assistant", "tool_calls": [{**CALL, "id": [1]}]}]), "messages[1].tool_calls[0].id"),
    ("tool call id is an object", chat(messages=USER + [{"role": "assistant", "tool_calls": [{**CALL, "id": {"a": 1}}]}]), "messages[1].tool_calls[0].id"),
    ("tool name is a list", chat(messages=USER + [{"role": "tool", "tool_call_id": "zz", "name": [1], "content": "1"}]), "messages[1].name"),
    ("tool name is an object", chat(messages=USER + [{"role": "tool", "tool_call_id": "zz", "name": {"a": 1}, "content": "1"}]), "messages[1].name"),
    ("extra_body is a string", chat(extra_body="x"), "extra_body"),
    ("think depth of 5000 digits", chat(model=MODEL + "@think=" + "9" * 5000), "model"),
    ("JSON nested 300 deep in a pass-through field", chat(metadata={"x": nested(300)}), None),
    (
        "tool arguments nested 300 deep",
        chat(messages=USER + [{"role": "assistant", "tool_calls": [{**CALL, "id": "c1", "function": {"name": "abc", "arguments": "[" * 300 + "]" * 300}}]}]),
        "messages[1].tool_calls[0].function.arguments",
    ),
    (
        "tool result nested 300 deep",
        chat(messages=USER + [{"role": "assistant", "tool_calls": [{**CALL, "id": "c1"}]},
                              {"role": "tool", "tool_call_id": "c1", "content": '{"a":' + "[" * 300 + "]" * 300 + "}"}]),
        "messages[2].content",
    ),
    # misnamed parameters
    ("functions item is a number", chat(functions=[5]), "functions[0]"),
    ("function_call name is a list", chat(functions=[{"name": "f"}], function_call={"name": [1]}), "function_call.name"),
    # accepted silently before
    ("web_search_options is a number", chat(web_search_options=5), "web_search_options"),
    ("top_logprobs is a string", chat(top_logprobs="x"), "top_logprobs"),
    ("parallel_tool_calls is a string", chat(parallel_tool_calls="x"), "parallel_tool_calls"),
    ("include_usage is a string", chat(stream=True, stream_options={"include_usage": "yes"}), "stream_options.include_usage"),
    ("think depth is a non-ASCII digit", chat(model=MODEL + "@think=٣"), "model"),
    ("two efforts", chat(model=MODEL + "-high-low"), "model"),
]


@pytest.mark.parametrize("body, param", [c[1:] for c in CHAT_CASES], ids=[c[0] for c in CHAT_CASES])
def test_chat_bad_input_is_400(gw, body, param):
    client = Client(gw.url, gw.key)
    r = client.post("/v1/chat/completions", body)
    assert r.status == 400, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"] == param, error
    assert keeps_connection(gw, "/v1/chat/completions", body)


@pytest.mark.parametrize(
    "body, param, words",
    [
        ({"model": MODEL + "@think=" + "9" * 5000, "input": "x"}, "model", "at most 256"),
        ({"model": "text-embedding-004", "input": [None]}, "input[0]", "must be a string"),
        ({"model": "text-embedding-004", "input": [1, 2, 3]}, "input", "token array"),
        ({"model": "text-embedding-004", "input": [[1, 2]]}, "input[0]", "token array"),
        ({"model": "text-embedding-004", "input": "x", "user": 5}, "user", "must be a string"),
    ],
)
def test_embeddings_bad_input_is_400(gw, body, param, words):
    r = Client(gw.url, gw.key).post("/v1/embeddings", body)
    assert r.status == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param and words in error["message"], error


HI = [{"role": "user", "parts": [{"text": "hi"}]}]


@pytest.mark.parametrize(
    "model, body, words",
    [
        (MODEL + "@think=" + "9" * 5000, {"contents": HI}, "at most 256"),
        (MODEL, {"contents": HI, "generationConfig": []}, "'generationConfig' must be an object"),
        (MODEL + "-low", {"contents": HI, "generationConfig": []}, "'generationConfig' must be an object"),
        (MODEL + "-search", {"contents": HI, "tools": 5}, "'tools' must be an array"),
        (MODEL, {"contents": HI, "labels": {"x": nested(300)}}, "deeper than 100"),
        (MODEL, {"contents": [{"role": "user", "parts": "hi"}]}, "'contents[0].parts' must be an array"),
        (MODEL, {"contents": [5]}, "'contents[0]' must be an object"),
        (MODEL, {"contents": HI, "systemInstruction": {"parts": [5]}}, "'systemInstruction.parts[0]'"),
        (MODEL, {"contents": HI, "tools": [{"functionDeclarations": {}}]}, "'tools[0].functionDeclarations'"),
        # found by the generator (test_fuzz_routes)
        (MODEL, {"contents": HI + [{"role": "user", "parts": [{"functionResponse": None}]}]}, "'contents[1].parts[0].functionResponse'"),
        (MODEL, {"contents": [{"role": "user", "parts": [{"text": 5}]}]}, "'contents[0].parts[0].text'"),
    ],
)
def test_gemini_native_bad_input_is_400(gw, model, body, words):
    r = Client.gemini(gw.url, gw.key).post(f"/v1beta/models/{model}:generateContent", body)
    assert r.status == 400, r.text
    error = r.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and words in error["message"], error


@pytest.mark.parametrize("model, body", [
    (MODEL + "-low", {"contents": HI, "generationConfig": None}),  # was a 500: None["thinkingConfig"] = ...
    (MODEL + "-search", {"contents": HI, "tools": None}),
])
def test_gemini_native_null_fields_are_absent(gw, model, body):
    r = Client.gemini(gw.url, gw.key).post(f"/v1beta/models/{model}:generateContent", body)
    assert r.status == 200, r.text


def test_huge_embedding_dimensions_are_refused_by_the_fake_not_hung(gw):
    """The fake built a vector of any asked size (2**63 hung the test run); Google stops at 3072."""
    r = Client(gw.url, gw.key).post("/v1/embeddings", {"model": "gemini-embedding-001", "input": "x", "dimensions": 5000})
    assert r.status == 400 and "3072" in r.json()["error"]["message"], r.text
    # beyond Gemini's int32 field: the gateway's own 400 (Google's proto parser would refuse it)
    r = Client(gw.url, gw.key).post("/v1/embeddings", {"model": "gemini-embedding-001", "input": "x", "dimensions": 2**62})
    assert r.status == 400 and r.json()["error"]["param"] == "dimensions", r.text
