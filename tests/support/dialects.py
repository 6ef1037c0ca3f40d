"""Calling the gateway the way each dialect's clients do, under a hard deadline, and reading the answers.

`call(server, dialect, text, stream=...)` sends `text` as the user turn: dialect "openai" (Chat Completions),
"gemini-sse" / "gemini-array" (streamGenerateContent with and without alt=sse) or "gemini" (generateContent).
"""

from __future__ import annotations

import threading

import pytest

from .http import Reply, post

MODEL = "gemini-2.5-flash"
DEADLINE = 20.0  # whole request, keepalives or not
STREAMING = ["openai", "gemini-sse", "gemini-array"]
WHOLE = ["openai", "gemini"]


def within(seconds: float, fn, *args, **kwargs):
    """Run `fn` in a thread; fail if it has not returned after `seconds` (a hung response)."""
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the gateway's response did not end within {seconds}s")
    if "error" in box:
        raise AssertionError(f"the response did not end cleanly: {box['error']!r}") from box["error"]
    return box["value"]


def call(server, dialect: str, text: str, *, stream: bool) -> Reply:
    if dialect == "openai":
        body = {"model": MODEL, "messages": [{"role": "user", "content": text}], "stream": stream}
        return within(DEADLINE, post, f"{server.url}/v1/chat/completions", body, key=server.key, timeout=DEADLINE)
    if stream:
        action = "streamGenerateContent?alt=sse" if dialect == "gemini-sse" else "streamGenerateContent"
    else:
        action = "generateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    return within(DEADLINE, post, f"{server.url}/v1beta/models/{MODEL}:{action}", body,
                  headers={"x-goog-api-key": server.key}, timeout=DEADLINE)



def full_answer(text: str) -> str:
    return "echo: " + text


def gemini_text(chunks: list[dict]) -> str:
    return "".join(p.get("text", "") for c in chunks for cand in c.get("candidates") or []
                   for p in (cand.get("content") or {}).get("parts") or [] if not p.get("thought"))


def gemini_finishes(chunks: list[dict]) -> list:
    return [cand["finishReason"] for c in chunks for cand in c.get("candidates") or [] if "finishReason" in cand]


def openai_text(events: list) -> str:
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in events
                   if isinstance(e, dict) and e.get("choices"))


def stream_events(r: Reply, dialect: str) -> list:
    if dialect == "gemini-array":
        return r.json()  # the whole body must be one well-formed JSON array
    return r.sse()


def assert_openai_error(error: dict) -> None:
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and error["type"]


def assert_google_error(error: dict) -> None:
    assert {"code", "message", "status"} <= set(error), error
    assert isinstance(error["code"], int) and error["code"] >= 400
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["status"], str) and error["status"]
