"""Thought signatures remember which upstream kind issued them: in a pool mixing API keys and Code Assist
accounts, a Gemini 3 tool replay goes to the issuing kind (no refusal, no sentinel); with that kind exhausted it
falls back to the other, whose refusal of the foreign signature the skip sentinel answers (pipeline
`_unsigned_on_refusal`). Signatures of the two kinds are not interchangeable (reference/codeassist-and-gemini-
api.md A3 "incompatible encryption"); the fakes sign with different secrets, so they refuse each other's."""

from __future__ import annotations

import pytest

from tests.support.code_assist import CodeAssistGateway
from tests.support.code_assist import module_fakes as fakes  # noqa: F401 (a fixture)
from tests.support.gateway import chat
from tests.support.http import post

MODEL = "gemini-3-flash-preview"  # served by the Gemini API fake and the Code Assist fake's gemini-cli catalogue
EMAIL = "sig@corp.example"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                          "required": ["city"]}}}
SENTINEL = "skip_thought_signature_validator"


def replayed_signatures(requests) -> list[str]:
    """The thoughtSignature of every replayed functionCall in the recorded generation requests."""
    out = []
    for r in requests:
        body = r.body.get("request", r.body) if isinstance(r.body, dict) else {}
        for content in body.get("contents") or ():
            out += [p.get("thoughtSignature") for p in content.get("parts") or () if "functionCall" in p]
    return out


@pytest.mark.parametrize("issuer", ["code-assist", "gemini-api"])
def test_replay_goes_to_the_issuing_kind_and_falls_back_when_it_is_exhausted(fakes, tmp_path, issuer):
    fakes.ca.account(EMAIL, tier="standard-tier")
    gw = CodeAssistGateway(tmp_path / "gw", fakes, {"ca": fakes.credential(EMAIL, "gemini-cli")},
                           api_keys=["fake-key-alpha"]).start()
    try:
        user = {"role": "user", "content": 'CALL get_weather {"city": "Paris"}'}
        # The model name pins the first call to the issuing kind.
        first = chat(gw, {"model": f"{issuer}/{MODEL}", "messages": [user], "tools": [WEATHER]})
        assert first.status == 200, first.text
        (call,) = first.json()["choices"][0]["message"]["tool_calls"]
        replay = {"model": MODEL, "tools": [WEATHER], "messages": [
            user, {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]}
        issuing = (lambda: fakes.ca.requests_for("streamGenerateContent", EMAIL)) if issuer == "code-assist" \
            else (lambda: [r for r in fakes.api.requests if "Content" in r.path])
        other = (lambda: [r for r in fakes.api.requests if "Content" in r.path]) if issuer == "code-assist" \
            else (lambda: fakes.ca.requests_for("streamGenerateContent", EMAIL))
        fakes.ca.reset()
        fakes.api.requests.clear()
        for stream in (False, True, False):  # round robin alone would send one of these to the other kind
            r = chat(gw, {**replay, "stream": stream})
            assert r.status == 200 and "tool result: sunny" in r.text, r.text
        assert other() == []  # never sent to the kind that would refuse the signature
        signatures = replayed_signatures(issuing())
        assert len(signatures) == 3 and SENTINEL not in signatures and None not in signatures

        # The issuing kind exhausted: the replay falls back to the other kind, which refuses the foreign
        # signature once and takes the sentinel.
        if issuer == "code-assist":
            fakes.ca.fail(EMAIL, "QUOTA_EXHAUSTED", model=MODEL, delay=600, times=None)
        else:
            fakes.api.quota_exhausted_keys.add("fake-key-alpha")
        fakes.ca.reset()
        fakes.api.requests.clear()
        r = chat(gw, replay)
        assert r.status == 200 and "tool result: sunny" in r.text, r.text
        fallback = replayed_signatures(other())
        assert fallback[-1] == SENTINEL and len(fallback) == 2 and fallback[0] != SENTINEL
    finally:
        gw.stop()
        fakes.ca.account(EMAIL).failures.clear()
        fakes.api.quota_exhausted_keys.discard("fake-key-alpha")


@pytest.mark.parametrize("model", ["gemini-3-pro-preview", "gemini-2.5-flash"])
def test_refused_signature_on_an_empty_closing_part_is_retried_without_the_part(gw, model):
    """Gemini 3 closes a turn with `{"text": "", "thoughtSignature": …}`; replayed where that signature is
    refused (another kind's, a damaged one), the unsigned retry must not send an empty text part, which
    Google refuses with "empty text parameter" (found attacking issue 10: every such replay was a 400)."""
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]},
                         {"role": "model", "parts": [{"text": "hello"}, {"text": "", "thoughtSignature": "Zm9yZ2Vk"}]},
                         {"role": "model", "parts": [{"text": "", "thoughtSignature": "Zm9yZ2Vk"}]},
                         {"role": "user", "parts": [{"text": "again"}]}]}
    r = post(f"{gw.url}/v1beta/models/{model}:generateContent", body, key=gw.key)
    assert r.status == 200 and "echo: again" in r.text, r.text
