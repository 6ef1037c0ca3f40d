"""gemini-web multi-turn, temporary chats and files, end to end over loopback HTTP against the fake
gemini.google.com: a replayed history continues its web conversation on the account that holds it (with the
ids of §3.7, the last turn alone), whichever dialect replays it; a pinned account that cannot serve, error 1050,
another model or an expired mapping start a new conversation carrying the history; temporary chats on and off;
images from OpenAI data: URLs and Anthropic base64 reach the fake as uploads attached to the message."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.support.gateway import CLIENT_KEY, chat
from tests.support.http import post
from tests.support.ssrf import GENERIC, GuardSpy, media_server
from tests.support.ssrf import PNG as MEDIA_PNG
from tests.support.web import WebGateway, cookie, psid, web_fake  # noqa: F401 (the `fake` fixture)

# A 1×1 PNG (the media sniffer checks the declared type against the bytes).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
PNG64 = base64.b64encode(PNG).decode()


@pytest.fixture(params=["chrome", ""], ids=["curl_cffi", "aiohttp"])
def make(fake, tmp_path, request):
    """Gateways with fresh web accounts (tags), on either transport (uploads are multipart bodies on both)."""
    started: list[WebGateway] = []

    def start(tags: list[str], **web) -> WebGateway:
        for tag in tags:
            fake.account(psid(f"{tag}-{request.param}"), blocked=None)
        secrets = {f"web-{tag}": {"cookie": cookie(f"{tag}-{request.param}")} for tag in tags}
        web = {"impersonate": request.param, **web}
        gw = WebGateway(tmp_path / f"gw{len(started)}", fake.url, secrets, web=web).start()
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.stop()


def last_stream(fake):
    return fake.requests_to("StreamGenerate")[-1]


def answer_of(reply) -> str:
    return reply.json()["choices"][0]["message"]["content"]


def conversation_of(fake, exchange):
    """The fake's conversation whose latest answer is the one `exchange` got, and that answer."""
    prompt = exchange.extra["inner"][0][0]
    for conv in fake.conversations.values():
        if conv.psid == exchange.account and conv.answers and conv.answers[-1].prompt == prompt:
            return conv, conv.answers[-1]
    raise AssertionError("no conversation holds that answer")


def anthropic(gw, body):
    return post(f"{gw.url}/v1/messages", {"max_tokens": 200, **body},
                headers={"x-api-key": gw.key, "anthropic-version": "2023-06-01"})


def native(gw, model, body):
    return post(f"{gw.url}/v1beta/models/{model}:generateContent", body, headers={"x-goog-api-key": gw.key})


def test_continuation_lands_on_the_same_account_with_the_ids(fake, make):
    gw = make(["turn-a", "turn-b"])
    history = [{"role": "user", "content": "where do rivers start"}]
    first = chat(gw, {"model": "gemini-web/flash", "messages": history})
    assert first.status == 200, first.text
    sent = last_stream(fake)
    conv, ans = conversation_of(fake, sent)
    assert sent.extra["inner"][2][0] == "" and sent.extra["inner"][45] == 1  # new, temporary by default
    for question in ("and where do they end", "how long is the longest"):
        history += [{"role": "assistant", "content": answer_of(first)}, {"role": "user", "content": question}]
        first = chat(gw, {"model": "gemini-web/flash", "messages": history})
        assert first.status == 200, first.text
        assert answer_of(first) == f"echo: {question}"
        sent = last_stream(fake)
        assert sent.account == conv.psid  # affinity: the account that holds the conversation
        assert sent.extra["inner"][2] == [conv.cid, ans.rid, ans.rcid, None, None, None, None, None, None, ans.context]
        assert sent.extra["inner"][0][0] == question  # the last turn alone
        ans = conv.answers[-1]
    # Streamed, the same: the closing chunk waits for the context token, then the turn is kept.
    history += [{"role": "assistant", "content": answer_of(first)}, {"role": "user", "content": "streamed one"}]
    streamed = chat(gw, {"model": "gemini-web/flash", "messages": history, "stream": True})
    events = [e for e in streamed.sse() if isinstance(e, dict) and e.get("choices")]
    assert "".join(e["choices"][0]["delta"].get("content") or "" for e in events) == "echo: streamed one"
    assert events[-1]["choices"][0]["finish_reason"] == "stop" and last_stream(fake).extra["continued"] == conv.cid
    history += [{"role": "assistant", "content": "echo: streamed one"}, {"role": "user", "content": "after stream"}]
    assert chat(gw, {"model": "gemini-web/flash", "messages": history}).status == 200
    assert last_stream(fake).extra["continued"] == conv.cid and last_stream(fake).extra["inner"][0][0] == "after stream"
    assert len(conv.answers) == 5


def test_a_replay_through_each_dialect_continues_the_same_conversation(fake, make):
    gw = make(["dialects"])
    model = "gemini-3.5-flash-thinking"
    first = chat(gw, {"model": model, "messages": [{"role": "system", "content": "Be brief."},
                                                     {"role": "user", "content": "name three colours"}]})
    assert first.status == 200, first.text
    message = first.json()["choices"][0]["message"]
    answer, thoughts = message["content"], message.get("reasoning_content") or ""
    assert thoughts  # the thinking model answered with thoughts a client may replay
    conv, _ = conversation_of(fake, last_stream(fake))

    openai = chat(gw, {"model": model, "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "name three colours "},
        {"role": "assistant", "content": f"<think>{thoughts}</think>\n\n{answer}\n"},
        {"role": "user", "content": "from openai"}]})
    claude = anthropic(gw, {"model": model, "system": "Be brief.", "messages": [
        {"role": "user", "content": [{"type": "text", "text": "name three"}, {"type": "text", "text": " colours"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "  " + answer}]},
        {"role": "user", "content": "from anthropic"}]})
    gemini = native(gw, model, {"systemInstruction": {"parts": [{"text": "Be brief.\n"}]}, "contents": [
        {"role": "user", "parts": [{"text": "name three colours"}]},
        {"role": "model", "parts": [{"text": thoughts, "thought": True}, {"text": answer[:6]},
                                    {"text": answer[6:], "thoughtSignature": "c2lnbmF0dXJl"}]},
        {"role": "user", "parts": [{"text": "from gemini"}]}]})
    for reply, said in ((openai, "from openai"), (claude, "from anthropic"), (gemini, "from gemini")):
        assert reply.status == 200, reply.text
        assert f"echo: {said}" in json.dumps(reply.json())
    turns = [e for e in fake.requests_to("StreamGenerate") if e.extra.get("continued") == conv.cid]
    assert [e.extra["inner"][0][0] for e in turns] == ["from openai", "from anthropic", "from gemini"]


def test_pinned_account_that_cannot_serve_starts_a_new_conversation_elsewhere(fake, make):
    gw = make(["pin-a", "pin-b"])
    history = [{"role": "user", "content": "remember the word kestrel"}]
    first = chat(gw, {"model": "gemini-web/flash", "messages": history})
    assert first.status == 200, first.text
    conv, _ = conversation_of(fake, last_stream(fake))
    holder = next(a for a in fake.accounts.values() if a.psid == conv.psid)
    holder.blocked = "429"  # the holder is blocked: it cools, the turn goes elsewhere with the whole history
    try:
        history += [{"role": "assistant", "content": answer_of(first)}, {"role": "user", "content": "which word"}]
        second = chat(gw, {"model": "gemini-web/flash", "messages": history})
        assert second.status == 200, second.text
        sent = last_stream(fake)
        assert sent.account != conv.psid and sent.extra["inner"][2][0] == ""
        prompt = sent.extra["inner"][0][0]
        assert "remember the word kestrel" in prompt and prompt.endswith("User: which word")
        holder_name = next(name for name, secret in gw.secrets.items() if conv.psid in secret["cookie"])
        gw.wait_state(holder_name, "cooling")
        refused = [e for e in fake.exchanges if e.account == conv.psid and e.status == 429]
        assert refused  # the pin was tried first
        # While it cools, a replay of its conversation is not sent to it at all.
        branch = history[:2] + [{"role": "user", "content": "spell it"}]
        assert chat(gw, {"model": "gemini-web/flash", "messages": branch}).status == 200
        assert len([e for e in fake.exchanges if e.account == conv.psid and e.status == 429]) == len(refused)
        assert last_stream(fake).account != conv.psid and "kestrel" in last_stream(fake).extra["inner"][0][0]
        # The next turn continues the new conversation on the account that now holds it.
        history += [{"role": "assistant", "content": answer_of(second)}, {"role": "user", "content": "again"}]
        third = chat(gw, {"model": "gemini-web/flash", "messages": history})
        assert third.status == 200, third.text
        assert last_stream(fake).account == sent.account and last_stream(fake).extra["continued"]
    finally:
        holder.blocked = None


def test_error_1050_and_another_model_start_a_new_conversation(fake, make):
    gw = make(["model-change"])
    history = [{"role": "user", "content": "count to three"}]
    first = chat(gw, {"model": "gemini-web/flash", "messages": history})
    conv, _ = conversation_of(fake, last_stream(fake))
    conv.model_hex = "0000000000000000"  # the server now holds the conversation for another model: 1050
    history += [{"role": "assistant", "content": answer_of(first)}, {"role": "user", "content": "and to four"}]
    before = len(fake.requests_to("StreamGenerate"))
    second = chat(gw, {"model": "gemini-web/flash", "messages": history})
    assert second.status == 200, second.text
    refused, sent = fake.requests_to("StreamGenerate")[before:]
    assert refused.extra["inner"][2][0] == conv.cid and sent.extra["inner"][2][0] == ""
    assert "count to three" in sent.extra["inner"][0][0]
    # Another model than the conversation's: a new conversation at once (no 1050 round trip).
    history += [{"role": "assistant", "content": answer_of(second)}, {"role": "user", "content": "now pro"}]
    before = len(fake.requests_to("StreamGenerate"))
    third = chat(gw, {"model": "gemini-web/pro", "messages": history})
    assert third.status == 200, third.text
    (sent,) = fake.requests_to("StreamGenerate")[before:]
    assert sent.extra["inner"][2][0] == "" and "and to four" in sent.extra["inner"][0][0]


def test_a_conversation_the_web_app_no_longer_holds_starts_anew_on_the_same_account(fake, make):
    gw = make(["forgotten"])
    history = [{"role": "user", "content": "a temporary thought"}]
    first = chat(gw, {"model": "gemini-web/flash", "messages": history})
    conv, _ = conversation_of(fake, last_stream(fake))
    del fake.conversations[conv.cid]  # not kept by the server (a temporary chat it did not persist)
    history += [{"role": "assistant", "content": answer_of(first)}, {"role": "user", "content": "go on"}]
    before = len(fake.requests_to("StreamGenerate"))
    second = chat(gw, {"model": "gemini-web/flash", "messages": history})
    assert second.status == 200 and answer_of(second).endswith("User: go on"), second.text
    refused, sent = fake.requests_to("StreamGenerate")[before:]
    assert refused.extra["inner"][2][0] == conv.cid and sent.extra["inner"][2][0] == ""
    assert sent.account == conv.psid and "a temporary thought" in sent.extra["inner"][0][0]


def test_an_expired_mapping_starts_a_new_conversation(fake, make):
    gw = make(["ttl"], conversation_ttl_seconds=2)
    history = [{"role": "user", "content": "short lived"}]
    first = chat(gw, {"model": "gemini-web/flash", "messages": history})
    history += [{"role": "assistant", "content": answer_of(first)}, {"role": "user", "content": "next"}]
    assert chat(gw, {"model": "gemini-web/flash", "messages": history}).status == 200
    assert last_stream(fake).extra["continued"]
    time.sleep(2.2)
    assert chat(gw, {"model": "gemini-web/flash", "messages": history}).status == 200
    assert last_stream(fake).extra["continued"] is None and "short lived" in last_stream(fake).extra["inner"][0][0]


@pytest.mark.parametrize("temporary", [True, False])
def test_temporary_chats_follow_the_setting(fake, make, temporary):
    gw = make([f"temp-{temporary}"], temporary=temporary)
    history = [{"role": "user", "content": "keep this or not"}]
    first = chat(gw, {"model": "gemini-web/flash", "messages": history})
    assert first.status == 200, first.text
    sent = last_stream(fake)
    assert sent.extra["inner"][45] == (1 if temporary else None)
    assert json.loads(sent.header("x-goog-ext-525001261-jspb"))[7] == (1 if temporary else 0)
    conv, _ = conversation_of(fake, sent)
    assert conv.temporary is temporary
    history += [{"role": "assistant", "content": answer_of(first)}, {"role": "user", "content": "continue it"}]
    assert chat(gw, {"model": "gemini-web/flash", "messages": history}).status == 200
    assert last_stream(fake).extra["continued"] == conv.cid  # a temporary chat is continued too


def test_images_from_openai_and_anthropic_are_uploaded_and_attached(fake, make):
    gw = make(["files"])
    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}}
    history = [{"role": "user", "content": [{"type": "text", "text": "what is this"}, image]}]
    reply = chat(gw, {"model": "gemini-web/flash", "messages": history})
    assert reply.status == 200, reply.text
    assert f"[saw file-1.png: image/png, {len(PNG)} bytes]" in answer_of(reply)
    sent = last_stream(fake)
    (upload,) = sent.extra["files"]
    assert upload.data == PNG and upload.name == "file-1.png" and upload.mime == "image/png"
    assert upload.headers.get("Cookie") is None and upload.headers["X-Tenant-Id"] == "bard-storage"
    attached = sent.extra["inner"][0][3]
    assert attached == [[[upload.file_id, 1, None, "image/png"], "file-1.png", None, None, None, None, None, None, [0]]]
    # Continuing: the web app has the image already; only the new turn (no file) is sent.
    history += [{"role": "assistant", "content": answer_of(reply)}, {"role": "user", "content": "and its colour"}]
    uploads = len(fake.requests_to("upload"))
    assert chat(gw, {"model": "gemini-web/flash", "messages": history}).status == 200
    assert last_stream(fake).extra["continued"] and last_stream(fake).extra["inner"][0][3] is None
    assert len(fake.requests_to("upload")) == uploads

    claude = anthropic(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG64}},
        {"type": "text", "text": "describe it"}]}]})
    assert claude.status == 200, claude.text
    assert f"[saw file-1.png: image/png, {len(PNG)} bytes]" in claude.json()["content"][-1]["text"]
    assert last_stream(fake).extra["files"][0].data == PNG


def test_earlier_turns_files_are_uploaded_again_for_a_new_conversation(fake, make):
    gw = make(["refiles"])
    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}}
    history = [{"role": "user", "content": [image, {"type": "text", "text": "look"}]},
               {"role": "assistant", "content": "a picture, seen elsewhere"}, {"role": "user", "content": "and now?"}]
    reply = chat(gw, {"model": "gemini-web/flash", "messages": history})
    assert reply.status == 200, reply.text
    sent = last_stream(fake)
    assert sent.extra["continued"] is None and [u.data for u in sent.extra["files"]] == [PNG]
    assert "User: [file-1.png]\nlook" in sent.extra["inner"][0][0]  # the history says which turn had it


def test_too_large_files_are_a_clear_400(fake, make):
    gw = make(["big"], upload_max_bytes=32)
    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}}
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": [image]}]})
    assert reply.status == 400, reply.text
    message = reply.json()["error"]["message"]
    assert "contents[0].parts[0]" in message and "upload_max_bytes" in message and str(len(PNG)) in message
    # The web app's own refusal (HTTP 413 from the upload) is a 400 too.
    gw = make(["big2"])
    fake.upload_limit = 16
    try:
        reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": [image]}]})
    finally:
        fake.upload_limit = 10 * 1024 * 1024
    assert reply.status == 400 and "too large" in reply.json()["error"]["message"], reply.text


def test_file_urls_are_fetched_behind_the_ssrf_guard(fake, make, monkeypatch):
    spy = GuardSpy(monkeypatch)  # lets the "public" media server through, records every other verdict
    gw = make(["urls"])
    with media_server() as base:
        part = {"fileData": {"fileUri": f"{base}/png", "mimeType": "image/png"}}
        reply = native(gw, "gemini-web/flash", {"contents": [{"role": "user", "parts": [part, {"text": "see"}]}]})
    assert reply.status == 200, reply.text
    assert last_stream(fake).extra["files"][0].data == MEDIA_PNG
    inward = {"fileData": {"fileUri": f"{fake.url}/secret.png", "mimeType": "image/png"}}  # loopback: refused
    reply = native(gw, "gemini-web/flash", {"contents": [{"role": "user", "parts": [inward, {"text": "see"}]}]})
    assert reply.status == 400 and GENERIC in reply.json()["error"]["message"], reply.text
    assert not [e for e in fake.exchanges if e.path == "/secret.png"] and spy.passed() == []


def test_another_client_key_replaying_a_history_does_not_continue_its_web_conversation(fake, tmp_path):
    """Conversation mappings are each client key's own (`ClientIdentity.owner`): a client that replays (or
    forges) another client's history exactly starts a new conversation carrying the history, so it can never
    read on in, or write into, the other's web conversation (files, system prompt and all)."""
    other = "gg-other-client-key-0123456789"
    fake.account(psid("owner-a"), blocked=None)
    gw = WebGateway(tmp_path / "gw", fake.url, {"web-owner-a": {"cookie": cookie("owner-a")}}, web={"impersonate": ""},
                    client_keys=[CLIENT_KEY, other]).start()
    try:
        _replay_as_another_client(fake, gw, other)
    finally:
        gw.stop()


def _replay_as_another_client(fake, gw, other):
    history = [{"role": "user", "content": "my secret is the river"}]
    first = chat(gw, {"model": "gemini-web/flash", "messages": history})
    assert first.status == 200, first.text
    history += [{"role": "assistant", "content": answer_of(first)}, {"role": "user", "content": "what was it"}]
    gw.key = other
    forged = chat(gw, {"model": "gemini-web/flash", "messages": history})
    assert forged.status == 200, forged.text
    assert last_stream(fake).extra["inner"][2][0] == ""  # a new conversation, not the first client's
    assert last_stream(fake).extra.get("continued") is None
    gw.key = CLIENT_KEY  # the owner itself still continues it
    assert chat(gw, {"model": "gemini-web/flash", "messages": history}).status == 200
    assert last_stream(fake).extra["continued"]


@pytest.mark.parametrize("stream", [False, True])
def test_the_kept_conversation_is_looked_up_once_per_request(fake, make, monkeypatch, stream):
    # Finding the conversation hashes the whole history and reads the store: the pool's preference and the
    # attempt asked it apart, twice per request.
    from gemgate.upstreams.web import history

    gw = make(["once-a"])
    calls = []
    original = history.prior_key
    monkeypatch.setattr(history, "prior_key", lambda request: calls.append(1) or original(request))
    messages = [{"role": "user", "content": "count me"}]
    first = chat(gw, {"model": "gemini-web/flash", "messages": messages})
    messages += [{"role": "assistant", "content": answer_of(first)}, {"role": "user", "content": "and again"}]
    calls.clear()
    assert chat(gw, {"model": "gemini-web/flash", "messages": messages, "stream": stream}).status == 200
    assert len(calls) == 1
