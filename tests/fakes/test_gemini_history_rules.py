"""The fake rejects the histories Google rejects (empty text, misplaced function turns, a lone model turn),
with Google's wording, and accepts their legal neighbours. Sources are at the messages in gemini_validation."""

from __future__ import annotations

import pytest

from gemgate.testing.gemini_validation import CALL_AFTER_USER, EMPTY_TEXT, RESPONSE_AFTER_CALL, SINGLE_TURN_ROLE

from tests.support.http import Client
from tests.support.payloads import user

GEN = "/v1beta/models/gemini-2.5-flash:generateContent"
CALL = {"functionCall": {"name": "f", "args": {}}}
RESPONSE = {"functionResponse": {"name": "f", "response": {"ok": True}}}


def status_and_message(http: Client, body: dict) -> tuple[int, str]:
    reply = http.post(GEN, body)
    payload = reply.json()
    return reply.status, (payload.get("error") or {}).get("message", "")


def test_empty_text_wording():
    assert EMPTY_TEXT.startswith("Unable to submit request because it has an empty text parameter.")


@pytest.mark.parametrize(
    "body",
    [
        {"contents": [{"role": "user", "parts": [{"text": ""}]}]},
        {"contents": [user("a"), {"role": "model", "parts": [{"text": ""}, {"text": "b"}]}, user("c")]},
        {"contents": [user("a"), {"role": "model", "parts": [{"text": "", "thought": True}]}, user("c")]},
        {"systemInstruction": {"parts": [{"text": ""}]}, "contents": [user("a")]},
    ],
    ids=["user", "model", "thought", "system"],
)
def test_empty_text_parts_are_rejected(http, body):
    assert status_and_message(http, body) == (400, EMPTY_TEXT)


def test_empty_text_with_a_signature_is_accepted(fake_url, http):
    signed = {"text": "", "thoughtSignature": fake_url[0].signer.issue("x")}
    body = {"contents": [user("a"), {"role": "model", "parts": [{"text": "b"}, signed]}, user("c")]}
    assert status_and_message(http, body)[0] == 200


def test_function_response_after_a_text_model_turn_is_rejected(http):
    body = {"contents": [user("a"), {"role": "model", "parts": [{"text": "b"}]}, {"role": "user", "parts": [RESPONSE]}]}
    assert status_and_message(http, body) == (400, RESPONSE_AFTER_CALL)


def test_function_response_first_is_rejected(http):
    assert status_and_message(http, {"contents": [{"role": "user", "parts": [RESPONSE]}]}) == (400, RESPONSE_AFTER_CALL)


def test_function_response_right_after_its_call_is_accepted(http):
    body = {"contents": [user("a"), {"role": "model", "parts": [CALL]}, {"role": "user", "parts": [RESPONSE]}]}
    assert status_and_message(http, body)[0] == 200


@pytest.mark.parametrize(
    "contents",
    [
        [{"role": "model", "parts": [CALL]}, {"role": "user", "parts": [RESPONSE]}],
        [user("a"), {"role": "model", "parts": [{"text": "b"}]}, {"role": "model", "parts": [CALL]},
         {"role": "user", "parts": [RESPONSE]}],
    ],
    ids=["first", "after-model"],
)
def test_function_call_turn_must_follow_a_user_turn(http, contents):
    assert status_and_message(http, {"contents": contents}) == (400, CALL_AFTER_USER)


def test_a_single_model_turn_is_rejected(http):
    body = {"contents": [{"role": "model", "parts": [{"text": "Once"}]}]}
    assert status_and_message(http, body) == (400, SINGLE_TURN_ROLE)


def test_consecutive_same_role_turns_are_accepted(http):
    # Google lifted the alternation rule in late 2024 (zuisong/gemini-openai-proxy PR #87; google/adk-go PR #1302)
    body = {"contents": [user("a"), user("b"), {"role": "model", "parts": [{"text": "c"}]},
                         {"role": "model", "parts": [{"text": "d"}]}, user("e")]}
    assert status_and_message(http, body)[0] == 200
