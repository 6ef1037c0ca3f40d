"""Stop sequences cut by the gateway (gemini.stops), end to end over loopback HTTP.

gemini-web accounts: the web app has no stop sequences, so the gateway cuts the answer for every dialect
(OpenAI `stop`, Gemini `stopSequences`, Anthropic `stop_sequences`), streamed and whole alike, and closes the
upstream at the match. Anthropic says `stop_reason: "stop_sequence"` with the sequence, in the message and in
the stream's message_delta, through the anthropic SDK too. Gemini API accounts: Anthropic's sequences are kept
from Google (which would report a plain STOP) and matched by the gateway alone."""

from __future__ import annotations

import time

import anthropic
import pytest

from tests.support.agreement import assert_anthropic_agree
from tests.support.gateway import chat
from tests.support.http import post
from tests.support.sse import parse_sse_events
from tests.support.upstream import upstream_body
from tests.support.web import WebGateway, cookie, psid, running_web_fake

VERSION = {"anthropic-version": "2023-06-01"}
# The fake answers "echo: <prompt>" in word groups: "echo: one two " | "three four " | "five six" (fake_model
# _split_groups), so "two three" spans the first two chunks.
PROMPT = "one two three four five six"
CUT = "echo: one "


@pytest.fixture(scope="module")
def web_fake():
    with running_web_fake() as server:
        yield server


@pytest.fixture(params=["chrome", ""], ids=["curl_cffi", "aiohttp"], scope="module")
def web_gw(web_fake, tmp_path_factory, request):
    web_fake.account(psid(f"stops-{request.param}"))
    with WebGateway(tmp_path_factory.mktemp("gw"), web_fake.url, {"web-stops": {"cookie": cookie(f"stops-{request.param}")}},
                    web={"impersonate": request.param}) as gw:
        yield gw


def messages(gw, body):
    return post(f"{gw.url}/v1/messages", body, key=gw.key, key_header="x-api-key", headers=VERSION)


def ask(text: str, model: str, **fields) -> dict:
    return {"model": model, "max_tokens": 1000, "messages": [{"role": "user", "content": text}], **fields}


def test_anthropic_whole_and_stream_say_stop_sequence_on_a_web_account(web_gw):
    body = ask(PROMPT, "gemini-web/flash", stop_sequences=["nothing", "two three"])
    whole = messages(web_gw, body)
    assert whole.status == 200, whole.text
    msg = whole.json()
    assert msg["content"] == [{"type": "text", "text": CUT}]
    assert (msg["stop_reason"], msg["stop_sequence"]) == ("stop_sequence", "two three")
    streamed = messages(web_gw, {**body, "stream": True})
    assert streamed.status == 200, streamed.text
    events = parse_sse_events(streamed.body)
    delta = next(d for k, d in events if k == "message_delta")["delta"]
    assert delta == {"stop_reason": "stop_sequence", "stop_sequence": "two three"}
    assert_anthropic_agree(msg, events)


def test_no_match_is_end_turn_with_the_whole_answer(web_gw):
    msg = messages(web_gw, ask(PROMPT, "gemini-web/flash", stop_sequences=["seven"])).json()
    assert msg["content"][0]["text"] == f"echo: {PROMPT}"
    assert (msg["stop_reason"], msg["stop_sequence"]) == ("end_turn", None)


def test_every_dialect_is_cut_on_a_web_account(web_gw):
    oai = {"model": "gemini-web/flash", "messages": [{"role": "user", "content": PROMPT}], "stop": "two three"}
    whole = chat(web_gw, oai)
    assert whole.status == 200, whole.text
    assert whole.json()["choices"][0]["message"]["content"] == CUT
    assert whole.json()["choices"][0]["finish_reason"] == "stop"
    streamed = chat(web_gw, {**oai, "stream": True})
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in streamed.sse()
                   if isinstance(e, dict) and e.get("choices"))
    assert text == CUT
    native = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}],
              "generationConfig": {"stopSequences": ["three"]}}
    url = f"{web_gw.url}/v1beta/models/gemini-web/flash"
    g = post(f"{url}:generateContent", native, headers={"x-goog-api-key": web_gw.key})
    assert g.status == 200, g.text
    cand = g.json()["candidates"][0]
    assert "".join(p["text"] for p in cand["content"]["parts"]) == "echo: one two "
    assert cand["finishReason"] == "STOP" and set(cand) <= {"content", "finishReason", "index"}  # no gateway field
    s = post(f"{url}:streamGenerateContent?alt=sse", native, headers={"x-goog-api-key": web_gw.key})
    parts = [p for e in s.sse() for c in e["candidates"] for p in c.get("content", {}).get("parts", [])]
    assert "".join(p["text"] for p in parts) == "echo: one two "


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_the_upstream_is_closed_at_the_match(web_gw, web_fake, stream):
    """After its first chunk the fake falls silent for a minute: an answer at all means the gateway stopped
    reading at the match, and the fake sees the caller hang up."""
    marker = f"{PROMPT} {'s' if stream else 'w'}"
    prompt = f"{marker}\nSTALL-AFTER 1 60"
    started = time.monotonic()
    r = messages(web_gw, ask(prompt, "gemini-web/flash", stop_sequences=["one"], stream=stream))
    assert r.status == 200, r.text
    assert time.monotonic() - started < 30  # the stall would hold the answer a minute
    if stream:
        delta = next(d for k, d in parse_sse_events(r.body) if k == "message_delta")["delta"]
        assert delta["stop_sequence"] == "one"
    else:
        assert r.json()["content"] == [{"type": "text", "text": "echo: "}] and r.json()["stop_sequence"] == "one"
    sent = next(ex for ex in reversed(web_fake.requests_to("StreamGenerate")) if marker in str(ex.extra.get("inner")))
    deadline = time.monotonic() + 10
    while "cancelled_at" not in sent.extra and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "cancelled_at" in sent.extra


def test_the_anthropic_sdk_reads_stop_sequence(web_gw):
    with anthropic.Anthropic(base_url=web_gw.url, api_key=web_gw.key, max_retries=0, timeout=30) as client:
        message = client.messages.create(model="gemini-web/flash", max_tokens=200, stop_sequences=["two three"],
                                         messages=[{"role": "user", "content": PROMPT}])
        with client.messages.stream(model="gemini-web/flash", max_tokens=200, stop_sequences=["two three"],
                                    messages=[{"role": "user", "content": PROMPT}]) as stream:
            texts = list(stream.text_stream)
            final = stream.get_final_message()
    for got in (message, final):
        assert got.content[0].text == CUT
        assert (got.stop_reason, got.stop_sequence) == ("stop_sequence", "two three")
    assert "".join(texts) == CUT


def test_gemini_api_accounts_report_the_sequence_too(gw, fake_api):
    """Google would stop at a sequence itself and report a plain STOP (end_turn): Anthropic's sequences are
    kept from it and matched by the gateway alone, so the answer names the sequence on every kind."""
    msg = messages(gw, ask(PROMPT + " stops-api", "gemini-2.5-flash", stop_sequences=["two three"])).json()
    assert "stopSequences" not in upstream_body(fake_api, "stops-api").get("generationConfig", {})
    assert msg["content"] == [{"type": "text", "text": CUT}]
    assert (msg["stop_reason"], msg["stop_sequence"]) == ("stop_sequence", "two three")
