"""An upstream error body whose details have unexpected types is still classified by its status (issue 7 §5:
anything the gateway cannot read becomes a classified upstream error, never a 500 of its own)."""

from __future__ import annotations

import pytest

from gemgate.errors import Failure
from gemgate.upstreams.google_errors import classify

ODD = [
    b'{"error": {"code": 429, "message": "slow down", "details": 3}}',
    b'{"error": {"code": 429, "message": "slow down", "details": [{"@type": "x.ErrorInfo", "metadata": 3}]}}',
    b'{"error": {"code": 429, "message": "slow down", "details": [{"@type": "x.QuotaFailure", "violations": 3}]}}',
    b'{"error": {"code": 429, "message": "slow down", "errors": 5}}',
    b'{"error": {"code": 429, "message": "slow down", "details": [{"@type": "x.RetryInfo", "retryDelay": [1]}]}}',
]


@pytest.mark.parametrize("body", ODD)
def test_odd_details_are_ignored(body):
    err = classify(429, body)
    assert err.failure is Failure.RATE_LIMITED and err.message == "slow down"
