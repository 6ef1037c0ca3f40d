"""The bridge API under /api/ end to end against the fake gemini.google.com: chat whole and streamed (the
envelope, thoughts, conversation ids that continue the chat, temporary chats, gems), models, quota, history,
the OpenAPI description and the playground; every error code from a realistic cause; bridge auth; per-request
cookies never written anywhere."""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from datetime import datetime

import pytest

from gemgate.upstreams.web.bridge.envelope import CODES
from tests.support.http import get, post, request
from tests.support.web import WebGateway, cookie, psid, web_fake  # noqa: F401 - the `fake` fixture


@pytest.fixture
def make(fake, tmp_path):
    started: list[WebGateway] = []

    def start(secrets: dict | None = None, **kw) -> WebGateway:
        kw.setdefault("web", {"impersonate": ""})
        gw = WebGateway(tmp_path / f"gw{len(started)}", fake.url, secrets or {}, **kw).start()
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.stop()


def cookies_of(tag: str) -> dict[str, str]:
    return {"x-gemini-psid": psid(tag), "x-gemini-psidts": f"sidts-{tag}-bridge-00000"}


def call(gw, method: str, path: str, body=None, tag: str | None = None, key: str | None = "default", **headers):
    sent = {**(cookies_of(tag) if tag else {}), **headers}
    if key is not None:
        sent["x-bridge-api-key"] = gw.key if key == "default" else key
    return request(method, f"{gw.url}{path}", body, headers=sent)


def assert_success(reply) -> dict:
    assert reply.status == 200, reply.text
    env = reply.json()
    assert env["success"] is True and set(env) == {"success", "data", "requestId", "timestamp"}
    uuid.UUID(env["requestId"])
    datetime.fromisoformat(env["timestamp"].replace("Z", "+00:00"))
    return env["data"]


def assert_error(reply, code: str) -> str:
    assert reply.status == CODES[code], (reply.status, reply.text)
    env = reply.json()
    assert env["success"] is False and env["error"]["code"] == code, env
    assert set(env) == {"success", "error", "requestId", "timestamp"}
    uuid.UUID(env["requestId"])
    return env["error"]["message"]


def events(reply) -> list[dict]:
    return [json.loads(line[6:]) for line in reply.text.split("\n") if line.startswith("data: ")]


def test_chat_whole_with_per_request_cookies(fake, make):
    fake.account(psid("chat"))
    gw = make()
    data = assert_success(call(gw, "POST", "/api/chat", {"prompt": "hello bridge", "model": "flash"}, tag="chat"))
    assert data["text"] == "echo: hello bridge" and data["model"] == "flash" and data["modelName"] == "3.6 Flash"
    assert data["conversation"]["id"].startswith("c_") and data["conversation"]["context"]
    assert data["thoughts"] is None and data["images"] == []
    sent = fake.requests_to("StreamGenerate")[-1]
    assert sent.model == "fbb127bbb056c959" and sent.extra["inner"][45] == 1  # temporary by default


def test_chat_streams_thoughts_and_text_then_the_envelope(fake, make):
    fake.account(psid("stream"))
    gw = make()
    reply = call(gw, "POST", "/api/chat", {"prompt": "why is the sky blue", "extended_thinking": True, "stream": True},
                 tag="stream")
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/event-stream"), reply.text
    got = events(reply)
    assert {e["type"] for e in got[:-1]} == {"thought", "text"}
    done = got[-1]
    assert done["type"] == "done" and done["success"] is True
    assert "".join(e["text"] for e in got if e["type"] == "text") == done["data"]["text"] == "echo: why is the sky blue"
    assert "".join(e["text"] for e in got if e["type"] == "thought") == done["data"]["thoughts"]
    sent = fake.requests_to("StreamGenerate")[-1]
    assert sent.extra["inner"][80] == 2  # extended thinking asked of the web app


def test_conversation_continues_a_saved_chat_and_history_reads_and_deletes_it(fake, make):
    fake.account(psid("hist"))
    gw = make()
    first = assert_success(call(gw, "POST", "/api/chat", {"prompt": "first question", "temporary": False}, tag="hist"))
    conv = first["conversation"]
    second = assert_success(call(gw, "POST", "/api/chat", {"prompt": "second question", "temporary": False,
                                                             "conversation": conv}, tag="hist"))
    assert second["conversation"]["id"] == conv["id"]
    sent = fake.requests_to("StreamGenerate")[-1]
    assert sent.extra["inner"][2] == [conv["id"], conv["responseId"], conv["choiceId"], None, None, None, None,
                                      None, None, conv["context"]]
    assert sent.extra["inner"][45] is None  # saved to history
    listed = assert_success(call(gw, "GET", "/api/history", tag="hist"))["conversations"]
    assert [c["id"] for c in listed] == [conv["id"]] and listed[0]["title"] == "first question"
    read = assert_success(call(gw, "GET", f"/api/history/{conv['id']}", tag="hist"))
    assert [t["prompt"] for t in read["turns"]] == ["first question", "second question"]
    assert [t["text"] for t in read["turns"]] == ["echo: first question", "echo: second question"]
    assert read["turns"][0]["responseId"] == conv["responseId"] and read["turns"][0]["createdAt"]
    rpc = fake.requests_to("hNvQHb")[-1]
    assert json.loads(json.loads(rpc.body["f.req"])[0][0][1]) == [conv["id"], 20, None, 1, [1], [4], None, 1]
    deleted = assert_success(call(gw, "DELETE", f"/api/history/{conv['id']}", tag="hist"))
    assert deleted == {"id": conv["id"], "deleted": True}
    assert fake.requests_to("qWymEb")
    assert assert_success(call(gw, "GET", "/api/history", tag="hist"))["conversations"] == []


def test_gem_goes_in_inner_19(fake, make):
    fake.account(psid("gem"))
    gw = make()
    assert_success(call(gw, "POST", "/api/chat", {"prompt": "code please", "gem": "coding-partner"}, tag="gem"))
    assert fake.requests_to("StreamGenerate")[-1].extra["inner"][19] == "coding-partner"
    # a gem named in the model as on the other APIs (`flash@gem=ID`), the body's `gem` winning over it
    assert_success(call(gw, "POST", "/api/chat", {"prompt": "ideas", "model": "flash@gem=brainstormer"}, tag="gem"))
    assert fake.requests_to("StreamGenerate")[-1].extra["inner"][19] == "brainstormer"
    assert_success(call(gw, "POST", "/api/chat", {"prompt": "ideas", "model": "flash@gem=brainstormer",
                                                  "gem": "coding-partner"}, tag="gem"))
    assert fake.requests_to("StreamGenerate")[-1].extra["inner"][19] == "coding-partner"


def test_models_and_quota_of_the_credentials(fake, make):
    fake.account(psid("mq"), models=("flash", "pro"))
    gw = make()
    ids = [m["id"] for m in assert_success(call(gw, "GET", "/api/models", tag="mq"))["models"]]
    assert {"flash", "pro", "auto", "gemini-3.1-pro"} <= set(ids) and "flash-lite" not in ids
    quota = assert_success(call(gw, "GET", "/api/quota", tag="mq"))
    assert quota["tier"] == "FREE" and quota["overage"] is False
    assert [(q["window"], q["remaining"]) for q in quota["limits"]] == [("5h", 40), ("weekly", 400)]
    assert quota["limits"][0]["resetsAt"].endswith("Z")
    assert fake.requests_to("jSf9Qc")[-1].query["source-path"] == "/usage"


def test_a_pool_account_serves_without_cookie_headers(fake, make):
    fake.account(psid("pool"))
    gw = make({"web-pool": {"cookie": cookie("pool")}})
    data = assert_success(call(gw, "POST", "/api/chat", {"prompt": "from the pool"}))
    assert data["text"] == "echo: from the pool"
    assert fake.requests_to("StreamGenerate")[-1].account == psid("pool")
    assert assert_success(call(gw, "GET", "/api/models"))["models"]


def test_bridge_auth_and_credentials_errors(fake, make):
    gw = make()
    body = {"prompt": "hi"}
    assert "Missing" in assert_error(call(gw, "POST", "/api/chat", body, key=None), "BRIDGE_AUTH_ERROR")
    assert_error(call(gw, "POST", "/api/chat", body, key="gg-not-a-key-of-this-gateway"), "BRIDGE_AUTH_ERROR")
    bearer = request("POST", f"{gw.url}/api/chat", body, key=gw.key)  # only x-bridge-api-key authenticates here
    assert_error(bearer, "BRIDGE_AUTH_ERROR")
    assert_error(call(gw, "POST", "/api/chat", body), "MISSING_GEMINI_CREDENTIALS")
    assert_error(call(gw, "GET", "/api/quota"), "MISSING_GEMINI_CREDENTIALS")
    assert "x-gemini-psid" in assert_error(call(gw, "POST", "/api/chat", body, **{"x-gemini-psid": "bad value"}),
                                           "INVALID_GEMINI_CREDENTIALS")
    fake.account(psid("out"), signed_in=False)
    message = assert_error(call(gw, "POST", "/api/chat", body, tag="out"), "INVALID_GEMINI_CREDENTIALS")
    assert psid("out") not in message


@pytest.mark.parametrize("body, field", [
    ([], "JSON object"), ({"model": "flash"}, "prompt"), ({"prompt": ""}, "prompt"),
    ({"prompt": "x", "stream": "yes"}, "stream"), ({"prompt": "x", "colour": 1}, "colour"),
    ({"prompt": "x", "files": [{"data": "!!", "mimeType": "image/png"}]}, "files[0]"),
    ({"prompt": "x", "conversation": {"cid": 1}}, "conversation"),
    ({"prompt": "x", "conversation": {"id": "../../c_1"}}, "'conversation.id' '../../c_1' is not a conversation id"),
    ({"prompt": "x", "files": [{"data": "", "mimeType": "image/png"}]}, "is empty (0 bytes)"),
])
def test_invalid_bodies_name_the_field(fake, make, body, field):
    fake.account(psid("body"))
    gw = make()
    assert field in assert_error(call(gw, "POST", "/api/chat", body, tag="body"), "INVALID_BODY")


def test_upstream_failures_have_their_codes(fake, make):
    fake.account(psid("errs"))
    gw = make(web={"impersonate": "", "first_byte_timeout": 1.0, "idle_timeout": 1.0})
    cases = [("WEB-ERROR 1037", "USAGE_LIMIT_EXCEEDED"), ("WEB-ERROR 1060", "TEMPORARILY_BLOCKED"),
             ("SORRY", "TEMPORARILY_BLOCKED"), ("WEB-ERROR 1052", "MODEL_INVALID"),
             ("WEB-ERROR 1050", "MODEL_INVALID"), ("WEB-HTTP 500", "API_ERROR"), ("WEB-HTTP 403", "GEMINI_AUTH_ERROR"),
             ("SLOW 3", "TIMEOUT")]
    for directive, code in cases:
        message = assert_error(call(gw, "POST", "/api/chat", {"prompt": f"go\n{directive}"}, tag="errs"), code)
        assert psid("errs") not in message, directive
    assert_error(call(gw, "POST", "/api/chat", {"prompt": "x", "model": "ultra"}, tag="errs"), "MODEL_INVALID")


def test_an_error_after_the_stream_started_ends_it_with_an_error_event(fake, make):
    fake.account(psid("mid"))
    gw = make()
    reply = call(gw, "POST", "/api/chat", {"prompt": "one two three four\nFAIL-AFTER 1 500", "stream": True}, tag="mid")
    assert reply.status == 200
    last = events(reply)[-1]
    assert last["type"] == "error" and last["success"] is False and last["error"]["code"] == "API_ERROR"


def test_internal_error_is_the_envelope_and_logged(fake, make, monkeypatch, caplog):
    fake.account(psid("boom"))
    gw = make()
    from gemgate.upstreams.web.bridge import account

    def broken(*a, **k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(account, "_time", broken)
    assert_error(call(gw, "GET", "/api/quota", tag="boom"), "INTERNAL_ERROR")


def test_per_request_cookies_are_never_stored_or_logged(fake, make, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fake.account(psid("secret"))
    gw = make()
    sent = cookies_of("secret")
    assert_success(call(gw, "POST", "/api/chat", {"prompt": "hi", "temporary": False}, tag="secret"))
    assert_success(call(gw, "GET", "/api/history", tag="secret"))
    call(gw, "POST", "/api/chat", {"prompt": "hi\nWEB-HTTP 500"}, tag="secret")
    assert gw.accounts() == {}
    gw.stop()
    for path in (p for p in (tmp_path / "gw0").rglob("*") if p.is_file()):
        for value in sent.values():
            assert value.encode() not in path.read_bytes(), path
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for value in sent.values():
        assert value not in logged


def test_openapi_and_playground_are_served_offline(make):
    gw = make()
    doc = get(f"{gw.url}/api/openapi.json").json()
    assert doc["openapi"].startswith("3.") and set(doc["paths"]) == {
        "/api/chat", "/api/models", "/api/quota", "/api/history", "/api/history/{cid}", "/api/gems", "/api/gems/{gem}", "/api/research/{cid}"}
    assert doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"] == list(CODES)
    page = get(f"{gw.url}/api/playground")
    assert page.status == 200 and "x-bridge-api-key" in page.text
    assert not re.search(r"""(src|href)=["']https?://""", page.text)  # no CDN: every asset is inline
    policy = page.headers["content-security-policy"]  # the key typed in goes to this gateway only; never framed
    assert "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert post(f"{gw.url}/v1/chat/completions", {}).status == 401  # the rest of the gateway stays closed


def test_a_pool_whose_web_accounts_need_reauth_is_a_gemini_auth_error(fake, make):
    fake.account(psid("stale"), signed_in=False)
    gw = make({"web-stale": {"cookie": cookie("stale")}})
    gw.wait_state("web-stale", "needs_reauth")
    assert "renewed" in assert_error(call(gw, "POST", "/api/chat", {"prompt": "hi"}), "GEMINI_AUTH_ERROR")
    assert_error(call(gw, "GET", "/api/models"), "GEMINI_AUTH_ERROR")
    fake.account(psid("fresh"))
    assert_success(call(gw, "GET", "/api/models", tag="fresh"))  # the caller's own cookies still serve


def test_gems_are_listed_created_updated_used_and_deleted(fake, make):
    fake.account(psid("gems"))
    gw = make()
    listed = assert_success(call(gw, "GET", "/api/gems", tag="gems"))["gems"]
    assert [g["id"] for g in listed] == ["coding-partner", "brainstormer"] and all(g["predefined"] for g in listed)
    sent = json.loads(fake.requests_to("CNgdBe,CNgdBe")[-1].body["f.req"])[0]
    assert [(json.loads(r[1]), r[3]) for r in sent] == [([3, ["en"], 0], "system"), ([2, ["en"], 0], "custom")]
    hidden = assert_success(call(gw, "GET", "/api/gems?hidden=true", tag="gems"))["gems"]
    assert "storybook" in [g["id"] for g in hidden]
    made = assert_success(call(gw, "POST", "/api/gems", {"name": "Poet", "prompt": "Answer in verse."}, tag="gems"))
    assert made["name"] == "Poet" and made["predefined"] is False
    changed = assert_success(call(gw, "PUT", f"/api/gems/{made['id']}",
                                  {"name": "Poet", "description": "rhymes", "prompt": "Answer in haiku."}, tag="gems"))
    assert changed["prompt"] == "Answer in haiku."
    custom = [g for g in assert_success(call(gw, "GET", "/api/gems", tag="gems"))["gems"] if not g["predefined"]]
    assert custom == [{"id": made["id"], "name": "Poet", "description": "rhymes", "prompt": "Answer in haiku.",
                       "predefined": False}]
    assert_success(call(gw, "POST", "/api/chat", {"prompt": "a poem", "gem": made["id"]}, tag="gems"))
    assert fake.requests_to("StreamGenerate")[-1].extra["inner"][19] == made["id"]
    assert assert_success(call(gw, "DELETE", f"/api/gems/{made['id']}", tag="gems"))["deleted"] is True
    assert not [g for g in assert_success(call(gw, "GET", "/api/gems", tag="gems"))["gems"] if not g["predefined"]]
    assert_error(call(gw, "DELETE", "/api/gems/coding-partner", tag="gems"), "API_ERROR")  # predefined: refused
    assert "prompt" in assert_error(call(gw, "POST", "/api/gems", {"name": "x"}, tag="gems"), "INVALID_BODY")


def test_deep_research_plans_starts_and_reports(fake, make):
    fake.account(psid("research"))
    gw = make()
    first = assert_success(call(gw, "POST", "/api/chat", {"prompt": "RCU and double buffering", "deep_research": True},
                                tag="research"))
    plan = first["plan"]
    assert plan["title"] == "RCU and double buffering" and plan["confirmPrompt"] == "Start research"
    assert [s["label"] for s in plan["steps"]] == ["Research websites", "Analyse results", "Create report"]
    inner = fake.requests_to("StreamGenerate")[-1].extra["inner"]
    assert inner[49] == 1 and inner[3].startswith("!") and inner[54] == [[[[[1]]]]] and inner[55] == [[1]]
    assert inner[45] is None  # saved: the report is read from the conversation
    cid = first["conversation"]["id"]
    started = assert_success(call(gw, "POST", "/api/chat", {"prompt": plan["confirmPrompt"], "deep_research": True,
                                                              "conversation": first["conversation"]}, tag="research"))
    assert started["conversation"]["id"] == cid and started["plan"] is None
    running = assert_success(call(gw, "GET", f"/api/research/{cid}", tag="research"))
    assert running["status"] == "running" and running["report"] is None
    done = assert_success(call(gw, "GET", f"/api/research/{cid}", tag="research"))
    assert done == {"id": cid, "status": "done", "title": "Report: RCU and double buffering",
                    "report": "# Report: RCU and double buffering\n\nFindings."}
    assert "temporary" in assert_error(call(gw, "POST", "/api/chat", {"prompt": "x", "deep_research": True,
                                                                        "temporary": True}, tag="research"), "INVALID_BODY")


def test_a_named_conversation_is_continued_as_named_or_fails(fake, make):
    fake.account(psid("named"))
    gw = make()
    first = assert_success(call(gw, "POST", "/api/chat", {"prompt": "on flash", "model": "flash"}, tag="named"))
    before = len(fake.requests_to("StreamGenerate"))
    message = assert_error(call(gw, "POST", "/api/chat", {"prompt": "now on pro", "model": "pro",
                                                           "conversation": first["conversation"]}, tag="named"),
                           "MODEL_INVALID")
    assert "1050" in message
    assert len(fake.requests_to("StreamGenerate")) == before + 1  # not restarted as a new conversation
    forged = {**first["conversation"], "responseId": "r_forged"}
    assert_error(call(gw, "POST", "/api/chat", {"prompt": "again", "conversation": forged, "model": "flash"},
                      tag="named"), "API_ERROR")


def test_every_bridge_call_leaves_one_access_log_line(fake, make, caplog):
    # README: the gateway logs each request, refused ones too. Only chats the pipeline served were logged.
    caplog.set_level(logging.INFO, logger="gemgate.access")
    fake.account(psid("logged"))
    gw = make()
    calls = [
        (("POST", "/api/chat", {"prompt": "hi"}), {"key": None}, 401, "op=request"),
        (("GET", "/api/models"), {"key": "not-a-key", "tag": "logged"}, 401, "op=request"),
        (("GET", "/api/models"), {"x-gemini-psid": "short"}, 401, "op=request"),
        (("POST", "/api/chat", {"prompt": ""}), {"tag": "logged"}, 400, "op=chat"),
        (("GET", "/api/models"), {"tag": "logged"}, 200, "op=models"),
        (("GET", "/api/history/c_nonexistent"), {"tag": "logged"}, 502, "op=conversation"),
        (("POST", "/api/chat", {"prompt": "hi"}), {"tag": "logged"}, 200, "op=generate"),
        (("POST", "/api/chat", {"prompt": "hi", "model": "nonesuch"}), {"tag": "logged"}, 400, "op=generate"),
    ]
    for args, kw, status, op in calls:
        caplog.clear()
        assert call(gw, *args, **kw).status == status
        lines = [r.getMessage() for r in caplog.records if r.name == "gemgate.access"]
        assert len(lines) == 1 and "dialect=bridge" in lines[0] and op in lines[0], (args, lines)
        assert f"status={status}" in lines[0], lines


def test_files_keep_their_names_temporary_says_what_was_used_and_model_errors_name_the_bridge_list(fake, make):
    # New-user findings: the web app saw every file as file-1.txt; `temporary` came back null when the body left
    # it out; a MODEL_INVALID message pointed at the OpenAI list (GET /v1/models) instead of the bridge's.
    fake.account(psid("named"))
    gw = make()
    notes = base64.b64encode(b"meeting at noon").decode()
    data = assert_success(call(gw, "POST", "/api/chat", {
        "prompt": "read this", "files": [{"data": notes, "mimeType": "text/plain", "name": "notes.txt"}]}, tag="named"))
    assert "[saw notes.txt: text/plain" in data["text"], data["text"]
    assert data["temporary"] is True  # the kind's default
    saved = assert_success(call(gw, "POST", "/api/chat", {"prompt": "keep", "temporary": False}, tag="named"))
    assert saved["temporary"] is False
    bad = call(gw, "POST", "/api/chat", {"prompt": "x", "files": [{"data": notes, "mimeType": "text/plain", "name": 7}]},
               tag="named")
    assert "files[0].name" in assert_error(bad, "INVALID_BODY")
    message = assert_error(call(gw, "POST", "/api/chat", {"prompt": "x", "model": "ultra"}, tag="named"), "MODEL_INVALID")
    assert "/v1/models" not in message
