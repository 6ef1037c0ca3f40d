"""The web accounts' cookie lifecycle end to end against the fake gemini.google.com, time injected: RotateCookies
on schedule keeps an account alive past its first 1PSIDTS, persisted and written back to its cookie file in that
file's form; never twice a minute, also across two instances sharing the store; a refused rotation → needs
re-auth with the advice; a cookie file changed on disk taken in without a restart (never gemgate's own write)."""

from __future__ import annotations

import json
import logging
import time

import pytest

from gemgate.upstreams.web import cookie_file
from tests.support.gateway import chat
from tests.support.http import get
from tests.support.web import WebGateway, psid, running_web_fake, upkeep

MSG = [{"role": "user", "content": "hello"}]


@pytest.fixture
def fake():
    with running_web_fake() as server:
        server.now = [1000.0]
        server.clock = lambda: server.now[0]
        yield server


@pytest.fixture
def make(fake, tmp_path):
    started: list[WebGateway] = []

    def start(secrets: dict, data_dir=None, **web) -> WebGateway:
        web = {"rotate_cookies_url": f"{fake.url}/RotateCookies", "rotate_seconds": 600, "rotate_jitter_seconds": 0,
               "cookie_file_poll_seconds": 3600, "impersonate": "", **web}  # upkeep runs only when a test says
        gw = WebGateway(data_dir or tmp_path / f"gw{len(started)}", fake.url, secrets, web=web).start()
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.stop()


def netscape(tag: str, psidts: str) -> str:
    return ("# Netscape HTTP Cookie File\n"
            f".example.org\tTRUE\t/\tFALSE\t0\tother\tkept-{tag}\n"
            f".google.com\tTRUE\t/\tTRUE\t1999999999\t__Secure-1PSID\t{psid(tag)}\n"
            f"#HttpOnly_.google.com\tTRUE\t/\tTRUE\t1999999999\t__Secure-1PSIDTS\t{psidts}\n")


def from_file(path, text: str) -> dict:
    """The secret `accounts add-cookie FILE` stores for a file holding `text`."""
    path.write_text(text)
    loaded = cookie_file.read(path)
    return {"cookie": "; ".join(f"{k}={v}" for k, v in loaded.jar.items()), "expires": loaded.expires,
            "cookie_file": str(path), "cookie_file_digest": loaded.digest, "loaded_at": time.time()}


def rotations(fake) -> int:
    return len(fake.requests_to("RotateCookies"))


def test_rotation_on_schedule_keeps_the_account_alive_and_is_written_back(fake, make, tmp_path):
    acc = fake.account(psid("rot"), psidts_lifetime=1200)
    first = acc.issue_psidts(fake.now[0])
    path = tmp_path / "cookies.txt"
    gw = make({"web-rot": from_file(path, netscape("rot", first))})
    assert chat(gw, {"model": "gemini-web/flash", "messages": MSG}).status == 200
    upkeep(gw, 1000.0)
    upkeep(gw, 1599.0)
    assert rotations(fake) == 0  # none at start, none before rotate_seconds (§2.3)
    fake.now[0] = 1601.0
    upkeep(gw, 1601.0)
    assert rotations(fake) == 1
    sent = fake.requests_to("RotateCookies")[0]
    assert sent.raw == b'[000,"-0000000000000000000"]' and sent.header("Origin") == "https://accounts.google.com"
    stored = gw.stored("web-rot")
    fresh = next(v for k, v in (p.split("=", 1) for p in stored.secret["cookie"].split("; ")) if k == "__Secure-1PSIDTS")
    assert fresh != first and stored.secret["rotated_at"] == 1601.0
    assert stored.secret["expires"]["__Secure-1PSIDTS"] == 1601.0 + 365 * 86400  # Set-Cookie Max-Age, from now
    text = path.read_text()  # the same Netscape form, the other site's line and the HttpOnly mark kept
    assert text.startswith("# Netscape HTTP Cookie File\n") and "\tother\tkept-rot" in text
    assert f"#HttpOnly_.google.com\tTRUE\t/\tTRUE\t" in text and f"\t__Secure-1PSIDTS\t{fresh}" in text
    assert first not in text
    upkeep(gw, 1620.0)
    upkeep(gw, 1700.0)
    assert rotations(fake) == 1 and gw.stored("web-rot").version == stored.version  # own write is no reload
    fake.now[0] = 2300.0  # the first 1PSIDTS died at 2200; the rotated one carries the account on
    reply = chat(gw, {"model": "gemini-web/flash", "messages": MSG})
    assert reply.status == 200, reply.text
    assert f"__Secure-1PSIDTS={fresh}" in fake.requests_to("StreamGenerate")[-1].header("Cookie")
    page = get(f"{fake.url}/app", headers={"Cookie": f"__Secure-1PSID={psid('rot')}; __Secure-1PSIDTS={first}"})
    assert "SNlM0e" not in page.text  # without the rotation the account would be signed out now


def test_never_twice_a_minute_even_across_instances(fake, make, tmp_path):
    acc = fake.account(psid("two"), psidts_lifetime=None)
    cookie = f"__Secure-1PSID={psid('two')}; __Secure-1PSIDTS={acc.issue_psidts(1000.0)}"
    one = make({"web-two": {"cookie": cookie}}, data_dir=tmp_path / "shared")
    other = make({}, data_dir=tmp_path / "shared")  # the same store: a second instance
    for gw in (one, other):
        upkeep(gw, 1000.0)
    for gw in (one, other):
        upkeep(gw, 1601.0)
    assert rotations(fake) == 1
    for gw in (other, one):
        upkeep(gw, 1630.0)
    assert rotations(fake) == 1
    for gw in (other, one):
        upkeep(gw, 2202.0)
    assert rotations(fake) == 2


def test_a_refused_rotation_needs_reauth_with_the_advice(fake, make):
    acc = fake.account(psid("gone"))
    gw = make({"web-gone": {"cookie": f"__Secure-1PSID={psid('gone')}; __Secure-1PSIDTS=ts-1"}})
    upkeep(gw, 1000.0)
    acc.signed_in = False  # Google ended the session: RotateCookies answers 401 (§2.2)
    upkeep(gw, 1601.0)
    view = gw.wait_state("web-gone", "needs_reauth")
    assert "RotateCookies HTTP 401" in view.reason and "export fresh cookies" in view.reason


def test_a_changed_cookie_file_is_taken_in_without_a_restart(fake, make, tmp_path, caplog):
    fake.account(psid("file"))
    path = tmp_path / "cookies.json"
    gw = make({"web-file": from_file(path, json.dumps({"cookie": f"__Secure-1PSID={psid('file')}; __Secure-1PSIDTS=old"}))})
    version = gw.stored("web-file").version
    upkeep(gw, time.time())
    assert gw.stored("web-file").version == version  # unchanged: nothing taken in
    path.write_text(json.dumps({"cookie": f"__Secure-1PSID={psid('file')}; __Secure-1PSIDTS=new"}))  # a re-export
    upkeep(gw, time.time())
    assert "__Secure-1PSIDTS=new" in gw.stored("web-file").secret["cookie"]
    assert chat(gw, {"model": "gemini-web/flash", "messages": MSG}).status == 200
    assert "__Secure-1PSIDTS=new" in fake.requests_to("StreamGenerate")[-1].header("Cookie")
    path.write_text("not cookies at all")  # a half-written or wrong file: logged, the account keeps its cookies
    upkeep(gw, time.time())
    assert "__Secure-1PSIDTS=new" in gw.stored("web-file").secret["cookie"]
    fake.account(psid("other"))
    caplog.set_level(logging.WARNING, "gemgate.web")
    path.write_text(f"__Secure-1PSID={psid('other')}; __Secure-1PSIDTS=x")  # another Google account, raw form
    upkeep(gw, time.time())
    assert psid("other") in gw.stored("web-file").secret["cookie"]
    assert any("now holds another Google account" in r.getMessage() for r in caplog.records)


def test_a_reexported_file_lifts_needs_reauth(fake, make, tmp_path):
    acc = fake.account(psid("back"))
    path = tmp_path / "c.txt"
    gw = make({"web-back": from_file(path, f"__Secure-1PSID={psid('back')}; __Secure-1PSIDTS=t1")})
    acc.signed_in = False
    assert chat(gw, {"model": "gemini-web/flash", "messages": MSG}).status != 200
    gw.wait_state("web-back", "needs_reauth")
    acc.signed_in = True  # the user signed in again and exported the cookies into the same file
    path.write_text(f"__Secure-1PSID={psid('back')}; __Secure-1PSIDTS=t2")
    upkeep(gw, time.time())
    gw.wait_state("web-back", "ok")
    assert chat(gw, {"model": "gemini-web/flash", "messages": MSG}).status == 200
