"""Every failure of reference/gemini-web-protocol.md §4.1 through the gateway with two gemini-web accounts: the
client's status and message, whether the other account was tried, and what the failing account's state became."""

from __future__ import annotations

import json
import time

import pytest

from gemgate.testing.web_history import FIVE_HOURS, WEEKLY, Usage

from tests.support.gateway import chat
from tests.support.web import psid, web_gateway


@pytest.fixture
def gw(tmp_path):
    with web_gateway(tmp_path, "erra", "errb") as gateway:
        yield gateway


@pytest.fixture
def fake(gw):
    return gw.fake


def pro_cooldowns(gw, timeout: float = 5.0) -> dict[str, list]:
    """Each account's cooldowns of the model "pro", once both have one (the views follow the pool's state)."""
    deadline = time.monotonic() + timeout
    while True:
        found = {a.name: [c for c in a.cooldowns if c.model == "pro"] for a in gw.accounts().values()}
        if all(found.values()) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def accounts_tried(fake, before: int) -> set:
    return {e.account for e in fake.requests_to("StreamGenerate")[before:]}


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_each_canned_failure_text_is_retried_on_the_other_account(gw, fake, n):
    before = len(fake.requests_to("StreamGenerate"))
    for stream in (False, True):
        reply = chat(gw, {"model": "gemini-web/flash", "stream": stream,
                          "messages": [{"role": "user", "content": f"WEB-CANNED {n}"}]})
        assert reply.status == 502 and "canned failure" in reply.text, reply.text
    assert accounts_tried(fake, before) == {psid("erra"), psid("errb")}


@pytest.mark.parametrize("prompt,status,words,retried", [
    ("WEB-ERROR 1013", 502, "a passing failure (error 1013)", True),
    ("WEB-ERROR 1155", 502, "an empty rejection (error 1155)", True),
    ("WEB-ERROR 1234", 502, "error 1234", True),
    ("WEB-ERROR 1050", 400, "error 1050", False),
    ("WEB-ERROR 1100", 400, "attachment (error 1100)", True),  # UNCLEAR: an anonymous session may cause it
    ("WEB-ER 500", 502, "protocol error frame (500)", True),
])
def test_in_band_errors(gw, fake, prompt, status, words, retried):
    before = len(fake.requests_to("StreamGenerate"))
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": prompt}]})
    assert reply.status == status and words in reply.json()["error"]["message"], reply.text
    assert len(accounts_tried(fake, before)) == (2 if retried else 1)


def test_account_rate_limit_cools_the_account_a_minute(gw, fake):
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "WEB-ERROR 1095"}]})
    assert reply.status == 429 and "1095" in reply.json()["error"]["message"], reply.text
    for name in ("web-erra", "web-errb"):
        assert "1095" in gw.wait_state(name, "cooling").reason


def test_in_band_429_frame_cools_the_account(gw, fake):
    reply = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "WEB-ER 429"}]})
    assert reply.status == 429, reply.text
    assert "in-band 429" in gw.wait_state("web-erra", "cooling").reason


def test_usage_limit_rests_the_model_until_the_usage_windows_reset(gw, fake):
    reset = int(time.time()) + 5000
    fake.account(psid("erra"), usage=Usage(windows={FIVE_HOURS: (0, 1.0, reset), WEEKLY: (40, 0.2, reset + 90000)}))
    fake.account(psid("errb"), usage=Usage(windows={}))
    reply = chat(gw, {"model": "gemini-web/pro", "messages": [{"role": "user", "content": "FAIL 429"}]})
    assert reply.status == 429 and "1037" in reply.json()["error"]["message"], reply.text
    cooling = pro_cooldowns(gw)
    (limited,) = cooling["web-erra"]
    assert abs(limited.until - reset) < 5 and "until" in limited.reason  # the reset the usage RPC gave
    (default,) = cooling["web-errb"]
    assert abs(default.until - time.time() - 3600) < 60  # no reading: usage_limit_cooldown_seconds
    assert fake.requests_to("jSf9Qc") and fake.requests_to("jSf9Qc")[-1].query["source-path"] == "/usage"
    ok = chat(gw, {"model": "gemini-web/flash", "messages": [{"role": "user", "content": "still here"}]})
    assert ok.status == 200, ok.text


@pytest.mark.parametrize("body,words", [
    (")]}'\n\n" + "[" * 100_000 + "]" * 100_000, "unreadable answer"),
    (")]}'\n\n12\n" + '[["wrb.fr",null,"' + "[" * 100_000 + '"]]\n', "unreadable"),
], ids=["frame-nested-too-deep", "payload-nested-too-deep"])
def test_a_hostile_body_is_a_clean_upstream_error(gw, fake, body, words):
    """Bytes no real answer has (issue 9 hardening): a 502 in the caller's format, never a 500 or a traceback."""
    for stream in (False, True):
        fake.replay(body)
        fake.replay(body)  # the other account is tried too: the same bytes
        reply = chat(gw, {"model": "gemini-web/flash", "stream": stream, "messages": [{"role": "user", "content": "x"}]})
        assert reply.status == 502 and words in reply.text and "Traceback" not in reply.text, reply.text


def test_a_lone_surrogate_in_an_answer_is_a_replacement_character(gw, fake):
    """JSON lets "\\ud83d" through alone, which no dialect's UTF-8 writer takes (a 500 before)."""
    cand = [None] * 38
    cand[0], cand[1], cand[8] = "rc_1", ["hi \ud83d there"], [2]
    frame = json.dumps([["wrb.fr", None, json.dumps([None, ["c_1", "r_1"], None, None, [cand]])]])
    for stream in (False, True):
        fake.replay(f")]}}'\n\n{len(frame) + 2}\n{frame}\n")
        reply = chat(gw, {"model": "gemini-web/flash", "stream": stream, "messages": [{"role": "user", "content": "x"}]})
        assert reply.status == 200 and "hi \ufffd there" in reply.text, reply.text
