"""Retry hints no upstream means (a retryDelay of 10^20 s, one that overflows to infinity) cool nothing past
the pool's cap and never break the answer: found by attacking issue 8 (a 429 with no reason and such a
RetryInfo cooled the (account, model) for 10^20 s; an infinite one made every answer a 500)."""

from __future__ import annotations

import math
import time

import orjson
import pytest

from gemgate.catalog import ModelSpec
from gemgate.errors import Failure, GatewayError, UpstreamError
from gemgate.pool import Account, Pool
from gemgate.store import AccountRecord
from gemgate.upstreams.google_errors import classify, parse_duration
from tests.unit.test_pool import _Store

HUGE = "99999999999999999999s"
INFINITE = "9" * 400 + "s"  # float() of it is inf
SPEC = ModelSpec("gemini-2.5-flash", "gemini-2.5-flash", None, None)


def resource_exhausted(delay: str) -> bytes:
    """Code Assist's 429 without a reason (antigravity.md §8.2 "RESOURCE_EXHAUSTED without details"), with a hint."""
    return orjson.dumps({"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
                                   "status": "RESOURCE_EXHAUSTED",
                                   "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]}})


def test_an_infinite_duration_is_no_hint():
    assert parse_duration(INFINITE) is None and parse_duration("9" * 400 + "ms") is None
    assert parse_duration(HUGE) == 1e20  # finite: kept, the pool caps what it cools


@pytest.mark.parametrize("delay", [HUGE, INFINITE])
async def test_no_hint_cools_past_the_cap(delay):
    pool = Pool(_Store(), quota_recheck=3600.0)
    pool.set_accounts([Account(AccountRecord(id="a", name="a", kind="gemini-api", secret={}))])
    pool.acquire(SPEC).failure(classify(429, resource_exhausted(delay)))
    with pytest.raises(GatewayError) as exc:
        pool.acquire(SPEC)
    assert exc.value.status == 429 and 0 < exc.value.retry_after <= 3600
    assert int(exc.value.headers()["Retry-After"]) <= 3600
    (cd,) = pool.accounts["a"].cooldowns.values()
    assert cd.until - time.time() <= 3600 + 1
    await pool.flush()


def test_a_client_error_with_an_infinite_hint_still_renders():
    err = UpstreamError(Failure.RATE_LIMITED, "slow down", status=429, retry_after=math.inf).to_gateway()
    assert "Retry-After" not in err.headers()
