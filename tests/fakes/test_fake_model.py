"""Every rule of the deterministic fake model, without HTTP."""

from __future__ import annotations

import json

import pytest

from gemgate.testing import ThoughtSigner, plan_reply, single_response, stream_chunks
from gemgate.testing.fake_model import FUNCTION_CALL_FINISH_MESSAGE, count_prompt_tokens

SIGNER = ThoughtSigner(b"unit-test")


def req(text: str, **extra) -> dict:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


def answer_text(reply) -> str:
    return "".join(p.get("text", "") for c in reply.chunks for p in c.parts if not p.get("thought"))


def all_parts(reply) -> list[dict]:
    return [p for c in reply.chunks for p in c.parts]


WEATHER_TOOLS = [{"functionDeclarations": [
    {"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}},
    {"name": "get_time", "parametersJsonSchema": {"type": "object", "properties": {"tz": {"type": "string"}}}},
]}]


def test_plain_text_is_echoed_in_at_least_three_chunks():
    reply = plan_reply(req("the quick brown fox jumps"), "gemini-2.5-flash", signer=SIGNER)
    assert answer_text(reply) == "echo: the quick brown fox jumps"
    assert len(reply.chunks) >= 3
    assert [c.finish_reason for c in reply.chunks][-1] == "STOP"
    assert all(c.finish_reason is None for c in reply.chunks[:-1])


def test_whitespace_is_preserved_exactly():
    text = "line one\n\n  indented   spaces\tand tab "
    reply = plan_reply(req(text), "gemini-2.0-flash", signer=SIGNER)
    assert answer_text(reply) == "echo: " + text


def test_short_reply_uses_fewer_chunks():
    reply = plan_reply(req("hi"), "gemini-2.0-flash", signer=SIGNER)
    assert answer_text(reply) == "echo: hi"
    assert len(reply.chunks) == 2


def test_usage_counts_whitespace_words():
    reply = plan_reply(req("one two three"), "gemini-2.0-flash", signer=SIGNER)
    assert reply.usage.prompt_tokens == 3
    assert reply.usage.candidates_tokens == 4  # "echo: one two three"
    assert reply.usage.thoughts_tokens == 0
    assert reply.usage.total_tokens == 7


def test_prompt_tokens_include_system_instruction_and_history():
    request = {"systemInstruction": {"parts": [{"text": "be brief"}]},
               "contents": [{"role": "user", "parts": [{"text": "a b"}]},
                            {"role": "model", "parts": [{"text": "c"}]},
                            {"role": "user", "parts": [{"text": "d e f"}]}]}
    assert count_prompt_tokens(request) == 8


def test_uses_the_last_user_turn_only():
    request = {"contents": [{"role": "user", "parts": [{"text": "first"}]},
                            {"role": "model", "parts": [{"text": "x"}]},
                            {"role": "user", "parts": [{"text": "second"}, {"text": "part"}]}]}
    assert answer_text(plan_reply(request, "gemini-2.0-flash", signer=SIGNER)) == "echo: second\npart"


def test_call_line_becomes_function_call_with_exact_args():
    reply = plan_reply(req('CALL get_weather {"city": "Paris", "n": [1, 2]}', tools=WEATHER_TOOLS),
                       "gemini-2.0-flash", signer=SIGNER)
    calls = [p["functionCall"] for p in all_parts(reply) if "functionCall" in p]
    assert calls == [{"name": "get_weather", "args": {"city": "Paris", "n": [1, 2]}}]
    assert reply.chunks[-1].finish_reason == "STOP"
    assert reply.chunks[-1].finish_message == FUNCTION_CALL_FINISH_MESSAGE
    assert not any("thoughtSignature" in p for p in all_parts(reply))  # 2.0: no thinking


def test_several_call_lines_are_parallel_calls_in_one_response():
    text = 'look up both\nCALL get_weather {"city": "Oslo"}\nCALL get_time {"tz": "UTC"}'
    reply = plan_reply(req(text, tools=WEATHER_TOOLS), "gemini-2.5-flash", signer=SIGNER)
    call_parts = [p for p in all_parts(reply) if "functionCall" in p]
    assert [p["functionCall"]["name"] for p in call_parts] == ["get_weather", "get_time"]
    assert len({id(c) for c in reply.chunks if any("functionCall" in p for p in c.parts)}) == 1
    # 2.5 thinks by default: the first call (only) carries a signature.
    assert "thoughtSignature" in call_parts[0] and "thoughtSignature" not in call_parts[1]
    assert SIGNER.is_issued(call_parts[0]["thoughtSignature"])


def test_gemini3_signs_first_call_and_closes_with_empty_text_chunk():
    reply = plan_reply(req('CALL get_weather {"city": "Rome"}', tools=WEATHER_TOOLS),
                       "gemini-3-pro-preview", signer=SIGNER)
    assert "thoughtSignature" in reply.chunks[0].parts[0]
    assert reply.chunks[-1].parts == [{"text": ""}]
    assert reply.chunks[-1].finish_reason == "STOP"


def test_gemini25_without_thinking_gives_unsigned_calls():
    gen = {"thinkingConfig": {"thinkingBudget": 0}}
    reply = plan_reply(req('CALL get_weather {"city": "Rome"}', tools=WEATHER_TOOLS, generationConfig=gen),
                       "gemini-2.5-flash", signer=SIGNER)
    assert "functionCall" in reply.chunks[0].parts[0]
    assert "thoughtSignature" not in reply.chunks[0].parts[0]
    assert reply.usage.thoughts_tokens == 0


def test_undeclared_tool_is_treated_as_plain_text():
    text = 'CALL launch_rockets {"count": 3}'
    reply = plan_reply(req(text, tools=WEATHER_TOOLS), "gemini-2.5-flash", signer=SIGNER)
    assert answer_text(reply) == "echo: " + text


def test_mode_none_disables_calls_and_any_forces_one():
    text = 'CALL get_weather {"city": "Rome"}'
    none = {"functionCallingConfig": {"mode": "NONE"}}
    reply = plan_reply(req(text, tools=WEATHER_TOOLS, toolConfig=none), "gemini-2.0-flash", signer=SIGNER)
    assert answer_text(reply) == "echo: " + text
    forced = {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_time"]}}
    reply = plan_reply(req("what time?", tools=WEATHER_TOOLS, toolConfig=forced), "gemini-2.0-flash", signer=SIGNER)
    assert reply.chunks[0].parts[0]["functionCall"] == {"name": "get_time", "args": {"tz": "what time?"}}


def test_tool_result_is_reported_back():
    request = {"contents": [
        {"role": "user", "parts": [{"text": "weather?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {}}},
                                    {"functionCall": {"name": "b", "args": {}}},
                                    {"functionCall": {"name": "c", "args": {}}}]},
        {"role": "user", "parts": [
            {"functionResponse": {"name": "a", "response": {"output": "sunny"}}},
            {"functionResponse": {"name": "b", "response": {"result": "12:00"}}},
            {"functionResponse": {"name": "c", "response": {"temp": 21, "unit": "C"}}},
        ]},
    ]}
    reply = plan_reply(request, "gemini-2.0-flash", signer=SIGNER)
    assert answer_text(reply) == 'tool result: sunny; 12:00; {"temp":21,"unit":"C"}'


def test_tool_result_prefers_content_string():
    request = {"contents": [{"role": "user", "parts": [
        {"functionResponse": {"name": "a", "response": {"content": "file body", "extra": 1}}}]}]}
    assert answer_text(plan_reply(request, "gemini-2.0-flash", signer=SIGNER)) == "tool result: file body"


def test_thinking_parts_come_first_and_25_signs_first_answer_part():
    gen = {"thinkingConfig": {"includeThoughts": True, "thinkingBudget": 1024}}
    reply = plan_reply(req("why is the sky blue", generationConfig=gen), "gemini-2.5-flash", signer=SIGNER)
    first = reply.chunks[0].parts[0]
    assert first["thought"] is True and first["text"]
    answer_parts = [p for p in all_parts(reply) if not p.get("thought")]
    assert SIGNER.is_issued(answer_parts[0]["thoughtSignature"])
    assert reply.usage.thoughts_tokens > 0
    assert answer_text(reply) == "echo: why is the sky blue"


def test_gemini3_text_signature_rides_on_trailing_empty_part():
    gen = {"thinkingConfig": {"includeThoughts": True, "thinkingLevel": "HIGH"}}
    reply = plan_reply(req("count the letters please", generationConfig=gen), "gemini-3-flash-preview",
                       signer=SIGNER)
    assert reply.chunks[0].parts[0]["thought"] is True
    last = reply.chunks[-1]
    assert last.parts[0]["text"] == "" and SIGNER.is_issued(last.parts[0]["thoughtSignature"])
    assert last.finish_reason == "STOP"


def test_include_thoughts_with_zero_budget_shows_no_thoughts():
    gen = {"thinkingConfig": {"includeThoughts": True, "thinkingBudget": 0}}
    reply = plan_reply(req("hello you there", generationConfig=gen), "gemini-2.5-flash", signer=SIGNER)
    assert not any(p.get("thought") for p in all_parts(reply))
    assert reply.usage.thoughts_tokens == 0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 503])
def test_fail_directive_fails_every_attempt(status):
    for first in (True, False):
        reply = plan_reply(req(f"FAIL {status}"), "gemini-2.5-flash", first_attempt=first, signer=SIGNER)
        assert reply.is_error and reply.status == status and not reply.fail_once


def test_fail_429_carries_a_short_retry_delay_and_accepts_an_override():
    assert plan_reply(req("FAIL 429"), "gemini-2.5-flash").retry_delay == 1.0
    assert plan_reply(req("FAIL 429 0.2"), "gemini-2.5-flash").retry_delay == 0.2
    assert plan_reply(req("FAIL 503"), "gemini-2.5-flash").retry_delay is None


def test_fail_once_only_fails_the_first_attempt():
    first = plan_reply(req("FAIL-ONCE 503\nhello"), "gemini-2.5-flash", first_attempt=True)
    assert first.is_error and first.status == 503 and first.fail_once
    retry = plan_reply(req("FAIL-ONCE 503\nhello"), "gemini-2.5-flash", first_attempt=False, signer=SIGNER)
    assert not retry.is_error and answer_text(retry) == "echo: FAIL-ONCE 503\nhello"


def test_slow_sets_the_initial_silence():
    reply = plan_reply(req("SLOW 0.25\nhi"), "gemini-2.0-flash", signer=SIGNER)
    assert reply.delay == 0.25 and answer_text(reply) == "echo: SLOW 0.25\nhi"


def test_empty_directive_yields_no_chunks():
    reply = plan_reply(req("EMPTY"), "gemini-2.0-flash", signer=SIGNER)
    assert reply.chunks == [] and not reply.is_error


def test_max_output_tokens_cuts_words_and_reports_max_tokens():
    gen = {"maxOutputTokens": 3}
    reply = plan_reply(req("one two three four five", generationConfig=gen), "gemini-2.0-flash", signer=SIGNER)
    assert answer_text(reply) == "echo: one two"
    assert reply.chunks[-1].finish_reason == "MAX_TOKENS"
    assert reply.usage.candidates_tokens == 3


def test_stop_sequences_end_the_text():
    reply = plan_reply(req("alpha beta STOPHERE gamma", generationConfig={"stopSequences": ["STOPHERE"]}),
                       "gemini-2.0-flash", signer=SIGNER)
    assert answer_text(reply) == "echo: alpha beta "
    assert reply.chunks[-1].finish_reason == "STOP"


def test_json_mode_without_schema():
    reply = plan_reply(req("hi there", generationConfig={"responseMimeType": "application/json"}),
                       "gemini-2.0-flash", signer=SIGNER)
    assert json.loads(answer_text(reply)) == {"echo": "hi there"}


def test_json_mode_with_openapi_schema():
    schema = {"type": "OBJECT", "properties": {
        "name": {"type": "STRING"}, "age": {"type": "INTEGER", "minimum": 1},
        "tags": {"type": "ARRAY", "items": {"type": "STRING", "enum": ["a", "b"]}},
        "ok": {"type": "BOOLEAN"}, "score": {"type": "NUMBER"}, "nick": {"type": "STRING", "nullable": True}},
        "propertyOrdering": ["ok", "name"]}
    gen = {"responseMimeType": "application/json", "responseSchema": schema}
    value = json.loads(answer_text(plan_reply(req("Ada", generationConfig=gen), "gemini-2.0-flash", signer=SIGNER)))
    assert value == {"ok": True, "name": "Ada", "age": 1, "tags": ["a"], "score": 0, "nick": "Ada"}
    assert list(value)[:2] == ["ok", "name"]
    # Past the ordering, Gemini writes an OpenAPI schema's keys alphabetically (structured-output guide,
    # "Property ordering"; livekit/agents-js#2529); a JSON Schema keeps its declaration order.
    assert list(value) == ["ok", "name", "age", "nick", "score", "tags"]


@pytest.mark.parametrize("field, order", [
    ("responseSchema", ["answer", "confidence", "reasoning"]),
    ("responseJsonSchema", ["reasoning", "answer", "confidence"]),
])
def test_key_order_without_property_ordering(field, order):
    schema = {"type": "object", "properties": {"reasoning": {"type": "string"}, "answer": {"type": "string"},
                                               "confidence": {"type": "number"}}}
    gen = {"responseMimeType": "application/json", field: schema}
    value = json.loads(answer_text(plan_reply(req("x", generationConfig=gen), "gemini-2.5-flash", signer=SIGNER)))
    assert list(value) == order


def test_json_mode_with_json_schema_like_the_recorded_request():
    schema = {"type": "object", "$defs": {"inner": {"type": "object", "properties": {"n": {"type": "number"}}}},
              "properties": {
                  "when": {"type": "string", "format": "date-time"},
                  "short": {"type": "string", "maxLength": 3},
                  "maybe": {"anyOf": [{"type": "null"}, {"type": "array", "items": {"type": "string"}}]},
                  "either": {"type": ["null", "integer"], "maximum": -2},
                  "ref": {"$ref": "#/$defs/inner"},
                  "fixed": {"const": "k"}},
              "required": ["when"], "additionalProperties": False}
    gen = {"responseMimeType": "application/json", "responseJsonSchema": schema}
    value = json.loads(answer_text(plan_reply(req("hello world", generationConfig=gen), "gemini-2.5-flash",
                                              signer=SIGNER)))
    assert value == {"when": "2025-01-01T00:00:00Z", "short": "hel", "maybe": ["hello world"],
                     "either": -2, "ref": {"n": 0}, "fixed": "k"}


def test_enum_mime_type_answers_first_enum_value():
    gen = {"responseMimeType": "text/x.enum", "responseSchema": {"type": "STRING", "enum": ["flash", "pro"]}}
    reply = plan_reply(req("pick", generationConfig=gen), "gemini-2.0-flash", signer=SIGNER)
    assert answer_text(reply) == "flash"


def test_candidate_count_replicates_candidates():
    reply = plan_reply(req("a b c", generationConfig={"candidateCount": 3}), "gemini-2.0-flash", signer=SIGNER)
    for chunk in stream_chunks(reply, "gemini-2.0-flash"):
        assert [c["index"] for c in chunk["candidates"]] == [0, 1, 2]
    merged = single_response(reply, "gemini-2.0-flash")
    assert {c["content"]["parts"][0]["text"] for c in merged["candidates"]} == {"echo: a b c"}


def test_replies_are_deterministic():
    gen = {"thinkingConfig": {"includeThoughts": True}}
    a = plan_reply(req("same prompt here", generationConfig=gen), "gemini-3-pro-preview", signer=SIGNER)
    b = plan_reply(req("same prompt here", generationConfig=gen), "gemini-3-pro-preview", signer=SIGNER)
    assert a == b


def test_malformed_function_call_like_the_capture():
    reply = plan_reply(req("MALFORMED"), "gemini-3-pro-preview", signer=SIGNER)
    chunks = stream_chunks(reply, "gemini-3-pro-preview")
    # As in the gemini-cli capture: a candidate with only finishReason and index, no content.
    assert chunks[-1]["candidates"] == [{"finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}]
    again = plan_reply(req("MALFORMED"), "gemini-3-pro-preview", first_attempt=False, signer=SIGNER)
    assert again.chunks[-1].finish_reason == "MALFORMED_FUNCTION_CALL" and not again.fail_once
    once = plan_reply(req("MALFORMED-ONCE"), "gemini-2.5-flash", first_attempt=False, signer=SIGNER)
    assert answer_text(once) == "echo: MALFORMED-ONCE"
