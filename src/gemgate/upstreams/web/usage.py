"""When an account's usage limit (error 1037) ends, from the app's usage RPC.

No recorded 1037 answer carries a reset time (reference §4.1 shows the bare code; Mag1cFall/Gemini-Web2API
docs/protocol.md lists "the raw frame of a 1037" among what it never captured). The app's usage page reads it
from batchexecute `jSf9Qc` with `source-path=/usage` (reference §6.7): payload `[tier, items, use_overage]`, each
item `[remaining, used_fraction, kind (1 = 5-hour window, 2 = weekly, 3 = AI credits), [[reset_s, nanos]]]`.
"""

from __future__ import annotations

from .payload import field

USAGE_RPC, USAGE_PATH = "jSf9Qc", "/usage"
WINDOWS = (1, 2)  # the kinds with a reset time; 3 (credits) has none


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def windows(payload: object) -> list[tuple[object, object, object, float | None]]:
    """The usage items of a jSf9Qc payload as `(kind, remaining, used_fraction, reset epoch seconds or None)`,
    values as Google sent them (the bridge's `/api/quota` shows them; `limit_reset` reads the numbers)."""
    return [(field(item, 2), field(item, 0), field(item, 1), _number(field(field(field(item, 3), 0), 0)))
            for item in field(payload, 1) or () if isinstance(item, list)]


def limit_reset(payload: object) -> float | None:
    """Epoch seconds when every exhausted usage window (none remaining, or its whole share used) has reset: the
    latest of their resets; None when no window is exhausted or none says when."""
    resets = []
    for kind, remaining, used, reset in windows(payload):
        if kind not in WINDOWS:
            continue
        remaining, used = _number(remaining), _number(used)
        if reset is not None and (remaining == 0 or (used is not None and used >= 1)):
            resets.append(reset)
    return max(resets, default=None)
