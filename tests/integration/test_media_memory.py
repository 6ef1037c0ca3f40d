"""Media fetched for requests neither blows up nor stays in the gateway's memory (issue 7 round 2, finding 2: one
1.4 KB request naming ten 19 MB images took the process from 80 to 876 MB and left 638 MB behind). The request
total is capped ([limits] media_bytes), and a failed request's fetched bytes are freed when it is answered, not
whenever the cyclic collector runs. Measured with psutil on a `gemgate serve` subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
import psutil
import pytest

from gemgate.config import Settings
from gemgate.sandbox import seed_api_key_accounts
from tests.support.gateway import API_KEYS, free_port
from tests.support.http import wait_healthy
from tests.support.media_host import media_host
from tests.support.memory import PeakRss
from tests.support.processes import spawn_gemgate
from tests.support.raw_upstream import RawUpstream

MIB = 1024 * 1024
IMAGE = 19 * 1000 * 1000
ANSWER = b'data: {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}]}\r\n\r\n'
REFUSAL = b'data: {"error": {"code": 400, "message": "refused", "status": "INVALID_ARGUMENT"}}\r\n\r\n'


@pytest.fixture
def served(tmp_path):
    upstream = RawUpstream(ANSWER)
    with upstream.running() as url, media_host() as host:
        env = {"GEMGATE_DATA_DIR": str(tmp_path), "GEMGATE_MASTER_KEY": "m", "GEMGATE_CLIENT_KEYS": '["k"]',
               "GEMGATE_UPSTREAMS__GEMINI_API__BASE_URL": url, "GEMGATE_LOG_LEVEL": "warning",
               "GEMGATE_FETCH_ALLOW_PRIVATE": "true"}
        asyncio.run(seed_api_key_accounts(Settings(data_dir=tmp_path, master_key="m"), API_KEYS))
        port = free_port()
        proc, _ = spawn_gemgate(["serve", "--port", str(port)], env, "client keys")
        wait_healthy(f"http://127.0.0.1:{port}")  # the line comes before the port is bound
        try:
            yield proc, f"http://127.0.0.1:{port}", host, upstream
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)


def ask(url: str, host, count: int, tag: str) -> httpx.Response:
    parts = [{"type": "text", "text": "describe"}] + [
        {"type": "image_url", "image_url": {"url": f"{host.url}/img/{IMAGE}?{tag}{i}"}} for i in range(count)
    ]
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": parts}]}
    return httpx.post(f"{url}/v1/chat/completions", json=body, headers={"Authorization": "Bearer k"}, timeout=120)


def settled(process: psutil.Process, at_most: int) -> int:
    """The RSS once it is at most `at_most` bytes (polled for 10 s), else the last reading."""
    deadline = time.monotonic() + 10
    while (rss := process.memory_info().rss) > at_most and time.monotonic() < deadline:
        time.sleep(0.1)
    return rss


@pytest.mark.parametrize(("count", "upstream_answer", "status", "says"), [
    (10, ANSWER, 400, "limits.media_bytes"),  # 190 MB asked: refused once 64 MiB are fetched
    (2, REFUSAL, 400, "refused"),  # 38 MB fetched, then the upstream refuses the request
])
def test_fetched_media_is_bounded_and_freed(served, count, upstream_answer, status, says):
    proc, url, host, upstream = served
    upstream.body = upstream_answer
    process = psutil.Process(proc.pid)
    before = process.memory_info().rss
    meter = PeakRss(proc.pid)
    meter.start()
    try:
        for round_ in range(3):
            r = ask(url, host, count, f"{round_}-")
            assert r.status_code == status and says in r.json()["error"]["message"], r.text
            left = settled(process, before + 64 * MIB)
            print(f"round {round_}: peak growth {(meter.peak - before) / MIB:.0f} MiB, left {(left - before) / MIB:.0f} MiB")
            assert left - before < 64 * MIB  # before: 150 MB to 560 MB more after every failed request
    finally:
        meter.running = False
        meter.join()
    assert meter.peak - before < 400 * MIB  # 800 MB before the caps
