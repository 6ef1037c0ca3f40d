"""The bridge's error responses carry the headers every dialect's do (GatewayError.headers): Retry-After in
whole seconds when finite (an infinite hint raised OverflowError in the bridge's own copy of that rule)."""

from __future__ import annotations

import math

from gemgate.errors import GatewayError
from gemgate.upstreams.web.bridge.envelope import gateway_error_response


def test_retry_after_is_whole_seconds_and_an_infinite_hint_is_left_out():
    finite = gateway_error_response(GatewayError(429, "slow down", retry_after=29.2), "rid")
    assert finite.status_code == 429 and finite.headers["retry-after"] == "30"
    endless = gateway_error_response(GatewayError(429, "slow down", retry_after=math.inf), "rid")
    assert endless.status_code == 429 and "retry-after" not in endless.headers
