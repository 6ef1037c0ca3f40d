"""gemini.normalise: one test per rule, each checked against the fake's validator (what Google rejects)."""

from __future__ import annotations

import copy

import pytest

from gemgate.errors import GatewayError
from gemgate.gemini.normalise import CONTINUATION, normalise_history
from gemgate.testing.gemini_errors import GoogleApiError
from gemgate.testing.gemini_validation import validate_generate_request
from gemgate.testing.thought_signatures import ThoughtSigner

MODEL = "gemini-2.5-flash"


def user(*parts):
    return {"role": "user", "parts": list(parts)}


def model(*parts):
    return {"role": "model", "parts": list(parts)}


def text(t):
    return {"text": t}


def call(name, id=None, **args):
    fc = {"name": name, "args": args}
    if id:
        fc["id"] = id
    return {"functionCall": fc}


def response(name, id=None, **body):
    fr = {"name": name, "response": body}
    if id:
        fr["id"] = id
    return {"functionResponse": fr}


def google_accepts(request: dict) -> bool:
    try:
        validate_generate_request(request, MODEL, ThoughtSigner())
    except GoogleApiError:
        return False
    return True


def check(request: dict, expected_contents: list, **expected) -> dict:
    """The request is rejected as sent, accepted once normalised, and normalised to `expected_contents`."""
    assert not google_accepts(copy.deepcopy(request)), "the example must be one Google rejects"
    out = normalise_history(request)
    assert out["contents"] == expected_contents
    for key, value in expected.items():
        assert out.get(key) == value
    assert google_accepts(out)
    return out


def test_empty_text_part_in_an_assistant_turn_is_dropped():
    # {"type": "text", "text": ""} beside a tool call, or next to real text
    req = {"contents": [user(text("hi")), model(text(""), text("hello")), user(text("more"))]}
    check(req, [user(text("hi")), model(text("hello")), user(text("more"))])


def test_empty_user_content_is_dropped_and_the_turns_around_it_merge():
    # messages: user "a", assistant "", user "" , user "b" -> the empty ones vanish, the two users merge
    req = {"contents": [user(text("a")), model(text("")), user(text("")), user(text("b"))]}
    check(req, [user(text("a"), text("b"))])


def test_empty_text_with_a_thought_signature_is_kept():
    # Google closes a stream with {"text": "", "thoughtSignature": ...} and wants it replayed as it came
    signed = {"text": "", "thoughtSignature": ThoughtSigner().issue("ctx")}
    req = {"contents": [user(text("q")), model(text("answer"), signed), user(text("next"))]}
    assert google_accepts(copy.deepcopy(req))
    out = normalise_history(req)
    assert out["contents"][1]["parts"] == [text("answer"), signed]


def test_empty_system_text_is_dropped_and_an_empty_instruction_removed():
    req = {"systemInstruction": {"parts": [text("")]}, "contents": [user(text("q"))]}
    out = check(req, [user(text("q"))])
    assert "systemInstruction" not in out
    req = {"systemInstruction": {"parts": [text(""), text("be brief")]}, "contents": [user(text("q"))]}
    out = check(req, [user(text("q"))])
    assert out["systemInstruction"] == {"parts": [text("be brief")]}


def test_a_turn_without_parts_is_dropped():
    req = {"contents": [user(text("a")), {"role": "model", "parts": []}, user(text("b"))]}
    check(req, [user(text("a"), text("b"))])


def test_consecutive_same_role_turns_merge_so_responses_pair_with_their_calls():
    # one tool result per message, as OpenAI clients send them
    req = {"contents": [
        user(text("weather?")),
        model(call("w", city="a"), call("w", city="b")),
        user(response("w", result="1")),
        user(response("w", result="2")),
    ]}
    check(req, [user(text("weather?")), model(call("w", city="a"), call("w", city="b")),
                user(response("w", result="1"), response("w", result="2"))])


def test_a_missing_role_counts_as_user_when_merging():
    req = {"contents": [{"parts": [text("a")]}, user(text("b")), model(text("c"))]}
    out = normalise_history(req)
    assert [t.get("role") for t in out["contents"]] == [None, "model"]
    assert out["contents"][0]["parts"] == [text("a"), text("b")]


def test_responses_are_put_in_the_order_of_their_calls_by_id():
    req = {"contents": [
        user(text("go")),
        model(call("f", id="1"), call("g", id="2")),
        user(response("g", id="2", r="g"), response("f", id="1", r="f")),
    ]}
    out = normalise_history(req)
    assert out["contents"][2]["parts"] == [response("f", id="1", r="f"), response("g", id="2", r="g")]
    assert google_accepts(out)


def test_responses_are_put_in_the_order_of_their_calls_by_name():
    req = {"contents": [user(text("go")), model(call("f"), call("g")), user(text("note"), response("g"), response("f"))]}
    out = normalise_history(req)
    assert out["contents"][2]["parts"] == [response("f"), response("g"), text("note")]


def test_a_response_after_no_call_becomes_text():
    # a legacy `function` message sent as context, with no function_call before it
    req = {"contents": [user(text("hi")), model(text("hello")), user(response("lookup", result="42"))]}
    check(req, [user(text("hi")), model(text("hello")),
                user(text('Function lookup returned: {"result":"42"}'))])


def test_a_response_first_in_the_conversation_becomes_text():
    req = {"contents": [user(response("lookup", result="42"), text("and?"))]}
    check(req, [user(text('Function lookup returned: {"result":"42"}'), text("and?"))])


def test_a_response_in_excess_of_the_calls_becomes_text():
    req = {"contents": [user(text("go")), model(call("f")), user(response("f", r=1), response("other", r=2))]}
    check(req, [user(text("go")), model(call("f")),
                user(response("f", r=1), text('Function other returned: {"r":2}'))])


def test_only_a_system_instruction_becomes_the_user_turn():
    req = {"systemInstruction": {"parts": [text("Write a haiku about tea.")]}, "contents": []}
    out = check(req, [user(text("Write a haiku about tea."))])
    assert "systemInstruction" not in out


def test_only_a_system_instruction_and_empty_messages_becomes_the_user_turn():
    req = {"systemInstruction": {"parts": [text("rules")]}, "contents": [user(text("")), model(text(""))]}
    out = check(req, [user(text("rules"))])
    assert "systemInstruction" not in out


def test_a_single_model_turn_is_sent_as_the_user_turn():
    req = {"systemInstruction": {"parts": [text("sys")]}, "contents": [model(text("Once upon a time"))]}
    check(req, [user(text("Once upon a time"))], systemInstruction={"parts": [text("sys")]})


def test_a_history_starting_with_a_function_call_gets_a_user_turn_first():
    req = {"contents": [model(call("f", x=1)), user(response("f", ok=True)), model(text("done")), user(text("next"))]}
    check(req, [user(text(CONTINUATION)), model(call("f", x=1)), user(response("f", ok=True)),
                model(text("done")), user(text("next"))])


def test_nothing_to_send_is_a_400():
    with pytest.raises(GatewayError) as err:
        normalise_history({"contents": [user(text("")), model(text(""))]})
    assert err.value.status == 400 and "empty" in err.value.message


def test_an_accepted_request_is_left_as_it_is():
    req = {
        "systemInstruction": {"parts": [text("sys")]},
        "contents": [user(text("q"), {"inlineData": {"mimeType": "image/png", "data": "AA=="}}),
                     model(call("f", id="1")), user(response("f", id="1", ok=1)), model(text("a")), user(text("b"))],
        "generationConfig": {"temperature": 0.5},
    }
    before = copy.deepcopy(req)
    assert google_accepts(req)
    assert normalise_history(req) == before


def test_part_dicts_are_kept_so_pipeline_references_stay_valid():
    media_part: dict = {}
    req = {"contents": [user(text("look"), media_part), user(text("again"))]}
    out = normalise_history(req)
    assert any(p is media_part for p in out["contents"][0]["parts"])
