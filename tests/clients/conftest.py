"""Fixtures for the real-client tests: unmodified SDKs and CLIs driven against a running gateway.

In-process SDKs (openai, google-genai, litellm) talk to the session `gw` over loopback HTTP. The npm
clients (the OpenAI Node SDK, the Gemini CLI, the Codex CLI) live in tests/clients/node (`npm install` there; the
project's scripts/test does it) and run as subprocesses via tests.support.processes.
"""

from __future__ import annotations

import os

import pytest

# Must be set before litellm is first imported anywhere: without it litellm fetches its cost map
# from GitHub at import time (with retries), which hangs offline.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture
def oai(gw):
    """The OpenAI Python SDK pointed at the gateway (no retries, so failures surface at once)."""
    import openai

    client = openai.OpenAI(base_url=gw.url + "/v1", api_key=gw.key, max_retries=0, timeout=30)
    yield client
    client.close()


@pytest.fixture
def egress(tmp_path):
    """An EgressWatch (tests/clients/egress.py) for client programs this test runs: pass `egress.env()` into
    their environment and run `egress.argv(argv)`; `egress.check()` fails on any contact beyond loopback, and
    runs at teardown for a watch that was used but never checked."""
    from tests.clients.egress import EgressWatch, refusing_proxy

    with refusing_proxy() as (url, seen):
        watch = EgressWatch(tmp_path, url, seen)
        yield watch
        if not watch.checked and (watch.traces or seen):
            watch.check()
