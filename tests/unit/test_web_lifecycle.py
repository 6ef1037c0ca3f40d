"""The rotation schedule's bookkeeping without HTTP: a round that finds a refresh of the account running gives
its "last rotated" mark back (so the rotation is not lost for a whole interval), an account without
`__Secure-1PSIDTS` is never rotated, and the lifetime warning's wording."""

from __future__ import annotations

import pytest

from gemgate.store import AccountRecord
from gemgate.upstreams.web import GeminiWeb, GeminiWebSettings
from gemgate.upstreams.web.lifecycle import ROTATED, lifetime_warning


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


class Keeper:
    """A CredentialKeeper stand-in: `busy` says a refresh is running (renew does nothing, as the real one)."""

    def __init__(self, busy: bool) -> None:
        self.busy, self.calls = busy, 0

    async def renew(self, upstream, account, make) -> bool:
        self.calls += 1
        return not self.busy


def account(cookie: str) -> AccountRecord:
    return AccountRecord(id="a1", name="web-a", kind="gemini-web", secret={"cookie": cookie})


async def test_a_busy_round_gives_the_mark_back(store):
    up = GeminiWeb(GeminiWebSettings(rotate_jitter_seconds=0))
    acc = account("__Secure-1PSID=p; __Secure-1PSIDTS=t")
    await up.lifecycle.run([acc], frozenset(), Keeper(False), store, 1000.0)  # schedules 1600
    busy = Keeper(True)
    await up.lifecycle.run([acc], frozenset(), busy, store, 1601.0)
    assert busy.calls == 1 and await store.get_values(ROTATED, ["a1"]) == {}  # mark given back
    assert up.lifecycle.due["a1"] == 1601.0
    free = Keeper(False)
    await up.lifecycle.run([acc], frozenset(), free, store, 1605.0)  # the next round rotates
    assert free.calls == 1 and await store.get_values(ROTATED, ["a1"]) == {"a1": "1605.0"}


async def test_no_rotation_without_psidts_nor_for_accounts_needing_reauth(store):
    up = GeminiWeb(GeminiWebSettings())
    keeper = Keeper(False)
    bare, signed_out = account("__Secure-1PSID=p"), account("__Secure-1PSID=q; __Secure-1PSIDTS=t")
    signed_out.id = "a2"
    for now in (1000.0, 5000.0):
        await up.lifecycle.run([bare, signed_out], frozenset({"a2"}), keeper, store, now)
    assert keeper.calls == 0


def test_lifetime_warning_wording():
    day = 86400.0
    assert lifetime_warning({"expires": {"__Secure-1PSID": 10 * day}}, 0.0, 9 * day + 3600).startswith(
        "__Secure-1PSID expires in 23 h: export fresh cookies and add them again")
    assert "expired 2 days ago" in lifetime_warning({"expires": {"__Secure-1PSIDTS": 1.0}}, 0.0, 2 * day + 5)
    filed = {"cookie_file": "/home/u/c.txt", "rotated_at": 100.0, "signed_in_at": 50.0}
    assert lifetime_warning(filed, 0.0, 100.0 + 3599) == ""
    assert lifetime_warning(filed, 0.0, 100.0 + 7300) == (
        "cookies last renewed 2 h ago (rotated); Google ends exported cookies 30 min-2 h after their last rotation, "
        "which only a running server does: if requests fail, export fresh cookies into /home/u/c.txt (gemgate takes "
        "the file in again by itself)")


def test_the_sandbox_rotates_cookies_at_its_fake(tmp_path):
    from gemgate.sandbox import sandbox_settings

    settings = sandbox_settings(tmp_path, "http://127.0.0.1:1", 8080, "k", web_url="http://127.0.0.1:2")
    web = GeminiWebSettings(**settings.upstreams["gemini_web"])
    assert web.base_url == "http://127.0.0.1:2" and web.rotate_cookies_url == "http://127.0.0.1:2/RotateCookies"
