"""Shared helpers for the real-client tests: unmodified SDKs and CLIs driven against a running gateway.

In-process SDKs (openai, google-genai, litellm) talk to the session `gw` over loopback HTTP. The npm
clients (the OpenAI Node SDK, the Gemini CLI) live in tests/clients/node (`npm install` there; the
project's scripts/test does it) and run as subprocesses with a throwaway HOME, stdin closed, under a
timeout, and their whole process group is killed when the timeout hits.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# Must be set before litellm is first imported anywhere: without it litellm fetches its cost map
# from GitHub at import time (with retries), which hangs offline.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

NODE_DIR = Path(__file__).resolve().parent / "node"
NODE_MODULES = NODE_DIR / "node_modules"
GEMINI_BIN = NODE_MODULES / ".bin" / "gemini"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"],
        },
    },
}


def upstream_body(fake_api, marker: str) -> dict:
    """The body of the most recent request the fake Gemini API received that mentions `marker`."""
    for entry in reversed(fake_api.requests):
        if isinstance(entry.body, dict) and marker in json.dumps(entry.body):
            return entry.body
    raise AssertionError(f"no upstream request contained {marker!r}")


def upstream_requests(fake_api, marker: str) -> list:
    """Every request the fake Gemini API received that mentions `marker`, oldest first."""
    return [e for e in fake_api.requests if isinstance(e.body, dict) and marker in json.dumps(e.body)]


@dataclass
class Completed:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.argv)}\nexit {self.returncode} after {self.seconds:.1f}s\n"
            f"--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-6000:]}"
        )


def run_process(argv: list[str], *, env: dict, cwd: Path, timeout: float = 60) -> Completed:
    """Run a client program in its own process group with stdin closed; kill the group on timeout."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        done = Completed(argv, -9, out, err, time.monotonic() - started)
        pytest.fail(f"client timed out after {timeout}s\n{done.describe()}")
    finally:
        # Children the client left behind (e.g. shell tools) share the group; don't leak them.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return Completed(argv, proc.returncode, out, err, time.monotonic() - started)


def base_env(home: Path, **extra: str) -> dict:
    """A minimal environment: PATH only, plus a throwaway HOME and TMPDIR (CLIs write reports there)."""
    tmp = home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
    }
    env.update(extra)
    return env


def require_node_modules(*packages: str) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    for package in packages:
        if not (NODE_MODULES / package / "package.json").is_file():
            pytest.skip(f"npm package {package!r} is not installed: run `npm install` in {NODE_DIR}")


@pytest.fixture
def oai(gw):
    """The OpenAI Python SDK pointed at the gateway (no retries, so failures surface at once)."""
    import openai

    client = openai.OpenAI(base_url=gw.url + "/v1", api_key=gw.key, max_retries=0, timeout=30)
    yield client
    client.close()
