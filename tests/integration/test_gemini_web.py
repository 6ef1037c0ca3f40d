"""The gateway with gemini-web accounts, end to end over loopback HTTP against the fake gemini.google.com:
OpenAI chat and Gemini-native generation streamed and whole, discovered models and aliases, system prompt and
history in the prompt, extended thinking, expired cookies → needs re-auth (never guest), an XSRF rejection
healed once, blocks and usage limits → cooldowns with their reason, Set-Cookie persisted, captured bytes."""

from __future__ import annotations

import json

import pytest

from tests.support.agreement import assert_openai_agree, gemini_view
from tests.support.fixtures import fixtures_dir
from tests.support.gateway import chat, free_port
from tests.support.http import get, post
from tests.support.web import WebGateway, cookie, psid, running_web_fake


@pytest.fixture(scope="module")
def fake():
    with running_web_fake() as server:
        yield server


@pytest.fixture(params=["chrome", ""], ids=["curl_cffi", "aiohttp"])
def make(fake, tmp_path, request):
    """Gateways on either transport: curl_cffi impersonating Chrome (the default) or plain aiohttp."""
    started: list[WebGateway] = []

    def start(secrets: dict, **kw) -> WebGateway:
        kw["web"] = {"impersonate": request.param, **kw.get("web", {})}
        gw = WebGateway(tmp_path / f"gw{len(started)}", fake.url, secrets, **kw).start()
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.stop()


def one_account(fake, make, tag: str, **fields) -> WebGateway:
    fake.account(psid(tag), **fields)
    return make({f"web-{tag}": {"cookie": cookie(tag)}})


def native(gw, model: str, method: str, body: dict, query: str = ""):
    return post(f"{gw.url}/v1beta/models/{model}:{method}{query}", body, headers={"x-goog-api-key": gw.key})


def streamed_text(reply) -> str:
    return "".join((e["choices"][0]["delta"].get("content") or "") for e in reply.sse() if isinstance(e, dict) and e.get("choices"))


def test_models_are_discovered_per_account_with_aliases(fake, make):
    gw = one_account(fake, make, "models")
    ids = {m["id"] for m in get(f"{gw.url}/v1/models", key=gw.key).json()["data"]}
    assert {"gemini-web/flash", "gemini-web/pro", "gemini-web/flash-lite", "gemini-web/auto", "gemini-3.5-flash",
            "gemini-3.5-flash-thinking", "gemini-3.1-pro", "gemini-auto", "gemini-flash-lite"} <= ids, sorted(ids)


def test_openai_and_native_streamed_and_whole_agree(fake, make):
    gw = one_account(fake, make, "agree")
    msg = [{"role": "user", "content": "tell me three things"}]
    whole = chat(gw, {"model": "gemini-web/flash", "messages": msg})
    assert whole.status == 200, whole.text
    assert whole.json()["choices"][0]["message"]["content"] == "echo: tell me three things"
    assert whole.json()["choices"][0]["finish_reason"] == "stop"
    streamed = chat(gw, {"model": "gemini-web/flash", "messages": msg, "stream": True})
    assert streamed.status == 200 and streamed_text(streamed) == "echo: tell me three things"
    body = {"contents": [{"role": "user", "parts": [{"text": "tell me three things"}]}]}
    g = native(gw, "gemini-web/pro", "generateContent", body)
    assert g.status == 200, g.text
    assert g.json()["candidates"][0]["content"]["parts"][-1]["text"] == "echo: tell me three things"
    s = native(gw, "gemini-web/pro", "streamGenerateContent", body, "?alt=sse")
    parts = [p for e in s.sse() for p in e["candidates"][0].get("content", {}).get("parts", [])]
    assert "".join(p["text"] for p in parts) == "echo: tell me three things"
    sent = fake.requests_to("StreamGenerate")[-1]
    assert sent.model == "9d8ca3786ebdfbea" and sent.extra["inner"][79] == 3  # Pro's id and mode
    assert sent.query["rt"] == "c" and sent.header("X-Same-Domain") == "1"
    assert "Chrome/" in sent.header("User-Agent")


def test_system_prompt_and_history_travel_in_the_prompt(fake, make):
    gw = one_account(fake, make, "history")
    reply = chat(gw, {"model": "gemini-3.5-flash", "messages": [
        {"role": "system", "content": "Answer in French."}, {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "bonjour"}, {"role": "user", "content": "and now?"}]})
    assert reply.status == 200, reply.text
    prompt = fake.requests_to("StreamGenerate")[-1].extra["inner"][0][0]
    assert prompt.startswith("System instructions") and "Answer in French." in prompt
    assert "User: hello" in prompt and "Assistant: bonjour" in prompt and prompt.endswith("User: and now?")


def test_thinking_alias_asks_for_extended_thinking_and_shows_thoughts(fake, make):
    gw = one_account(fake, make, "think")
    reply = chat(gw, {"model": "gemini-3.5-flash-thinking", "messages": [{"role": "user", "content": "why is it so"}]})
    assert reply.status == 200, reply.text
    message = reply.json()["choices"][0]["message"]
    assert message["content"] == "echo: why is it so" and "Considering the request" in json.dumps(message)
    sent = fake.requests_to("StreamGenerate")[-1]
    assert sent.extra["inner"][80] == 2 and json.loads(sent.header("x-goog-ext-525001261-jspb"))[15] == 2


def test_a_model_the_account_lacks_is_a_clear_404(fake, make):
    gw = one_account(fake, make, "lite", models=("flash",))
    reply = chat(gw, {"model": "gemini-web/pro", "messages": [{"role": "user", "content": "hi"}]})
    assert reply.status == 404 and "gemini-web/pro" in reply.json()["error"]["message"]
    alias = chat(gw, {"model": "gemini-3.1-pro", "messages": [{"role": "user", "content": "hi"}]})
    assert alias.status == 404


def test_expired_cookies_need_reauth_and_never_use_guest_mode(fake, make):
    tag = "expired"
    fake.account(psid(tag), signed_in=False)
    before = len(fake.requests_to("StreamGenerate"))
    gw = make({"web-expired": {"cookie": cookie(tag)}})
    view = gw.wait_state("web-expired", "needs_reauth")
    assert "signed-out" in view.reason and "add-cookie" in view.reason
    reply = chat(gw, {"model": "gemini-web/auto", "messages": [{"role": "user", "content": "hi"}]})
    assert reply.status in (404, 503), reply.text
    assert len(fake.requests_to("StreamGenerate")) == before  # nothing was generated as a guest


def test_expiry_found_after_start_marks_the_account(fake, make):
    gw = one_account(fake, make, "later")
    assert chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "one"}]}).status == 200
    acc = fake.account(psid("later"))
    acc.signed_in = False
    acc.new_xsrf()  # the old token is refused, the page read again is signed out
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "two"}]})
    assert reply.status in (502, 503), reply.text
    gw.wait_state("web-later", "needs_reauth")
    acc.signed_in = True


def test_xsrf_rejection_reads_the_page_again_and_retries_once(fake, make):
    gw = one_account(fake, make, "xsrf")
    assert chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "first"}]}).status == 200
    pages = len(fake.requests_to("app"))
    fake.account(psid("xsrf")).new_xsrf()
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "second one"}]})
    assert reply.status == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == "echo: second one"
    assert len(fake.requests_to("app")) == pages + 1
    rejected = [e for e in fake.requests_to("StreamGenerate") if e.status == 400]
    assert rejected and rejected[-1].account == psid("xsrf")


@pytest.mark.parametrize("prompt,reason", [("SORRY", "sorry"), ("WEB-HTTP 429", "HTTP 429"), ("WEB-ERROR 1060", "1060")])
def test_blocks_cool_the_account_with_the_reason(fake, make, prompt, reason):
    gw = one_account(fake, make, f"block{reason[-3:]}")
    name = next(iter(gw.secrets))
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": prompt}]})
    assert reply.status == 429, reply.text
    view = gw.wait_state(name, "cooling")
    assert reason in view.reason and "blocked" in view.reason


def test_usage_limit_cools_only_that_model(fake, make):
    gw = one_account(fake, make, "quota")
    reply = chat(gw, {"model": "gemini-web/pro", "messages": [{"role": "user", "content": "FAIL 429"}]})
    assert reply.status == 429 and "1037" in reply.json()["error"]["message"]
    ok = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "still here"}]})
    assert ok.status == 200, ok.text


def test_set_cookie_is_merged_and_persisted(fake, make):
    gw = one_account(fake, make, "jar")
    for text in ("one", "two"):
        assert chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": text}]}).status == 200
    stored = gw.stored("web-jar").secret["cookie"]
    assert "NID=" in stored and "__Secure-1PSIDCC=cc" in stored and psid("jar") in stored
    last = fake.requests_to("StreamGenerate")[-1].header("Cookie")
    assert "__Secure-1PSIDCC=cc" in last  # the merged jar is what the next call sends


def test_cut_off_answer_is_an_upstream_failure(fake, make):
    gw = one_account(fake, make, "cut")
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "a b c d e f\nCUT-AFTER 1"}]})
    assert reply.status == 502, reply.text


def test_recorded_answer_replayed_through_the_gateway(fake, make):
    path = fixtures_dir() / "gemini-web" / "Leechael__gemini-web-cli__internal_client_protocol_testdata_stream_generate_basic_response.txt"
    if not path.is_file():
        pytest.skip(f"capture missing: {path}")
    gw = one_account(fake, make, "replay")
    fake.replay(path.read_text(encoding="utf-8"))
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "anything"}]})
    assert reply.status == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == "Sample assistant response."


def test_account_index_uses_the_u_path(fake, make):
    fake.account(psid("indexed"), auth_user=1)
    gw = make({"web-indexed": {"cookie": cookie("indexed"), "auth_user": 1}})
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "hi there"}]})
    assert reply.status == 200, reply.text
    sent = fake.requests_to("StreamGenerate")[-1]
    assert sent.path.startswith("/u/1/") and sent.header("X-Goog-AuthUser") == "1"


@pytest.mark.parametrize("status,state,words", [(1016, "needs_reauth", "signed out"),
                                                (1040, "disabled", "terms of service")])
def test_account_status_from_the_model_list(fake, make, status, state, words):
    tag = f"status{status}"
    fake.account(psid(tag), status=status)
    gw = make({f"web-{tag}": {"cookie": cookie(tag)}})
    view = gw.wait_state(f"web-{tag}", state)
    assert words in (view.reason or "") + (view.disabled_reason or "")


def test_requests_go_to_the_account_that_has_the_model_and_fail_over(fake, make):
    fake.account(psid("only-flash"), models=("flash",))
    fake.account(psid("has-pro"))
    gw = make({"web-a": {"cookie": cookie("only-flash")}, "web-b": {"cookie": cookie("has-pro")}})
    for _ in range(3):
        reply = chat(gw, {"model": "gemini-web/pro", "messages": [{"role": "user", "content": "pro please"}]})
        assert reply.status == 200, reply.text
        assert fake.requests_to("StreamGenerate")[-1].account == psid("has-pro")
    once = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "FAIL-ONCE 500\nthen fine"}]})
    assert once.status == 200 and once.json()["choices"][0]["message"]["content"].startswith("echo:")
    tried = [e.account for e in fake.requests_to("StreamGenerate")[-2:]]
    assert tried[0] != tried[1]  # the transient 1013 failed over to the other account
    for sent in fake.requests_to("StreamGenerate")[-5:]:  # each account's own jar, nothing of the other's
        assert sent.header("Cookie").count("NID=") == 1 and sent.header("Cookie").count("__Secure-1PSID=") == 1


def test_cookies_never_reach_logs_bodies_or_account_views(fake, make, caplog):
    caplog.set_level("DEBUG")
    gw = one_account(fake, make, "secret")
    for text in ("hello there", "SORRY"):
        chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": text}]})
    fake.account(psid("secret"), blocked=None).new_xsrf()
    replies = [chat(gw, {"model": "gemini-web/pro", "messages": [{"role": "user", "content": "after"}]})]
    views = json.dumps([[v.reason, v.last_error, v.credential] for v in gw.accounts().values()])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in (views, logged, *(r.text for r in replies)):
        assert psid("secret") not in text and "sidts-secret" not in text


def test_canned_failure_text_is_an_upstream_failure_not_an_answer(fake, make):
    gw = one_account(fake, make, "canned")
    for stream in (False, True):
        reply = chat(gw, {"model": "gemini-web/flash", "stream": stream,
                          "messages": [{"role": "user", "content": "WEB-CANNED"}]})
        assert reply.status == 502 and "canned failure" in reply.text, reply.text


def test_app_page_redirects_are_followed_on_its_own_host_only(fake, make):
    fake.account(psid("redir"), app_redirect="/app?hl=en")
    gw = make({"web-redir": {"cookie": cookie("redir")}})
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "after a hop"}]})
    assert reply.status == 200, reply.text
    assert "REDIR=seen1234" in gw.stored("web-redir").secret["cookie"]  # the hop's Set-Cookie kept
    fake.account(psid("signin"), app_redirect="https://accounts.google.com/ServiceLogin?continue=https://gemini.google.com/app")
    gw2 = make({"web-signin": {"cookie": cookie("signin")}})
    view = gw2.wait_state("web-signin", "needs_reauth")
    assert "sign-in page" in view.reason
    assert not [e for e in fake.exchanges if "ServiceLogin" in e.path]


@pytest.mark.parametrize("how,reason", [("sorry", "sorry"), ("429", "HTTP 429")])
def test_a_blocked_app_page_cools_the_account(fake, make, how, reason):
    tag = f"pageblock{how}"
    fake.account(psid(tag), blocked=how)
    gw = make({f"web-{tag}": {"cookie": cookie(tag)}})
    reply = chat(gw, {"model": "gemini-web/auto", "messages": [{"role": "user", "content": "hi"}]})
    assert reply.status == 429, reply.text
    assert reason in gw.wait_state(f"web-{tag}", "cooling").reason
    fake.account(psid(tag), blocked=None)


def test_transport_faults_are_clean_errors_naming_no_address(fake, make):
    gw = one_account(fake, make, "reset")
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "a b c d e f\nRESET-AFTER 1"}]})
    assert reply.status == 502, reply.text
    streamed = chat(gw, {"model": "gemini-web/flash", "stream": True,
                         "messages": [{"role": "user", "content": "a b c d e f g h\nRESET-AFTER 2"}]})
    events = [e for e in streamed.sse() if isinstance(e, dict)]
    assert streamed.status == 200 and "error" in events[-1], events[-1]  # the in-stream error after the 200
    port = free_port()  # nothing listens there
    down = make({"web-down": {"cookie": cookie("down")}}, web={"base_url": f"http://127.0.0.1:{port}",
                                                               "impersonate": gw.settings.upstreams["gemini_web"]["impersonate"]})
    reply = chat(down, {"model": "gemini-web/auto", "messages": [{"role": "user", "content": "hi"}]})
    assert reply.status in (502, 503) and str(port) not in reply.text, reply.text


def test_stream_and_whole_agree_by_each_clients_rules_with_thoughts_and_citations(fake, make):
    gw = one_account(fake, make, "fold")
    body = {"model": "gemini-3.5-flash-thinking", "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "one two three four five six seven\nCITE https://e.x/1"}]}
    whole = chat(gw, {k: v for k, v in body.items() if k != "stream_options"})
    stream = chat(gw, {**body, "stream": True})
    assert whole.status == stream.status == 200, (whole.text, stream.text)
    assert_openai_agree(whole.json(), stream.sse())
    message = whole.json()["choices"][0]["message"]
    assert message["content"].endswith(" [cite: 1]") and message["reasoning_content"]
    assert [a["url_citation"]["url"] for a in message["annotations"]] == ["https://e.x/1"]
    contents = {"contents": [{"role": "user", "parts": [{"text": "one two three four\nCITE https://e.x/2"}]}]}
    g = native(gw, "gemini-web/flash", "generateContent", contents)
    s = native(gw, "gemini-web/flash", "streamGenerateContent", contents, "?alt=sse")
    assert gemini_view([g.json()]) == gemini_view([e for e in s.sse() if isinstance(e, dict)])
    grounding = g.json()["candidates"][0]["groundingMetadata"]
    assert grounding["groundingChunks"] == [{"web": {"uri": "https://e.x/2", "title": "Source 1"}}]


def test_what_the_web_app_cannot_carry_yet_is_a_400_saying_so(fake, make):
    gw = one_account(fake, make, "tools")
    stored = {"fileData": {"fileUri": "gs://bucket/cat.png", "mimeType": "image/png"}}  # no bytes to upload
    reply = native(gw, "gemini-web/flash", "generateContent", {"contents": [{"role": "user", "parts": [stored]}]})
    assert reply.status == 400 and "the file in contents[0].parts[0]" in reply.json()["error"]["message"], reply.text
    assert gw.accounts()["web-tools"].state == "ok"


def test_anthropic_messages_through_a_web_account(fake, make):
    gw = one_account(fake, make, "anthropic")
    body = {"model": "gemini-web/flash", "max_tokens": 100, "system": "Be kind.",
            "messages": [{"role": "user", "content": "hello from claude"}]}
    reply = post(f"{gw.url}/v1/messages", body, headers={"x-api-key": gw.key, "anthropic-version": "2023-06-01"})
    assert reply.status == 200, reply.text
    text = "".join(b["text"] for b in reply.json()["content"] if b["type"] == "text")
    assert text.startswith("echo: System instructions") and text.endswith("hello from claude")
    assert reply.json()["stop_reason"] == "end_turn"


# -- configured build label and XSRF token (issue 9: per-account overrides; the replaced server's gemini_bl) ----

def test_a_page_without_its_build_label_uses_the_configured_one(fake, make):
    # A page whose layout drifted carries no cfb2h: without a configured label the calls went without `bl`,
    # which Google's frontend refuses (the fake: "missing bl").
    fake.account(psid("nobl"), page_omits=("cfb2h",))
    gw = make({"web-nobl": {"cookie": cookie("nobl"), "build_label": "boq_assistant-bard-web-server_own"}})
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "hello"}]})
    assert reply.status == 200, reply.text
    sent = fake.requests_to("StreamGenerate")[-1]
    assert sent.query["bl"] == "boq_assistant-bard-web-server_own"


def test_the_kind_wide_build_label_serves_every_account_and_the_page_wins(fake, make):
    fake.account(psid("kindbl"), page_omits=("cfb2h",))
    fake.account(psid("pagebl"))
    gw = make({"web-kindbl": {"cookie": cookie("kindbl")}, "web-pagebl": {"cookie": cookie("pagebl")}},
              web={"build_label": "boq_kind_wide"})
    for _ in range(2):
        assert chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "x"}]}).status == 200
    labels = {r.query["bl"] for r in fake.requests_to("StreamGenerate")[-2:]}
    assert labels == {"boq_kind_wide", "boq_assistant-bard-web-server_20260806.17_p0"}  # the page's own wins


def test_a_page_without_its_xsrf_token_uses_the_configured_one(fake, make):
    acc = fake.account(psid("noat"), page_omits=("SNlM0e",))
    gw = make({"web-noat": {"cookie": cookie("noat"), "xsrf_token": acc.xsrf}})
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "hello"}]})
    assert reply.status == 200, reply.text
    assert fake.requests_to("StreamGenerate")[-1].body["at"] == acc.xsrf


def test_a_configured_xsrf_token_never_makes_a_signed_out_page_a_guest_session(fake, make):
    fake.account(psid("outat"), signed_in=False)
    before = len(fake.requests_to("StreamGenerate"))
    gw = make({"web-outat": {"cookie": cookie("outat"), "xsrf_token": "ATstale:1786105940803"}})
    view = gw.wait_state("web-outat", "needs_reauth")
    assert "add-cookie" in view.reason
    assert len(fake.requests_to("StreamGenerate")) == before


def test_routine_session_renewals_are_not_logged_at_info(fake, make, caplog):
    # New-user finding: "credential refreshed for account …" at INFO after almost every web answer (each
    # Set-Cookie merge renews the stored jar), drowning the access log.
    import logging

    caplog.set_level(logging.INFO, logger="gemgate")
    gw = one_account(fake, make, "quietlog")
    for text in ("one", "two", "three"):
        assert chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": text}]}).status == 200
    assert not [r for r in caplog.records if "credential refreshed" in r.getMessage() and r.levelno >= logging.INFO]
