"""Redaction knows the gateway's secrets, not only Google's key shape: stored values of any length from 8
characters, the caller's key, URL passwords; at every exit (error messages and their reprs, log records with
tracebacks, classified upstream bodies)."""

from __future__ import annotations

import logging
import sys
from typing import ClassVar

import orjson
import pytest

from gemgate.errors import Failure, GatewayError, UpstreamError
from gemgate.logs import RedactingFilter
from gemgate.redaction import KNOWN, MASK, MIN_SECRET_CHARS, client_key_scope, redact, url_secrets
from gemgate.store import AccountRecord
from gemgate.upstreams import UPSTREAM_KINDS, account_secrets, remember_accounts
from gemgate.upstreams.base import NeedsReauth, Upstream
from gemgate.upstreams.google_errors import classify


@pytest.fixture
def known():
    yield KNOWN
    for source in ("test", "accounts"):
        KNOWN.set(source, ())


def test_stored_values_of_any_shape_are_scrubbed(known):
    odd = ["k3y-0f-9ch", "with+plus/slash=eq", "tail", "sk.Short99"]
    known.set("test", odd)
    text = "Consumer k3y-0f-9ch, key with+plus/slash=eq, sk.Short99; a tail stays"
    assert redact(text) == f"Consumer {MASK}, key {MASK}, {MASK}; a tail stays"
    assert "tail" not in known.values(), f"values under {MIN_SECRET_CHARS} characters are not registered"


def test_a_value_is_forgotten_when_its_account_goes(known):
    known.set("test", ["first-secret-1"])
    known.set("test", ["second-secret-2"])
    assert redact("first-secret-1 second-secret-2") == f"first-secret-1 {MASK}"
    known.set("test", ())
    assert redact("second-secret-2") == "second-secret-2"


def test_the_longer_of_two_overlapping_values_wins(known):
    known.set("test", ["abcdefgh", "abcdefgh-and-more"])
    assert redact("x abcdefgh-and-more y") == f"x {MASK} y"


def test_the_callers_key_is_scrubbed_inside_its_request_only():
    with client_key_scope("caller-key-77"):
        assert redact("echo caller-key-77") == f"echo {MASK}"
    assert redact("echo caller-key-77") == "echo caller-key-77"


@pytest.mark.parametrize(
    "text, shown",
    [
        ("Consumer 'api_key:abc' has been suspended.", f"Consumer 'api_key:{MASK}' has been suspended."),
        ("GET /v1beta/models?key=short&x=1", f"GET /v1beta/models?key={MASK}&x=1"),
        ("proxy http://me:pw@10.0.0.1:3128 refused", "proxy http://me:***@10.0.0.1:3128 refused"),
        ("x-goog-api-key: abc", f"x-goog-api-key: {MASK}"),
    ],
)
def test_short_values_are_caught_where_they_sit(text, shown):
    assert redact(text) == shown


def test_error_messages_and_reprs_are_redacted(known):
    known.set("test", ["odd-key-123"])
    up = UpstreamError(Failure.FORBIDDEN, "Consumer odd-key-123 suspended")
    for text in (up.message, str(up), repr(up), up.to_gateway().message, str(GatewayError(400, "odd-key-123"))):
        assert "odd-key-123" not in text, text
    reauth = NeedsReauth("token odd-key-123 revoked")
    assert "odd-key-123" not in reauth.reason and "odd-key-123" not in str(reauth)


def test_a_body_is_redacted_before_it_is_cut(known, caplog):
    """A non-JSON body is logged cut to 300 characters (the client gets only its status): cutting first would
    leave a key's start unrecognised."""
    secret = "cut-through-this-secret-value"
    known.set("test", [secret])
    body = ("x" * 290 + secret).encode()
    with caplog.at_level("WARNING", logger="gemgate.upstream"):
        message = classify(500, body).message
    assert "xxx" not in message and secret[:10] not in caplog.text and MASK[:5] in caplog.text


def test_account_secrets_follow_each_kinds_secret_fields(known):
    """A kind declares its secret fields (nested values walked, as a cookie jar); the proxy password joins."""

    class Cookies(Upstream):
        kind = "cookie-test"
        secret_fields: ClassVar = ("cookies",)

        def stream(self, account, model, request):  # pragma: no cover - never called
            raise NotImplementedError

    UPSTREAM_KINDS["cookie-test"] = Cookies
    try:
        records = [
            AccountRecord("1", "c", "cookie-test", {"cookies": {"__Secure-1PSID": "g.a000psid-value"}, "email": "a@b.cd"}),
            AccountRecord("2", "k", "gemini-api", {"api_key": "plain-api-key"}, proxy="http://u:p%40ssword1@h:1"),
        ]
        assert account_secrets(records) >= {"g.a000psid-value", "plain-api-key", "p%40ssword1", "p@ssword1"}
        assert "a@b.cd" not in account_secrets(records), "only the declared secret fields"
        remember_accounts(records)
        assert redact("psid g.a000psid-value, password p@ssword1") == f"psid {MASK}, password {MASK}"
    finally:
        del UPSTREAM_KINDS["cookie-test"]


def test_url_secrets():
    assert url_secrets("http://u:pw@h:1") == ["pw", "pw"]
    assert url_secrets("socks5://token-only@h:1") == ["token-only", "token-only"]
    assert url_secrets("http://h:1") == [] and url_secrets(None) == []


def test_log_records_and_their_tracebacks_are_redacted(known):
    known.set("test", ["log-secret-99"])
    logger = logging.getLogger("gemgate.test-redaction")
    try:
        raise RuntimeError("failed with log-secret-99")
    except RuntimeError:
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "call %s", ("log-secret-99",), sys.exc_info())
    assert RedactingFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "log-secret-99" not in text and "RuntimeError" in text and MASK in text


def test_uvicorn_handlers_get_the_filter():
    from gemgate.logs import guard_handlers

    logger = logging.getLogger("uvicorn.test-guard")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        guard_handlers("uvicorn.test-guard")
        guard_handlers("uvicorn.test-guard")
        assert [type(f) for f in handler.filters] == [RedactingFilter]
    finally:
        logger.removeHandler(handler)


def test_a_google_error_echoing_the_key_is_redacted_in_every_field(known):
    """CONSUMER_SUSPENDED quotes the key in the message (google/generative-ai-docs#356)."""
    from gemgate.testing.gemini_errors import consumer_suspended

    body = orjson.dumps(consumer_suspended("k3y-0f-9ch").body())
    known.set("test", ["k3y-0f-9ch"])
    err = classify(403, body)
    assert "k3y-0f-9ch" not in err.message and "suspended" in err.message


def test_a_default_account_name_shows_no_more_of_a_short_key_than_the_listing():
    from gemgate.upstreams.gemini_api import GeminiAPI

    assert GeminiAPI.suggest_name({"api_key": "k3y-0f-9ch"}) == "apikey-ch"
    assert GeminiAPI.suggest_name({"api_key": "AIza" + "x" * 31 + "9Qk1"}) == "apikey-9Qk1"


def test_an_account_record_repr_holds_no_secret():
    """A record in an assertion message, a debug line or a crash report shows neither key nor proxy."""
    record = AccountRecord("1", "a", "gemini-api", {"api_key": "repr-secret-1"}, proxy="http://u:repr-pw-2@h:1")
    assert "repr-secret-1" not in repr(record) and "repr-pw-2" not in repr(record)


def test_settings_reprs_hold_no_secret():
    from gemgate.config import Settings
    from gemgate.upstreams import section_settings

    settings = Settings(master_key="mk-secret-1", client_keys=["ck-secret-2"],
                        upstreams={"gemini_api": {"proxy": "http://u:pp-secret-3@h:1"}})
    shown = repr(settings) + repr(section_settings(settings.upstreams))
    assert not any(s in shown for s in ("mk-secret-1", "ck-secret-2", "pp-secret-3")), shown
