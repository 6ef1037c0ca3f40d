"""Per-request cookies (`x-gemini-psid`, `x-gemini-psidts`) on the dialect endpoints, end to end against the fake
gemini.google.com: served with those cookies for that request only (a gateway with no account at all), never
written to the store's files nor to any log line, never in an error body; the client key is still required."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.support.gateway import chat
from tests.support.http import get, post
from tests.support.web import WebGateway, psid, web_fake  # noqa: F401 - the `fake` fixture


@pytest.fixture
def gw(fake, tmp_path):
    """A gateway with no account of any kind (only per-request cookies can serve), on plain aiohttp."""
    gateway = WebGateway(tmp_path / "gw", fake.url, {}, web={"impersonate": ""}).start()
    yield gateway
    gateway.stop()


def cookie_headers(tag: str) -> dict[str, str]:
    return {"x-gemini-psid": psid(tag), "x-gemini-psidts": f"sidts-{tag}-personal-0000"}


def assert_nowhere(data_dir: Path, caplog, *values: str) -> None:
    """None of `values` is in any file under the gateway's data dir (SQLite db, WAL) or in any log record."""
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert files, "the store wrote nothing at all"
    for path in files:
        data = path.read_bytes()
        for value in values:
            assert value.encode() not in data, f"{value[:10]}… found in {path.name}"
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for value in values:
        assert value not in logged


def test_openai_anthropic_and_native_answer_with_the_request_cookies_only(fake, gw, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fake.account(psid("pers"))
    headers = cookie_headers("pers")
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "hello there"}]},
                 headers=headers)
    assert reply.status == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == "echo: hello there"
    sent = fake.requests_to("StreamGenerate")[-1]
    assert sent.account == psid("pers") and f"__Secure-1PSIDTS={headers['x-gemini-psidts']}" in sent.header("Cookie")
    anthropic = post(f"{gw.url}/v1/messages", {"model": "gemini-3.1-pro", "max_tokens": 100,
                                               "messages": [{"role": "user", "content": "hi claude"}]},
                     key=gw.key, key_header="x-api-key", headers={**headers, "anthropic-version": "2023-06-01"})
    assert anthropic.status == 200, anthropic.text
    assert anthropic.json()["content"][-1]["text"] == "echo: hi claude"
    native = post(f"{gw.url}/v1beta/models/gemini-web/flash-lite:streamGenerateContent?alt=sse",
                  {"contents": [{"role": "user", "parts": [{"text": "native"}]}]},
                  key=gw.key, key_header="x-goog-api-key", headers=headers)
    assert native.status == 200, native.text
    assert "".join(p["text"] for e in native.sse() for p in e["candidates"][0].get("content", {}).get("parts", [])) \
        == "echo: native"
    assert gw.accounts() == {}  # nothing joined the pool or the store
    gw.stop()  # the write-behind flushed: the files are final
    assert_nowhere(tmp_path / "gw", caplog, headers["x-gemini-psid"], headers["x-gemini-psidts"])


def test_the_session_of_the_cookies_is_kept_briefly_in_memory(fake, gw):
    fake.account(psid("again"))
    pages = len(fake.requests_to("app"))
    for text in ("one", "two"):
        reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": text}]},
                     headers=cookie_headers("again"))
        assert reply.status == 200, reply.text
    assert len(fake.requests_to("app")) == pages + 1  # read once, then reused
    assert len(gw.gateway.upstreams["gemini-web"].personal) == 1
    assert gw.gateway.upstreams["gemini-web"].sessions == {}


def test_signed_out_cookies_are_the_callers_401_and_never_echoed(fake, gw, caplog):
    caplog.set_level(logging.DEBUG)
    fake.account(psid("gone"), signed_in=False)
    headers = cookie_headers("gone")
    before = len(fake.requests_to("StreamGenerate"))
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "hi"}]}, headers=headers)
    assert reply.status == 401, reply.text
    assert "signed-out" in reply.json()["error"]["message"] and "x-gemini-psid" in reply.json()["error"]["message"]
    assert headers["x-gemini-psid"] not in reply.text and headers["x-gemini-psidts"] not in reply.text
    assert len(fake.requests_to("StreamGenerate")) == before  # never as a guest
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert headers["x-gemini-psid"] not in logged


def test_malformed_cookie_headers_and_a_missing_client_key_are_401(fake, gw):
    body = {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "hi"}]}
    bad = chat(gw, body, headers={"x-gemini-psid": "short"})
    assert bad.status == 401 and "x-gemini-psid" in bad.json()["error"]["message"], bad.text
    alone = chat(gw, body, headers={"x-gemini-psidts": "sidts-only-0000000000"})
    assert alone.status == 401 and "x-gemini-psid" in alone.json()["error"]["message"]
    fake.account(psid("nokey"))
    keyless = post(f"{gw.url}/v1/chat/completions", body, headers=cookie_headers("nokey"))
    assert keyless.status == 401 and "client key" in keyless.json()["error"]["message"]


def test_a_model_the_cookies_lack_is_a_404_naming_it(fake, gw):
    fake.account(psid("lite"), models=("flash",))
    reply = chat(gw, {"model": "gemini-web/pro", "messages": [{"role": "user", "content": "hi"}]},
                 headers=cookie_headers("lite"))
    assert reply.status == 404 and "gemini-web/pro" in reply.json()["error"]["message"], reply.text


def test_without_cookie_headers_the_pool_serves_as_before(fake, gw):
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "hi"}]})
    assert reply.status == 503, reply.text  # this gateway has no account: the request's cookies were its only one


def test_model_listings_show_the_models_of_the_cookies(fake, gw):
    fake.account(psid("listing"), models=("flash", "pro"))
    listed = {m["id"] for m in get(f"{gw.url}/v1/models", key=gw.key, headers=cookie_headers("listing")).json()["data"]}
    assert {"gemini-web/flash", "gemini-web/pro", "gemini-3.1-pro", "flash"} <= listed and "flash-lite" not in listed
    one = get(f"{gw.url}/v1beta/models/gemini-web/pro", key=gw.key, key_header="x-goog-api-key",
              headers=cookie_headers("listing"))
    assert one.status == 200 and one.json()["displayName"] == "3.1 Pro", one.text
    assert get(f"{gw.url}/v1/models", key=gw.key).json()["data"] == []  # the gateway's own: none
    gone = fake.account(psid("listing-out"), signed_in=False)
    refused = get(f"{gw.url}/v1/models", key=gw.key, headers=cookie_headers("listing-out"))
    assert refused.status == 401 and gone.psid not in refused.text


def test_stored_responses_and_continued_conversations_keep_no_cookie(fake, gw, tmp_path, caplog):
    # The Responses API stores what it answers and the web kind keeps the conversation it continues: with
    # per-request cookies neither may hold them (issue 9: "per-request cookies never written anywhere").
    caplog.set_level(logging.DEBUG)
    fake.account(psid("kept"))
    headers = cookie_headers("kept")
    first = post(f"{gw.url}/v1/responses", {"model": "gemini-web/flash", "input": "remember me", "store": True},
                 key=gw.key, headers=headers)
    assert first.status == 200, first.text
    second = post(f"{gw.url}/v1/responses", {"model": "gemini-web/flash@gem=brainstormer", "input": "and now?",
                                             "previous_response_id": first.json()["id"], "store": True},
                  key=gw.key, headers=headers)
    assert second.status == 200, second.text
    assert fake.requests_to("StreamGenerate")[-1].extra["inner"][19] == "brainstormer"
    assert get(f"{gw.url}/v1/responses/{second.json()['id']}", key=gw.key).status == 200  # it was stored
    assert gw.accounts() == {}
    gw.stop()
    assert_nowhere(tmp_path / "gw", caplog, headers["x-gemini-psid"], headers["x-gemini-psidts"])
