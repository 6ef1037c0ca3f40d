"""`gemgate sandbox` serves every upstream kind: its API-key accounts, one Code Assist account of each profile
(the fake OAuth and Code Assist servers run inside it) and one Gemini web-app account (the fake
gemini.google.com), each reachable by pinning the kind."""

from __future__ import annotations

import os
import signal

from tests.support.gateway import free_port
from tests.support.http import get, post
from tests.support.processes import spawn_gemgate


def test_sandbox_serves_a_chat_through_each_kind_and_profile():
    port = free_port()
    proc, _ = spawn_gemgate(["sandbox", "--port", str(port), "--api-key", "try-me"], {}, "gemgate sandbox ready")
    try:
        url = f"http://127.0.0.1:{port}"
        ids = {m["id"] for m in get(f"{url}/v1/models", key="try-me").json()["data"]}
        # gemini-3-flash: Antigravity's catalogue; gemini-3-flash-preview: only the Gemini CLI client's.
        assert {"gemini-2.5-flash", "gemini-3-flash", "gemini-3-flash-preview", "gemini-web/flash"} <= ids, sorted(ids)
        for model in ("gemini-api/gemini-2.5-flash", "code-assist/gemini-3-flash", "code-assist/gemini-3-flash-preview",
                      "gemini-web/flash"):
            reply = post(f"{url}/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": model}]},
                         key="try-me")
            assert reply.status == 200, (model, reply.text)
            assert reply.json()["choices"][0]["message"]["content"] == f"echo: {model}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()
