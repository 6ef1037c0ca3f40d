"""Per-request cookies: the headers read (and refused without quoting them), the account named without its
secret, the bounded and aged session cache, and the request-scoped redaction of the values."""

from __future__ import annotations

import time

import pytest

from gemgate.personal import from_headers, personal_scope
from gemgate.redaction import redact
from gemgate.upstreams.web.personal import NAME, PersonalSessions, is_personal, personal_account

PSID = "g.a000" + "p" * 70
PSIDTS = "sidts-CjEB" + "q" * 40


def test_the_headers_make_an_account_named_without_its_secret():
    record = personal_account({"x-gemini-psid": PSID, "x-gemini-psidts": PSIDTS})
    assert record.secret == {"cookie": f"__Secure-1PSID={PSID}; __Secure-1PSIDTS={PSIDTS}"}
    assert record.kind == "gemini-web" and record.name == NAME and is_personal(record)
    assert PSID not in record.id and PSIDTS not in record.id and PSID[-8:] not in record.id
    assert personal_account({"x-gemini-psid": PSID}).id != record.id  # other cookies, other session
    assert personal_account({"x-gemini-psid": PSID, "x-gemini-psidts": PSIDTS}).id == record.id
    assert personal_account({}) is None


@pytest.mark.parametrize("headers, named", [
    ({"x-gemini-psid": "short"}, "x-gemini-psid"),
    ({"x-gemini-psid": PSID + "; other=1"}, "x-gemini-psid"),
    ({"x-gemini-psid": PSID, "x-gemini-psidts": "a b" * 10}, "x-gemini-psidts"),
    ({"x-gemini-psidts": PSIDTS}, "x-gemini-psid"),
])
def test_malformed_headers_are_a_401_naming_the_header_never_the_value(headers, named):
    with pytest.raises(Exception) as caught:
        from_headers(headers)
    assert caught.value.status == 401 and named in caught.value.message
    for value in headers.values():
        assert value not in caught.value.message


def test_the_session_cache_is_bounded_and_aged(monkeypatch):
    class Session:
        def __init__(self):
            self.started = time.monotonic()

    cache = PersonalSessions(size=2, seconds=60)
    for key in ("a", "b"):
        cache.put(key, Session())
    assert cache.get("a") is not None  # now the most recently used
    cache.put("c", Session())
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") is not None
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 61)
    assert cache.get("a") is None and len(cache) == 1


def test_the_cookie_values_are_redacted_while_the_request_runs():
    record = personal_account({"x-gemini-psid": PSID, "x-gemini-psidts": PSIDTS})
    text = f"Google refused {PSID} and {PSIDTS}"
    with personal_scope(record):
        assert PSID not in redact(text) and PSIDTS not in redact(text)
    assert redact(text) == text  # another request's values are not this one's


async def test_sessions_of_the_same_cookies_are_started_once():
    import asyncio

    class Session:
        def __init__(self):
            self.started = time.monotonic()

    cache = PersonalSessions(size=4, seconds=60)
    starts = []

    async def start():
        starts.append(1)
        await asyncio.sleep(0.01)
        session = Session()
        cache.put("a", session)
        return session

    got = await asyncio.gather(*(cache.get_or_start("a", start) for _ in range(5)))
    assert len(starts) == 1 and all(s is got[0] for s in got)

    async def failing():
        raise ValueError("signed out")

    with pytest.raises(ValueError):
        await cache.get_or_start("b", failing)
    assert cache.get("b") is None
