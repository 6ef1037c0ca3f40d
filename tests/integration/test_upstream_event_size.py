"""One upstream event is bounded ([upstreams.<kind>] event_bytes, issue 7 round 2, finding 8): a larger one,
ended or not, is an unusable upstream answer (502 in the caller's format), read no further than the bound;
before, one 400 MiB event that never ended took the gateway to 2 GB. And a failed event is not kept alive by
the exception that reports it: before, about four times each failed event stayed in memory until the cycle
collector ran (the decode error's `doc`, and the frames of its traceback)."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from gemgate.errors import Failure, UpstreamError
from gemgate.upstreams._http import HttpClient
from gemgate.upstreams.base import UpstreamSettings
from tests.support.dialects import STREAMING, assert_google_error, assert_openai_error, call
from tests.support.gateway import GatewayThread
from tests.support.raw_upstream import RawUpstream

MIB = 1024 * 1024
ENDED = b'data: {"candidates": [{"content": {"parts": [{"text": "' + b"x" * (3 * MIB) + b'"}]}}]}\r\n\r\n'
UNENDED = b"data: " + b"x" * (3 * MIB)


@pytest.fixture(scope="module")
def bounded_gw(tmp_path_factory):
    upstream = RawUpstream()
    with upstream.running() as url:
        overrides = {"upstreams": {"gemini_api": {"event_bytes": MIB}}}
        with GatewayThread(tmp_path_factory.mktemp("ev"), url, ["ev-key-1"], **overrides) as server:
            server.upstream = upstream
            yield server


@pytest.mark.parametrize("body", [ENDED, UNENDED], ids=["ended", "unended"])
@pytest.mark.parametrize("dialect", STREAMING + ["gemini"])
def test_an_event_over_the_bound_is_a_502(bounded_gw, dialect, body):
    bounded_gw.upstream.body = body
    r = call(bounded_gw, dialect, "hello", stream=dialect != "gemini")
    assert r.status == 502, (r.status, r.body[:300])
    error = r.json()["error"]
    (assert_openai_error if dialect == "openai" else assert_google_error)(error)


async def test_a_failed_event_is_not_kept_by_its_error():
    upstream = RawUpstream(b"data: {" + b'"x": "' + b"y" * (8 * MIB) + b"\r\n\r\n")  # JSON that never closes
    with upstream.running() as url:
        client = HttpClient(UpstreamSettings(), "the upstream")
        await client.start()
        gc.disable()
        tracemalloc.start()
        try:
            with pytest.raises(UpstreamError) as caught:
                async for _ in client.stream_gemini(f"{url}/v1beta/models/m:streamGenerateContent", body=b"{}",
                                                    headers={}, proxy=None):
                    pass
            assert caught.value.failure is Failure.MALFORMED
            kept, _ = tracemalloc.get_traced_memory()  # the error is still referenced (by `caught`)
        finally:
            tracemalloc.stop()
            gc.enable()
            await client.close()
    assert kept < 2 * MIB, kept
