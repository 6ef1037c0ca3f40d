"""What other instances sharing the store recorded about an account, taken into this instance's view of it
(`Pool.load` and `Pool.sync`): quota readings and health marks, which bump no account version."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..store import HealthRecord, QuotaSnapshot
from .account import FAILURE, Account, Cooldown


def adopt_quota(acc: Account, snapshot: QuotaSnapshot | None) -> None:
    """Take a stored quota reading newer than `acc`'s (another instance read it)."""
    if snapshot is not None and (acc.quota is None or snapshot.checked_at > acc.quota.checked_at):
        acc.quota = acc.record.quota = snapshot


def take_in(acc: Account, health: Iterable[HealthRecord]) -> None:
    """Make `acc`'s marks agree with the store's `health` rows for it (written after this instance's own were
    flushed, so they hold them too): a mark the store has and this instance lacks, or has ending sooner, is
    taken; one this instance took from the store earlier that the store no longer has, unchanged here since, was
    cleared elsewhere and goes. `acc.stored` remembers what was taken, by (state, model)."""
    rows = {("reauth" if h.state == "needs_reauth" else "missing" if h.state == "not_found" else "cooling", h.model): h
            for h in health}
    for key, h in rows.items():
        until = h.until or math.inf
        if key[0] == "reauth":
            acc.reauth = acc.reauth or h.reason
            continue
        marks = acc.missing if key[0] == "missing" else acc.cooldowns
        mine = marks.get(h.model)
        if mine is None or mine.until < until:
            # Where a stored quota cooldown came from is not stored: a reading lifts none of these.
            marks[h.model] = Cooldown(until, h.reason, FAILURE if h.state == "quota" else None)
    for key, until in acc.stored.items():
        if key in rows:
            continue
        if key[0] == "reauth":
            acc.reauth = None
            continue
        marks = acc.missing if key[0] == "missing" else acc.cooldowns
        mine = marks.get(key[1])
        if mine is not None and mine.until == until:
            del marks[key[1]]
    acc.stored = {key: (h.until or math.inf) for key, h in rows.items()}
