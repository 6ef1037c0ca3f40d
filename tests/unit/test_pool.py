"""Pool selection by capability: accounts of kinds that cannot do what is asked are skipped."""

from __future__ import annotations

import pytest

from gemgate.catalog import ModelSpec
from gemgate.errors import GatewayError
from gemgate.pool import Account, Pool
from gemgate.store import AccountRecord


def pool_with(*kinds: str) -> Pool:
    pool = Pool(store=None)
    pool.set_accounts([Account(AccountRecord(id=f"a{i}", name=f"a{i}", kind=k, secret={})) for i, k in enumerate(kinds)])
    return pool


SPEC = ModelSpec("gemini-2.5-flash", "gemini-2.5-flash", None, None)


def test_only_kinds_with_the_capability_are_chosen():
    pool = pool_with("gemini-web", "gemini-api", "gemini-web")
    picked = {pool.acquire(SPEC, frozenset({"gemini-api"})).account.id for _ in range(4)}
    assert picked == {"a1"}
    assert {pool.acquire(SPEC).account.id for _ in range(6)} == {"a0", "a1", "a2"}


def test_no_account_of_a_capable_kind_is_a_503():
    with pytest.raises(GatewayError) as exc:
        pool_with("gemini-web").acquire(SPEC, frozenset({"gemini-api"}))
    assert exc.value.status == 503


async def test_a_pinned_account_is_taken_while_it_can_serve():
    pool = pool_with("gemini-web", "gemini-web", "gemini-web")
    assert {pool.acquire(SPEC, pinned="a2").account.id for _ in range(4)} == {"a2"}
    assert pool.acquire(SPEC, pinned="a2", tried=["a2"]).account.id != "a2"  # it failed: failover goes on
    pool.store = _Store()
    pool.cool(pool.accounts["a2"], "*", 60, "blocked")  # cooling: another account, as if there were no pin
    assert {pool.acquire(SPEC, pinned="a2").account.id for _ in range(4)} == {"a0", "a1"}
    pool.disable(pool.accounts["a1"], "off")
    assert {pool.acquire(SPEC, pinned="a1").account.id for _ in range(2)} == {"a0"}
    assert pool.acquire(SPEC, pinned="gone").account.id == "a0"
    await pool.flush()


class _Store:
    """Just the writes the pool makes here."""

    def __init__(self) -> None:
        self.health = []

    async def put_health(self, record) -> None:
        self.health.append(record)

    async def add_stats(self, *args) -> None:
        pass

    async def set_account_enabled(self, *args) -> None:
        pass


async def test_an_account_needing_reauth_is_skipped_and_that_is_stored():
    pool = pool_with("gemini-api", "gemini-api")
    pool.store = store = _Store()
    pool.needs_reauth(pool.accounts["a0"], "expired")
    assert {pool.acquire(SPEC).account.id for _ in range(4)} == {"a1"}
    await pool.flush()
    assert [(h.account_id, h.model, h.state, h.reason) for h in store.health] == [("a0", "*", "needs_reauth", "expired")]


# -- per-model state is kept under what the upstream said it is about (issue 6: cooldown kinds) ---------------

def _rate_limited(scope=None):
    from gemgate.errors import Failure, Scope, UpstreamError

    return UpstreamError(Failure.RATE_LIMITED, "quota", status=429, retry_after=20, scope=scope or Scope.MODEL)


@pytest.mark.parametrize("cooled, free", [("generate", "count_tokens"), ("count_tokens", "generate"),
                                          ("generate", "embed"), ("embed", "count_tokens")])
async def test_a_rate_limit_on_one_capability_leaves_the_others_free(cooled, free):
    pool = pool_with("gemini-api")
    pool.store = _Store()
    pool.acquire(SPEC, capability=cooled).failure(_rate_limited())
    with pytest.raises(GatewayError) as exc:
        pool.acquire(SPEC, capability=cooled)
    assert exc.value.status == 429 and exc.value.code == "all_accounts_cooling"
    assert pool.acquire(SPEC, capability=free).account.id == "a0"
    await pool.flush()


async def test_an_account_wide_rate_limit_blocks_every_capability():
    from gemgate.errors import Scope

    pool = pool_with("gemini-api")
    pool.store = _Store()
    pool.acquire(SPEC, capability="generate").failure(_rate_limited(Scope.ACCOUNT))
    for capability in ("generate", "count_tokens", "embed"):
        with pytest.raises(GatewayError) as exc:
            pool.acquire(SPEC, capability=capability)
        assert exc.value.status == 429
    await pool.flush()


async def test_the_stored_cooldown_names_the_capability_and_is_reloaded_as_such():
    pool = pool_with("gemini-api")
    pool.store = store = _Store()
    pool.acquire(SPEC, capability="count_tokens").failure(_rate_limited())
    await pool.flush()
    assert [(h.model, h.state) for h in store.health] == [("gemini-2.5-flash (count_tokens)", "cooling")]
    assert pool.acquire(SPEC).account.id == "a0"
