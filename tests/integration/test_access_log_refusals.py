"""Requests refused before any dialect sees them still get their access-log line: a wrong or missing client key
(401) and a path the gateway does not serve (404, e.g. Codex's base_url without `/v1`). The sandbox's README
says it "logs each request"; a new user whose client has the wrong key or address saw nothing there."""

from __future__ import annotations

import logging

from tests.support.http import post

WRONG_KEY = "sk-wrong-key-0123456789abcdef"


def _access_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gemgate.access"]


def test_a_wrong_and_a_missing_key_are_logged_without_the_key(gw, caplog):
    body = {"model": "gemini-2.5-flash", "input": "hi"}
    with caplog.at_level(logging.INFO, "gemgate.access"):
        assert post(f"{gw.url}/v1/responses", body, key=WRONG_KEY).status == 401
        assert post(f"{gw.url}/v1/messages", body).status == 401
    wrong, missing = _access_lines(caplog)
    assert "dialect=openai" in wrong and "status=401" in wrong and "Incorrect API key" in wrong, wrong
    assert "dialect=anthropic" in missing and "status=401" in missing and "Missing client key" in missing, missing
    assert WRONG_KEY not in caplog.text


def test_an_unknown_path_is_logged(gw, caplog):
    with caplog.at_level(logging.INFO, "gemgate.access"):
        assert post(f"{gw.url}/responses", {"model": "gemini-2.5-flash", "input": "hi"}, key=gw.key).status == 404
    (line,) = _access_lines(caplog)
    assert "status=404" in line and "No route for POST /responses" in line and "client=" in line, line


def test_the_logged_status_is_the_one_the_client_got(gw, caplog):
    # Anthropic answers Google's capacity 503 as 529 (overloaded_error); the line said 503.
    body = {"model": "gemini-2.5-flash", "max_tokens": 50, "messages": [{"role": "user", "content": "FAIL 503"}]}
    with caplog.at_level(logging.INFO, "gemgate.access"):
        assert post(f"{gw.url}/v1/messages", body, key=gw.key).status == 529
        assert post(f"{gw.url}/v1/messages", {**body, "stream": True}, key=gw.key).status == 529
    for line in _access_lines(caplog):
        assert "dialect=anthropic" in line and "status=529" in line, line
