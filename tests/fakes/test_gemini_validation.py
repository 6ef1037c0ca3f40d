"""Every request Google rejects, the fake rejects too, with Google's wording."""

from __future__ import annotations

import pytest

from gemgate.testing import SKIP_SIGNATURE_SENTINEL, ThoughtSigner

from tests.support.http import Client
from tests.support.payloads import user

GEN = "/v1beta/models/{model}:generateContent"


def call(http: Client, body: dict, model: str = "gemini-2.5-flash") -> tuple[int, dict]:
    reply = http.post(GEN.format(model=model), body)
    return reply.status, reply.json()


def rejected(http: Client, body: dict, model: str = "gemini-2.5-flash") -> str:
    status, payload = call(http, body, model)
    assert status == 400, payload
    assert payload["error"]["status"] == "INVALID_ARGUMENT"
    return payload["error"]["message"]


def accepted(http: Client, body: dict, model: str = "gemini-2.5-flash") -> dict:
    status, payload = call(http, body, model)
    assert status == 200, payload
    return payload


def with_params(parameters: dict, key: str = "parameters", name: str = "f") -> dict:
    return {"contents": [user("hi")], "tools": [{"functionDeclarations": [{"name": name, key: parameters}]}]}


PARAMS_PATH = "tools[0].function_declarations[0].parameters"


# -- JSON and field names ------------------------------------------------------

def test_malformed_json(http):
    status, _, data = http.post(GEN.format(model="gemini-2.5-flash"), raw=b'{"contents": [}')
    assert status == 400
    assert b"Invalid JSON payload received. Unexpected token." in data


def test_nan_is_not_json(http):
    status, _, data = http.post(GEN.format(model="gemini-2.5-flash"), raw=b'{"generationConfig": {"temperature": NaN}}')
    assert status == 400 and b"Unexpected token" in data


def test_root_must_be_an_object(http):
    status, _, data = http.post(GEN.format(model="gemini-2.5-flash"), raw=b"[1]")
    assert status == 400 and b"Root element must be a message." in data


def test_unknown_top_level_field(http):
    assert rejected(http, {"contents": [user("hi")], "temprature": 1}) == \
        'Invalid JSON payload received. Unknown name "temprature": Cannot find field.'


def test_unknown_nested_field_carries_path_and_field_violation(http):
    status, payload = call(http, {"contents": [{"role": "user", "parts": [{"txt": "hi"}]}]})
    assert status == 400
    message = "Invalid JSON payload received. Unknown name \"txt\" at 'contents[0].parts[0]': Cannot find field."
    assert payload["error"]["message"] == message
    assert payload["error"]["details"] == [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                            "fieldViolations": [{"field": "contents[0].parts[0]",
                                                                 "description": message}]}]


def test_all_unknown_names_are_reported_together(http):
    message = rejected(http, {"contents": [user("hi")], "a": 1, "generationConfig": {"b": 2}})
    assert message.split("\n") == [
        'Invalid JSON payload received. Unknown name "a": Cannot find field.',
        "Invalid JSON payload received. Unknown name \"b\" at 'generation_config': Cannot find field."]


def test_snake_case_and_camel_case_are_both_accepted(http):
    body = {
        "contents": [{"role": "user", "parts": [{"text": 'CALL lookup {"q": "x"}'}]}],
        "system_instruction": {"parts": [{"text": "be kind"}]},
        "tools": [{"function_declarations": [{"name": "lookup", "parameters_json_schema": {"type": "object"}}]}],
        "tool_config": {"function_calling_config": {"mode": "AUTO", "allowed_function_names": ["lookup"]}},
        "generation_config": {"max_output_tokens": 100, "thinking_config": {"include_thoughts": True,
                                                                             "thinking_budget": 128}},
        "safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    }
    payload = accepted(http, body)
    parts = payload["candidates"][0]["content"]["parts"]
    assert parts[0]["thought"] is True  # snake_case thinking config took effect
    assert parts[1]["functionCall"] == {"name": "lookup", "args": {"q": "x"}}


def test_free_form_payloads_keep_their_own_keys(http):
    body = {"contents": [
        user("go"),
        {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"any_key": {"$weird": [1]}}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"$schema": "x", "ok": True}}}]}],
        "tools": [{"functionDeclarations": [{"name": "f"}]}]}
    assert "tool result:" in accepted(http, body)["candidates"][0]["content"]["parts"][0]["text"]


@pytest.mark.parametrize("value, message", [
    ({"temperature": "hot"}, "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\""),
    ({"candidateCount": 1.5}, "Invalid value at 'generation_config.candidate_count' (TYPE_INT32), 1.5"),
    ({"responseLogprobs": "yes"}, "Invalid value at 'generation_config.response_logprobs' (TYPE_BOOL), \"yes\""),
    ({"thinkingConfig": {"thinkingLevel": "EXTREME"}},
     "Invalid value at 'generation_config.thinking_config.thinking_level' "
     "(type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig.ThinkingConfig.ThinkingLevel), "
     "\"EXTREME\""),
    ({"stopSequences": [1]}, "Invalid value at 'generation_config.stop_sequences[0]' (TYPE_STRING), 1"),
])
def test_wrong_scalar_types(http, value, message):
    assert rejected(http, {"contents": [user("hi")], "generationConfig": value}) == message


def test_integer_strings_are_accepted_like_proto_json(http):
    accepted(http, {"contents": [user("hi")], "generationConfig": {"maxOutputTokens": "50"}})


def test_function_call_args_must_be_an_object(http):
    body = {"contents": [user("x"), {"role": "model", "parts": [{"functionCall": {"name": "f", "args": [1]}}]}]}
    assert rejected(http, body) == ("Invalid JSON payload received. Unknown name \"args\" at "
                                    "'contents[1].parts[0].function_call': Proto field is not repeating, "
                                    "cannot start list.")


def test_function_response_must_be_an_object(http):
    body = {"contents": [user("x"), {"role": "model", "parts": [{"functionCall": {"name": "f"}}]},
                         {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": "ok"}}]}]}
    assert rejected(http, body) == ("Invalid value at 'contents[2].parts[0].function_response.response' "
                                    "(type.googleapis.com/google.protobuf.Struct), \"ok\"")


def test_a_part_holds_one_kind_of_data(http):
    body = {"contents": [{"role": "user", "parts": [{"text": "a", "functionCall": {"name": "f"}}]}]}
    assert "Oneof field 'data' is already set" in rejected(http, body)


# -- contents --------------------------------------------------------------------

@pytest.mark.parametrize("body", [{}, {"contents": []}])
def test_contents_must_be_given(http, body):
    assert rejected(http, body) == "* GenerateContentRequest.contents: contents is not specified\n"


def test_parts_must_not_be_empty_and_all_problems_are_listed(http):
    body = {"contents": [user("a"), {"role": "model", "parts": []}, user("b"), {"role": "model"}, user("c")]}
    assert rejected(http, body) == (
        "* GenerateContentRequest.contents[1].parts: contents.parts must not be empty.\n"
        "* GenerateContentRequest.contents[3].parts: contents.parts must not be empty.\n")


def test_a_part_needs_data(http):
    body = {"contents": [{"role": "user", "parts": [{"thought": True}]}]}
    assert rejected(http, body) == ("* GenerateContentRequest.contents[0].parts[0].data: required oneof field "
                                    "'data' must have one initialized field\n")


@pytest.mark.parametrize("role", ["assistant", "system", "function", "USER"])
def test_only_user_and_model_roles(http, role):
    assert rejected(http, {"contents": [{"role": role, "parts": [{"text": "x"}]}]}) == \
        "Please use a valid role: user, model."


def test_role_may_be_omitted(http):
    accepted(http, {"contents": [{"parts": [{"text": "x"}]}]})


def test_function_response_needs_a_preceding_call(http):
    body = {"contents": [user("x"), {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]}
    assert rejected(http, body) == \
        "Please ensure that function response turn comes immediately after a function call turn."


def test_function_response_count_must_match_calls(http):
    body = {"contents": [
        user("x"),
        {"role": "model", "parts": [{"functionCall": {"name": "f"}}, {"functionCall": {"name": "g"}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]}
    assert rejected(http, body) == ("Please ensure that the number of function response parts is equal to the "
                                    "number of function call parts of the function call turn.")


# -- tool declarations ----------------------------------------------------------

@pytest.mark.parametrize("keyword", ["additionalProperties", "$schema", "$ref", "$defs", "const", "$comment",
                                     "examples", "exclusiveMinimum", "additional_properties", "oneOf"])
def test_json_schema_keywords_are_unknown_in_parameters(http, keyword):
    params = {"type": "object", "properties": {"a": {"type": "string"}}, keyword: {}}
    assert rejected(http, with_params(params)) == \
        f"Invalid JSON payload received. Unknown name \"{keyword}\" at '{PARAMS_PATH}': Cannot find field."


def test_unknown_keyword_deep_inside_a_schema(http):
    params = {"type": "object", "properties": {
        "a": {"type": "array", "items": {"type": "object", "properties": {"b": {"type": "string", "const": "x"}}}}}}
    assert rejected(http, with_params(params)) == (
        "Invalid JSON payload received. Unknown name \"const\" at "
        f"'{PARAMS_PATH}.properties[0].value.items.properties[0].value': Cannot find field.")


def test_every_openapi_schema_field_is_known(http):
    params = {"type": "OBJECT", "format": "", "title": "t", "description": "d", "nullable": False,
              "minProperties": 1, "maxProperties": "3", "propertyOrdering": ["s", "n", "l"], "required": ["s"],
              "example": {"s": "x"}, "default": None, "properties": {
                  "s": {"type": "STRING", "enum": ["a", "b"], "minLength": 1, "maxLength": 5, "pattern": "^[ab]$"},
                  "n": {"type": "number", "minimum": 0, "maximum": 9.5},
                  "l": {"type": "ARRAY", "items": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]},
                        "minItems": 0, "maxItems": 2}}}
    accepted(http, with_params(params))


def test_type_list_is_not_repeating(http):
    params = {"type": "object", "properties": {"a": {"type": ["string", "null"]}}}
    assert rejected(http, with_params(params)) == (
        "Invalid JSON payload received. Unknown name \"type\" at "
        f"'{PARAMS_PATH}.properties[0].value': Proto field is not repeating, cannot start list.")


def test_enum_values_must_be_strings(http):
    params = {"type": "object", "properties": {"n": {"type": "integer", "enum": [1, 2]}}}
    assert rejected(http, with_params(params)).split("\n") == [
        f"Invalid value at '{PARAMS_PATH}.properties[0].value.enum[0]' (TYPE_STRING), 1",
        f"Invalid value at '{PARAMS_PATH}.properties[0].value.enum[1]' (TYPE_STRING), 2"]


def test_unknown_type_name(http):
    params = {"type": "object", "properties": {"a": {"type": "text"}}}
    assert rejected(http, with_params(params)) == (
        f"Invalid value at '{PARAMS_PATH}.properties[0].value.type' "
        "(type.googleapis.com/google.ai.generativelanguage.v1beta.Type), \"text\"")


def test_a_schema_must_be_an_object(http):
    params = {"type": "object", "properties": {"a": "string"}}
    assert rejected(http, with_params(params)) == (
        f"Invalid value at '{PARAMS_PATH}.properties[0].value' "
        "(type.googleapis.com/google.ai.generativelanguage.v1beta.Schema), \"string\"")


def test_array_needs_items(http):
    params = {"type": "object", "properties": {"tags": {"type": "array"}}}
    assert rejected(http, with_params(params)) == \
        f"* GenerateContentRequest.{PARAMS_PATH}.properties[tags].items: missing field.\n"


def test_object_properties_must_not_be_empty(http):
    assert rejected(http, with_params({"type": "object", "properties": {}})) == \
        f"* GenerateContentRequest.{PARAMS_PATH}.properties: should be non-empty for OBJECT type\n"
    accepted(http, with_params({"type": "object"}))


def test_required_names_must_be_properties(http):
    params = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "b"]}
    assert rejected(http, with_params(params)) == \
        f"* GenerateContentRequest.{PARAMS_PATH}.required[1]: property is not defined\n"


def test_response_schema_follows_the_same_rules(http):
    body = {"contents": [user("hi")], "generationConfig": {
        "responseMimeType": "application/json",
        "responseSchema": {"type": "OBJECT", "properties": {"p": {"type": "OBJECT", "properties": {}}}}}}
    assert rejected(http, body) == ("* GenerateContentRequest.generation_config.response_schema.properties[p]"
                                    ".properties: should be non-empty for OBJECT type\n")
    body["generationConfig"]["responseSchema"] = {"type": "OBJECT", "additionalProperties": False}
    assert "Unknown name \"additionalProperties\" at 'generation_config.response_schema'" in rejected(http, body)


def test_parameters_json_schema_takes_any_json_schema(http):
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "additionalProperties": False, "$defs": {"x": {"const": 1}},
              "properties": {"a": {"type": ["string", "null"], "examples": ["q"]}, "b": {"$ref": "#/$defs/x"},
                             "c": {"type": "integer", "enum": [1, 2], "exclusiveMinimum": 0}}}
    accepted(http, with_params(schema, key="parametersJsonSchema"))
    body = {"contents": [user("hi")], "generationConfig": {"responseMimeType": "application/json",
                                                           "responseJsonSchema": schema}}
    accepted(http, body)


def test_parameters_and_parameters_json_schema_together(http):
    decl = {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}},
            "parametersJsonSchema": {"type": "object"}}
    message = rejected(http, {"contents": [user("hi")], "tools": [{"functionDeclarations": [decl]}]})
    assert message.startswith("* GenerateContentRequest.tools[0].function_declarations[0].parameters:")


@pytest.mark.parametrize("name", ["1tool", "my tool", "ns/tool", "tool!", "", "é", "a" * 65])
def test_invalid_function_names(http, name):
    assert rejected(http, with_params({"type": "object"}, name=name)) == (
        "* GenerateContentRequest.tools[0].function_declarations[0].name: Invalid function name. Must start "
        "with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), "
        "colons (:), or dashes (-), with a maximum length of 64.\n")


@pytest.mark.parametrize("name", ["_private", "mcp:server.tool-name_2", "A", "a" * 64])
def test_valid_function_names(http, name):
    accepted(http, with_params({"type": "object"}, name=name))


def test_response_mime_type_must_be_supported(http):
    body = {"contents": [user("hi")], "generationConfig": {"responseMimeType": "text/html"}}
    assert rejected(http, body) == (
        "* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are `text/plain`, "
        "`application/json`, `application/xml`, `application/yaml` and `text/x.enum`.\n")


# -- thinking ----------------------------------------------------------------------

def thinking(cfg: dict) -> dict:
    return {"contents": [user("hi")], "generationConfig": {"thinkingConfig": cfg}}


@pytest.mark.parametrize("model, cfg, message", [
    ("gemini-3-flash-preview", {"thinkingBudget": 1024, "thinkingLevel": "HIGH"},
     "You can only set only one of thinking budget and thinking level."),
    ("gemini-2.5-flash", {"thinkingLevel": "HIGH"}, "Thinking level is not supported for this model."),
    ("gemini-3-pro-preview", {"thinkingLevel": "MINIMAL"}, "Thinking level MINIMAL is not supported for this model."),
    ("gemini-2.5-pro", {"thinkingBudget": 0}, "Budget 0 is invalid. This model only works in thinking mode."),
    ("gemini-3-pro-preview", {"thinkingBudget": 0}, "Budget 0 is invalid. This model only works in thinking mode."),
    ("gemini-2.0-flash", {"includeThoughts": True}, "Thinking is not enabled for models/gemini-2.0-flash"),
    ("gemini-2.0-flash", {"thinkingBudget": 512}, "Thinking is not enabled for models/gemini-2.0-flash"),
    # issue 6 §8: each documented range, refused one past its ends (Google's wording: earendil-works/pi#2838)
    ("gemini-2.5-flash", {"thinkingBudget": 24577},
     "The thinking budget 24577 is invalid. Please choose a value between 1 and 24576."),
    ("gemini-2.5-flash", {"thinkingBudget": -2},
     "The thinking budget -2 is invalid. Please choose a value between 1 and 24576."),
    ("gemini-2.5-pro", {"thinkingBudget": 127},
     "The thinking budget 127 is invalid. Please choose a value between 128 and 32768."),
    ("gemini-2.5-pro", {"thinkingBudget": 32769},
     "The thinking budget 32769 is invalid. Please choose a value between 128 and 32768."),
    ("gemini-2.5-flash-lite", {"thinkingBudget": 511},
     "The thinking budget 511 is invalid. Please choose a value between 512 and 24576."),
    ("gemini-2.5-flash-lite", {"thinkingBudget": 24577},
     "The thinking budget 24577 is invalid. Please choose a value between 512 and 24576."),
    ("gemini-2.0-flash", {"thinkingLevel": "LOW"}, "Thinking level is not supported for this model."),
    ("gemini-2.0-flash", {"thinkingBudget": -1}, "Thinking is not enabled for models/gemini-2.0-flash"),
])
def test_thinking_config_rules(http, model, cfg, message):
    assert rejected(http, thinking(cfg), model) == message


@pytest.mark.parametrize("model, cfg", [
    ("gemini-2.5-flash", {"thinkingBudget": 0}),
    ("gemini-2.5-flash", {"thinkingBudget": -1, "includeThoughts": True}),
    ("gemini-2.5-pro", {"thinkingBudget": 32768}),
    ("gemini-3-pro-preview", {"thinkingLevel": "low"}),
    ("gemini-3-flash-preview", {"thinkingLevel": "MINIMAL"}),
    ("gemini-3-flash-preview", {"thinkingBudget": 0}),
    ("gemini-2.0-flash", {"thinkingBudget": 0}),
    # each documented boundary is accepted (ai.google.dev/gemini-api/docs/thinking)
    ("gemini-2.5-flash", {"thinkingBudget": 1}),
    ("gemini-2.5-flash", {"thinkingBudget": 50}),  # issue 6 §2: a recorded response shows Flash honouring 50
    ("gemini-2.5-flash", {"thinkingBudget": 24576}),
    ("gemini-2.5-pro", {"thinkingBudget": 128}),
    ("gemini-2.5-pro", {"thinkingBudget": -1}),
    ("gemini-2.5-flash-lite", {"thinkingBudget": 512}),
    ("gemini-2.5-flash-lite", {"thinkingBudget": 24576}),
    ("gemini-2.5-flash-lite", {"thinkingBudget": 0}),
])
def test_thinking_configs_google_accepts(http, model, cfg):
    accepted(http, thinking(cfg), model)


# -- thought signatures ----------------------------------------------------------------

TOOLS = [{"functionDeclarations": [{"name": "lookup", "parametersJsonSchema": {"type": "object"}}]}]


def loop(call_part: dict, earlier: list | None = None) -> dict:
    return {"tools": TOOLS, "contents": (earlier or []) + [
        user("look it up"),
        {"role": "model", "parts": [call_part]},
        {"role": "user", "parts": [{"functionResponse": {"name": "lookup", "response": {"output": "42"}}}]}]}


def issued_call_part(http: Client, model: str) -> dict:
    first = accepted(http, {"tools": TOOLS, "contents": [user('CALL lookup {"q": 1}')]}, model)
    return first["candidates"][0]["content"]["parts"][0]


def test_gemini3_rejects_an_unsigned_call_in_the_active_loop(http):
    message = rejected(http, loop({"functionCall": {"name": "lookup", "args": {}}}), "gemini-3-pro-preview")
    assert message == (
        "Function call is missing a thought_signature in functionCall parts. This is required for tools to "
        "work correctly, and missing thought_signature may lead to degraded model performance. Additional "
        "data, function call `default_api:lookup` , position 2. Please refer to "
        "https://ai.google.dev/gemini-api/docs/thought-signatures for more details.")


def test_only_the_first_call_of_a_turn_needs_the_signature(http):
    part = issued_call_part(http, "gemini-3-flash-preview")
    body = {"tools": TOOLS, "contents": [
        user("two lookups"),
        {"role": "model", "parts": [part, {"functionCall": {"name": "lookup", "args": {"q": 2}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "lookup", "response": {}}}] * 2}]}
    accepted(http, body, "gemini-3-flash-preview")


def test_unsigned_calls_before_the_last_user_text_are_fine(http):
    old = [user("earlier"), {"role": "model", "parts": [{"functionCall": {"name": "lookup", "args": {}}}]},
           {"role": "user", "parts": [{"functionResponse": {"name": "lookup", "response": {}}}]},
           {"role": "model", "parts": [{"text": "done"}]}]
    part = issued_call_part(http, "gemini-3-pro-preview")
    accepted(http, loop(part, earlier=old), "gemini-3-pro-preview")


def test_gemini25_does_not_require_signatures(http):
    accepted(http, loop({"functionCall": {"name": "lookup", "args": {}}}), "gemini-2.5-flash")


def test_signatures_the_fake_issued_and_the_sentinel_are_accepted(http):
    part = issued_call_part(http, "gemini-3-pro-preview")
    assert "thoughtSignature" in part
    payload = accepted(http, loop(part), "gemini-3-pro-preview")
    assert payload["candidates"][0]["content"]["parts"][0]["text"] == "tool result: 42"
    sentinel = {"functionCall": {"name": "lookup", "args": {}}, "thoughtSignature": SKIP_SIGNATURE_SENTINEL}
    accepted(http, loop(sentinel), "gemini-3-pro-preview")


@pytest.mark.parametrize("model", ["gemini-3-pro-preview", "gemini-2.5-flash"])
def test_made_up_signatures_are_corrupted(http, model):
    forged = {"functionCall": {"name": "lookup", "args": {}}, "thoughtSignature": "CikB0e2Kb7zkpgRyJXXNt6yk"}
    assert rejected(http, loop(forged), model) == "Corrupted thought signature."


def test_signatures_from_another_fake_are_corrupted(http):
    other = ThoughtSigner(b"a different upstream").issue("x")
    part = {"functionCall": {"name": "lookup", "args": {}}, "thoughtSignature": other}
    assert rejected(http, loop(part), "gemini-3-pro-preview") == "Corrupted thought signature."


def test_signature_must_be_base64(http):
    part = {"functionCall": {"name": "lookup", "args": {}}, "thoughtSignature": "not base64!"}
    assert rejected(http, loop(part), "gemini-3-pro-preview") == \
        "Invalid value at 'contents[1].parts[0].thought_signature' (TYPE_BYTES), \"not base64!\""


def test_streaming_requests_are_validated_too(http):
    status, headers, data = http.post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                                      {"contents": []})
    assert status == 400 and headers["Content-Type"] == "text/event-stream"
    assert b"contents is not specified" in data


@pytest.mark.parametrize("model, limit", [("gemini-2.5-flash", 65536), ("gemini-2.0-flash", 8192)])
def test_max_output_tokens_outside_the_models_limit(http, model, limit):
    body = {"contents": [user("hi")], "generationConfig": {"maxOutputTokens": limit + 1}}
    assert rejected(http, body, model) == (
        f"Unable to submit request because it has a maxOutputTokens value of {limit + 1} but the supported range "
        f"is from 1 (inclusive) to {limit + 1} (exclusive). Update the value and try again.")
    assert "maxOutputTokens value of 0" in rejected(http, {"contents": [user("hi")], "generationConfig": {"maxOutputTokens": 0}}, model)
    accepted(http, {"contents": [user("hi")], "generationConfig": {"maxOutputTokens": limit}}, model)


@pytest.mark.parametrize("field, value", [("seed", 1 << 40), ("seed", 2**63 - 1), ("maxOutputTokens", "-2147483649")])
def test_int32_fields_are_range_checked(http, field, value):
    shown = f'"{value}"' if isinstance(value, str) else value
    message = rejected(http, {"contents": [user("hi")], "generationConfig": {field: value}})
    snake = "max_output_tokens" if field == "maxOutputTokens" else field
    assert message == f"Invalid value at 'generation_config.{snake}' (TYPE_INT32), {shown}"


def test_int32_bounds_are_accepted(http):
    accepted(http, {"contents": [user("hi")], "generationConfig": {"seed": 2**31 - 1}})
    accepted(http, {"contents": [user("hi")], "generationConfig": {"seed": -(2**31)}})


def test_response_schema_and_response_json_schema_together(http):
    body = {"contents": [user("hi")], "generationConfig": {
        "responseMimeType": "application/json", "responseSchema": {"type": "STRING"},
        "responseJsonSchema": {"type": "string"}}}
    assert "cannot both be set" in rejected(http, body)


@pytest.mark.parametrize("action, body", [
    ("embedContent", {"content": {"parts": [{"text": ""}]}}),
    ("embedContent", {"content": {"parts": []}}),
    ("batchEmbedContents", {"requests": [
        {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}},
        {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}, {"text": ""}]}}]}),
])
def test_an_empty_embedding_part_is_refused(http, action, body):
    reply = http.post(f"/v1beta/models/gemini-embedding-001:{action}", body)
    assert reply.status == 400
    message = reply.json()["error"]["message"]
    assert "contains an empty Part." in message
    assert ("requests[1].content" in message) == (action == "batchEmbedContents")
