"""The fake's bytes and shapes against real recorded Google responses (read in place)."""

from __future__ import annotations

import json
import re

import pytest

from gemgate.testing.gemini_wire import one_line_json
from tests.support.fixtures import gemini_fixture
from tests.support.http import Client
from tests.support.payloads import key_paths, user
from tests.support.sse import parse_sse

LOUTER_LONG = "junjihashimoto__louter__test-data_gemini_streaming_long_response.json"
LOUTER_CALL = "junjihashimoto__louter__test-data_gemini_streaming_function_calling_response_0.json"
VERCEL = "vercel__ai__packages_google_src___fixtures___"
JS_GENAI = "googleapis__js-genai__test_system_recordings_"
ENVELOPE_ORDER = ["candidates", "usageMetadata", "modelVersion", "responseId"]
CALL_TOOLS = [{"functionDeclarations": [{"name": "weather", "parametersJsonSchema": {
    "type": "object", "properties": {"location": {"type": "string"}}}}]}]


def raw_events(name: str) -> list[str]:
    text = gemini_fixture(name).read_text(encoding="utf-8")
    return [e for e in text.split("\n\n") if e.strip()]


def chunk_lines(name: str) -> list[dict]:
    return [json.loads(line) for line in gemini_fixture(name).read_text().splitlines() if line.strip()]


def recording(name: str) -> dict:
    return json.loads(gemini_fixture(JS_GENAI + name).read_text())["interactions"][0]


def stream(http: Client, model: str, body: dict) -> tuple[dict, list[dict]]:
    status, headers, data = http.post(f"/v1beta/models/{model}:streamGenerateContent?alt=sse", body)
    assert status == 200, data
    return headers, parse_sse(data, exact=True)


# -- byte framing ---------------------------------------------------------

@pytest.mark.parametrize("name", [LOUTER_LONG, LOUTER_CALL])
def test_our_serializer_reproduces_google_sse_lines_byte_for_byte(name):
    events = raw_events(name)
    assert events
    for event in events:
        assert event.startswith("data: ") and "\n" not in event
        payload = event[len("data: "):]
        # Same spacing (", " never; ": " always) and the same \u003c/\u003e escaping.
        assert one_line_json(json.loads(payload)) == payload


def test_fake_sse_framing_matches_the_raw_capture(http):
    status, headers, data = http.post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                                      {"contents": [user("show <b> & </b> tags please")]})
    assert status == 200
    text = data.decode("utf-8")
    # Google frames with CRLF; the louter file was saved with LF only, the rest is identical.
    assert re.fullmatch(r"(data: [^\r\n]+\r\n\r\n)+", text)
    for event in text.split("\r\n\r\n")[:-1]:
        payload = event[len("data: "):]
        assert one_line_json(json.loads(payload)) == payload
        assert '", "' not in payload and '": ' in payload
    assert "\\u003cb\\u003e" in text and "\\u0026" in text and "<" not in text
    assert headers["Content-Type"] == "text/event-stream"
    assert headers["Content-Disposition"] == "attachment"


def test_long_capture_and_fake_share_chunk_structure(http):
    captured = [json.loads(e[len("data: "):]) for e in raw_events(LOUTER_LONG)]
    _, ours = stream(http, "gemini-2.5-flash", {"contents": [user("write a tetris game in python now")]})
    assert key_paths(ours[0]) == key_paths(captured[0])
    assert key_paths(ours[-1]) == key_paths(captured[-1])
    assert captured[-1]["candidates"][0]["finishReason"] == ours[-1]["candidates"][0]["finishReason"] == "STOP"
    for chunk in ours:
        assert list(chunk) == list(captured[0]) == ENVELOPE_ORDER
        assert list(chunk["usageMetadata"]) == list(captured[0]["usageMetadata"])
        assert list(chunk["candidates"][0]) == ["content", "index"] or chunk is ours[-1]
    assert list(ours[-1]["candidates"][0]) == list(captured[-1]["candidates"][0])


def test_function_call_stream_on_25_matches_louter_capture(http):
    captured = json.loads(raw_events(LOUTER_CALL)[0][len("data: "):])
    body = {"contents": [user('CALL weather {"location": "Tokyo"}')], "tools": CALL_TOOLS}
    _, ours = stream(http, "gemini-2.5-flash", body)
    assert len(ours) == 1
    assert key_paths(ours[0]) == key_paths(captured)
    assert list(ours[0]["candidates"][0]) == list(captured["candidates"][0])
    assert list(ours[0]["candidates"][0]["content"]["parts"][0]) == ["functionCall", "thoughtSignature"]


@pytest.mark.parametrize("capture", ["google-text.chunks.txt", "google-reasoning-gemini3.chunks.txt"])
def test_gemini3_text_stream_matches_vercel_chunks(http, capture):
    captured = chunk_lines(VERCEL + capture)
    _, ours = stream(http, "gemini-3-pro-preview", {"contents": [user("How many r are in strawberry?")]})
    assert key_paths(ours[0]) == key_paths(captured[0])
    assert key_paths(ours[-1]) == key_paths(captured[-1])
    assert ours[-1]["candidates"][0]["content"]["parts"][0]["text"] == ""
    for ours_chunk, their_chunk in ((ours[0], captured[0]), (ours[-1], captured[-1])):
        assert list(ours_chunk) == list(their_chunk)
        assert list(ours_chunk["usageMetadata"]) == list(their_chunk["usageMetadata"])
        assert list(ours_chunk["candidates"][0]) == list(their_chunk["candidates"][0])


def test_gemini3_tool_call_stream_matches_vercel_chunks(http):
    captured = chunk_lines(VERCEL + "google-tool-call-gemini3.chunks.txt")
    body = {"contents": [user('CALL weather {"location": "San Francisco"}')], "tools": CALL_TOOLS}
    _, ours = stream(http, "gemini-3-pro-preview", body)
    assert len(ours) == len(captured) == 2
    for ours_chunk, their_chunk in zip(ours, captured):
        assert key_paths(ours_chunk) == key_paths(their_chunk)
    assert ours[0]["candidates"][0]["content"]["parts"][0]["functionCall"] == \
        captured[0]["candidates"][0]["content"]["parts"][0]["functionCall"]


@pytest.mark.parametrize("capture, prompt, tools", [
    ("google-reasoning.json", "How many r are in strawberry?", None),
    ("google-tool-call-gemini3.json", 'CALL weather {"location": "San Francisco"}', CALL_TOOLS),
])
def test_gemini3_non_streamed_response_matches_vercel(http, capture, prompt, tools):
    captured = json.loads(gemini_fixture(VERCEL + capture).read_text())
    body = {"contents": [user(prompt)], **({"tools": tools} if tools else {})}
    reply = http.post("/v1beta/models/gemini-3-pro-preview:generateContent", body)
    status, ours = reply.status, reply.json()
    assert status == 200
    assert key_paths(ours) == key_paths(captured)
    assert list(ours) == list(captured)
    assert list(ours["candidates"][0]) == list(captured["candidates"][0])


def test_pretty_non_stream_body_like_google(http):
    status, headers, data = http.post("/v1beta/models/gemini-2.5-flash:generateContent",
                                      {"contents": [user("hi")]})
    assert status == 200
    assert data.startswith(b'{\n  "candidates": [\n')
    assert headers["Content-Type"] == "application/json; charset=UTF-8"


def test_response_headers_match_recorded_google_headers(http):
    recorded = recording("Chats_Tests_sendMessage_Google_AI_multiple_messages_stream.json")["response"]["headers"]
    _, headers, _ = http.post("/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
                              {"contents": [user("Tell me a story")], "generationConfig": {}})
    ours = {k.lower(): v for k, v in headers.items()}
    for name, value in recorded.items():
        if name in ("Date", "Server-Timing"):
            assert name.lower() in ours
        else:
            assert ours[name.lower()] == value, name
    assert re.fullmatch(r"gfet4t7; dur=\d+", ours["server-timing"])


def test_js_genai_stream_recording_shape(http):
    interaction = recording("Chats_Tests_sendMessage_Google_AI_multiple_messages_stream.json")
    captured = interaction["response"]["bodySegments"]
    _, ours = stream(http, "gemini-2.0-flash", interaction["request"]["bodySegments"][0])
    # That 2025-08 recording predates `index` on streamed candidates; all its other keys we send too.
    assert key_paths(captured[0]) <= key_paths(ours[0])
    allowed_extra = {"usageMetadata.candidatesTokensDetails", "usageMetadata.candidatesTokensDetails.[].modality",
                     "usageMetadata.candidatesTokensDetails.[].tokenCount"}
    assert key_paths(captured[-1]) - key_paths(ours[-1]) <= allowed_extra
    assert ours[-1]["candidates"][0]["finishReason"] == captured[-1]["candidates"][0]["finishReason"]


def test_js_genai_thinking_recording_shape(http):
    interaction = recording("Client_Tests_test_thinking_generate_content_should_return_thought_field.json")
    captured = interaction["response"]["bodySegments"][0]
    body = interaction["request"]["bodySegments"][0]
    # Google charged thinking against maxOutputTokens=20; the fake cuts only the answer, so ask for fewer.
    body["generationConfig"]["maxOutputTokens"] = 5
    reply = http.post("/v1beta/models/gemini-2.5-flash:generateContent", body)
    status, ours = reply.status, reply.json()
    assert status == 200
    thought = ours["candidates"][0]["content"]["parts"][0]
    assert set(thought) == set(captured["candidates"][0]["content"]["parts"][0]) == {"text", "thought"}
    assert ours["candidates"][0]["finishReason"] == captured["candidates"][0]["finishReason"] == "MAX_TOKENS"
    # `turnToken` is a field newer than our model of the API; everything else is shared.
    assert key_paths(captured) - key_paths(ours) == {"turnToken"}


def test_js_genai_json_schema_request_is_accepted_and_answered(http):
    interaction = recording(
        "Client_Tests_generateContent_ML_Dev_should_generate_content_with_given_valid_json_schema_in_"
        "responseJsonSchema.json")
    captured = interaction["response"]["bodySegments"][0]
    reply = http.post("/v1beta/models/gemini-2.5-flash:generateContent",
                      interaction["request"]["bodySegments"][0])
    status, ours = reply.status, reply.json()
    assert status == 200
    ours_value = json.loads(ours["candidates"][0]["content"]["parts"][0]["text"])
    real_value = json.loads(captured["candidates"][0]["content"]["parts"][0]["text"])
    assert set(ours_value) == set(real_value)  # every property (the recorder sorted the schema's keys)
    assert {k: type(v).__name__ for k, v in ours_value.items() if k != "unionField"} == \
        {k: type(v).__name__ for k, v in real_value.items() if k != "unionField"} | \
        {"simpleNumber": "int", "numberWithMinMax": "int", "nullableObjectField": "dict"}
    assert 1 <= ours_value["numberWithMinMax"] <= 10 and 1 <= len(ours_value["stringWithLength"]) <= 10
    assert key_paths(captured) - key_paths(ours) == {"turnToken"}


def test_js_genai_count_tokens_recording_shape(http):
    interaction = recording("Client_Tests_countTokens_ML_Dev_should_count_tokens_with_specified_parameters.json")
    captured = interaction["response"]["bodySegments"][0]
    reply = http.post("/v1beta/models/gemini-2.5-flash:countTokens",
                      interaction["request"]["bodySegments"][0])
    status, ours = reply.status, reply.json()
    assert status == 200
    assert set(ours) <= set(captured)
    assert ours["promptTokensDetails"][0].keys() == captured["promptTokensDetails"][0].keys()
    assert ours["totalTokens"] == 9  # whitespace words; Google's tokenizer said 11


# -- errors ----------------------------------------------------------------

def test_unknown_model_404_equals_the_recorded_body(http):
    interaction = recording("Chats_Tests_sendMessage_Send_message_stream_with_error.json")
    captured = interaction["response"]
    status, headers, data = http.post("/v1beta/models/custom-gemini-2.0-flash:streamGenerateContent?alt=sse",
                                      interaction["request"]["bodySegments"][0])
    assert status == captured["statusCode"] == 404
    assert headers["Content-Type"] == captured["headers"]["Content-Type"] == "text/event-stream"
    assert json.loads(data) == captured["bodySegments"][0]


def test_unknown_model_message_pattern_names_version_and_method(http):
    reply = http.post("/v1/models/gemini-9-ultra:countTokens", {"contents": [user("x")]})
    status, body = reply.status, reply.json()
    assert status == 404
    assert re.fullmatch(r"models/gemini-9-ultra is not found for API version v1, or is not supported for "
                        r"countTokens\. Call ListModels to see the list of available models and their "
                        r"supported methods\.", body["error"]["message"])


def test_429_matches_the_recorded_retry_info_shape(http):
    captured = json.loads(gemini_fixture(VERCEL + "google-429-retry-info.json").read_text())
    status, headers, data = http.post("/v1beta/models/gemini-2.5-flash:generateContent",
                                      {"contents": [user("FAIL 429")]})
    ours = json.loads(data)
    assert status == 429 and headers["Content-Type"] == "application/json; charset=UTF-8"
    assert list(ours["error"]) == list(captured["error"])
    assert ours["error"]["status"] == captured["error"]["status"] == "RESOURCE_EXHAUSTED"
    ours_details = {d["@type"]: d for d in ours["error"]["details"]}
    for detail in captured["error"]["details"]:
        mine = ours_details[detail["@type"]]
        assert key_paths(detail) <= key_paths(mine)
    retry = ours_details["type.googleapis.com/google.rpc.RetryInfo"]["retryDelay"]
    assert re.fullmatch(r"\d+(\.\d+)?s", retry) and 1 <= float(retry[:-1]) <= 2


def test_empty_stream_edge_case_like_the_recording(http):
    # Google once answered 200 text/event-stream with Content-Length 0 and no events at all.
    recorded = recording("Client_Tests_generateContentStream_ML_Dev_should_return_the_headers_in_the_"
                         "sdkHttpResponse_for_each_chunk.json")["response"]
    status, headers, data = http.post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                                      {"contents": [user("EMPTY")]})
    assert status == recorded["statusCode"] == 200
    assert data == b"" and "bodySegments" not in recorded
    for name in ("Content-Type", "Content-Disposition", "Content-Length"):
        assert headers[name] == recorded["headers"][name]
