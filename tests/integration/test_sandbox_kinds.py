"""`gemgate sandbox` serves every upstream kind: its API-key accounts, one Code Assist account of each profile
(the fake OAuth and Code Assist servers run inside it) and two Gemini web-app accounts of different tiers (the
fake gemini.google.com), each reachable by pinning the kind."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request

from tests.support.gateway import free_port
from tests.support.http import get, post
from tests.support.processes import spawn_gemgate
from tests.support.ssrf import PNG
from gemgate.sandbox import SANDBOX_WEB_FREE_PSID


def test_sandbox_serves_a_chat_through_each_kind_and_profile():
    port = free_port()
    proc, lines = spawn_gemgate(["sandbox", "--port", str(port), "--api-key", "try-me"], {}, "gemgate sandbox ready")
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
        # An image for the web account is uploaded to the sandbox's fake, not to Google's upload host.
        image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{base64.b64encode(PNG).decode()}"}}
        reply = post(f"{url}/v1/chat/completions", {"model": "gemini-web/flash", "messages": [
            {"role": "user", "content": [{"type": "text", "text": "look"}, image]}]}, key="try-me")
        assert reply.status == 200 and "[saw file-1.png: image/png" in reply.json()["choices"][0]["message"]["content"]
        # Two web tiers: Pro is served (by sandbox-web); the free account's own cookies cannot have it.
        ask_pro = {"model": "gemini-web/pro", "messages": [{"role": "user", "content": "pro?"}]}
        assert post(f"{url}/v1/chat/completions", ask_pro, key="try-me").status == 200
        free = post(f"{url}/v1/chat/completions", ask_pro, key="try-me", headers={"x-gemini-psid": SANDBOX_WEB_FREE_PSID})
        assert free.status == 404 and "gemini-web/pro" in free.text and "gemini-web/flash-lite" in free.text, free.text
        listed = subprocess.run([sys.executable, "-m", "gemgate", "accounts", "list"], capture_output=True, text=True,
                                env={**os.environ, **_sandbox_env(lines)}, timeout=60)
        assert "sandbox-web-free" in listed.stdout and "sandbox-web " in listed.stdout, listed.stdout + listed.stderr
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def _sandbox_env(lines: list[str]) -> dict[str, str]:
    """The variables the sandbox's ready output says point the CLI at its data."""
    env_line = next(line for line in lines if "GEMGATE_DATA_DIR=" in line)
    return dict(re.findall(r"(GEMGATE_\w+)=(\S+)", env_line))


def _browser_redirect(url: str) -> str:
    """Play the browser on the fake consent page: where it sends the browser (not followed)."""
    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(request, timeout=30)
    except urllib.error.HTTPError as exc:
        return exc.headers["Location"]
    raise AssertionError("the consent page did not redirect")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_cli_pointed_at_the_sandbox_signs_in_with_its_fake_google():
    # The ready output tells the user to reach the sandbox's data with GEMGATE_DATA_DIR; `gemgate login` run
    # that way must use the fakes (config.toml in that directory), not Google's hosts.
    port = free_port()
    proc, lines = spawn_gemgate(["sandbox", "--port", str(port), "--api-key", "try-me"], {}, "gemgate sandbox ready")
    try:
        env = _sandbox_env(lines)
        login = subprocess.Popen([sys.executable, "-m", "gemgate", "login", "--no-browser"], env={**os.environ, **env},
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            first = login.stdout.readline() + login.stdout.readline()
            consent = re.search(r"(http://\S+/o/oauth2/v2/auth\?\S+)", first)
            assert consent and consent.group(1).startswith("http://127.0.0.1:"), first
            back = _browser_redirect(consent.group(1) + "&login_hint=newuser@example.com")
            out, _ = login.communicate(back + "\n", timeout=60)
        finally:
            if login.poll() is None:
                login.kill()
        assert login.returncode == 0, first + out
        assert "added code-assist account" in out and "newuser@example.com (antigravity)" in out, out
        status = get(f"http://127.0.0.1:{port}/auth/status", key="try-me").json()
        assert "newuser@example.com" in {a["email"] for a in status["accounts"]}, status
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()
