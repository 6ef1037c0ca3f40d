"""Admin operations (gemgate.admin) against a real SQLite store: every operation and every validation rule."""

from __future__ import annotations

import time

import pytest

from gemgate import admin
from gemgate.admin import AdminError, Conflict, NotFound
from gemgate.auth import hash_key
from gemgate.store import HealthRecord

API_KEY = "AIzaSyADMINTEST0123456789abcdefghijklmn"
OTHER_KEY = "AIzaSyOTHERKEY00123456789abcdefghijklmn"


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def key_for(name: str) -> str:
    """A well-formed key of its own for every account name (one key cannot be added twice)."""
    import hashlib

    return "AIza" + hashlib.sha256(name.encode()).hexdigest()[:35]


async def add(store, name="main", key=None, proxy=None):
    key = key if key is not None else (API_KEY if name == "main" else key_for(name))
    return await admin.add_account(store, "gemini-api", name, {"api_key": key}, proxy)


def refused(exc_type, *fragments):
    """Context manager: the block raises exc_type whose message holds every fragment."""

    class Check:
        def __enter__(self):
            self.ctx = pytest.raises(exc_type)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self.ctx.__exit__(*exc)
            for fragment in fragments:
                assert fragment in self.info.value.message, self.info.value.message
            assert str(self.info.value) == self.info.value.message
            return handled

    return Check()


# accounts: add and list


async def test_add_account_stores_secret_and_returns_a_view_without_it(store):
    view = await add(store, proxy="http://127.0.0.1:3128")
    assert (view.name, view.kind, view.state, view.enabled, view.proxy) == (
        "main", "gemini-api", "ok", True, "http://127.0.0.1:3128"
    )
    assert API_KEY not in repr(view)
    record = await store.find_account("main")
    assert record.secret == {"api_key": API_KEY} and record.id == view.id and record.proxy == "http://127.0.0.1:3128"


async def test_add_account_default_name_from_key(store):
    view = await admin.add_account(store, "gemini-api", None, {"api_key": API_KEY})
    assert view.name == "apikey-" + API_KEY[-4:]


async def test_add_account_blank_proxy_means_none(store):
    assert (await add(store, proxy="  ")).proxy is None


async def test_list_accounts_views(store):
    now = time.time()
    a, b, c, d = [await add(store, n) for n in "abcd"]
    await store.add_stats(a.id, 5, 2, "rate_limited: slow down", 1700000000.0)
    await store.put_health(HealthRecord(b.id, "gemini-2.5-flash", "cooling", now + 300, "rate_limited: 429"))
    await store.put_health(HealthRecord(b.id, "*", "cooling", now + 60, "quota_exhausted: daily"))
    await store.put_health(HealthRecord(b.id, "old", "cooling", now - 1, "over"))
    await store.put_health(HealthRecord(c.id, "*", "needs_reauth", None, "token expired"))
    await store.set_account_enabled(d.id, False, "bad key")
    views = {v.name: v for v in await admin.list_accounts(store)}
    assert list(views) == ["a", "b", "c", "d"]

    va = views["a"]
    assert (va.state, va.requests, va.errors, va.last_error, va.last_used) == (
        "ok", 5, 2, "rate_limited: slow down", 1700000000.0
    )
    assert va.cooldowns == () and va.until is None and va.reason == ""

    vb = views["b"]
    assert vb.state == "cooling" and vb.reason == "quota_exhausted: daily"
    assert vb.until == pytest.approx(now + 60)
    assert [(x.model, x.scope, x.state, x.reason) for x in vb.cooldowns] == [
        ("*", "account", "cooling", "quota_exhausted: daily"),
        ("gemini-2.5-flash", "gemini-2.5-flash", "cooling", "rate_limited: 429"),
    ], "active cooldowns only, the one ending first first"
    assert vb.requests == 0 and vb.last_used is None

    vc = views["c"]
    assert (vc.state, vc.reason, vc.until) == ("needs_reauth", "token expired", None)

    vd = views["d"]
    assert (vd.state, vd.enabled, vd.reason, vd.disabled_reason) == ("disabled", False, "bad key", "bad key")


async def test_list_accounts_judges_cooldowns_against_now(store):
    acc = await add(store)
    await store.put_health(HealthRecord(acc.id, "m", "cooling", time.time() + 100, "429"))
    assert (await admin.list_accounts(store))[0].state == "cooling"
    assert (await admin.list_accounts(store, now=time.time() + 200))[0].state == "ok"


async def test_disabled_wins_over_cooling(store):
    acc = await add(store)
    await store.put_health(HealthRecord(acc.id, "*", "cooling", time.time() + 100, "429"))
    view = await admin.disable_account(store, "main")
    assert view.state == "disabled" and len(view.cooldowns) == 1 and view.until is None


async def test_proxy_password_is_redacted_in_views(store):
    view = await add(store, proxy="http://user:s3cret@proxy.example:8080")
    assert view.proxy == "http://user:***@proxy.example:8080"
    assert "s3cret" not in repr(await admin.list_accounts(store))
    assert (await store.find_account("main")).proxy == "http://user:s3cret@proxy.example:8080"


async def test_get_account(store):
    acc = await add(store)
    assert (await admin.get_account(store, "main")).id == acc.id
    assert (await admin.get_account(store, acc.id)).name == "main"
    with refused(NotFound, "no account named 'nope'"):
        await admin.get_account(store, "nope")


# accounts: validation


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "must not be empty"),
        ("x" * 65, "at most 64"),
        ("has space", "only letters, digits"),
        ("slash/name", "only letters, digits"),
        ("ünïcode", "only letters, digits"),
        ("new\nline", "only letters, digits"),
    ],
)
async def test_account_name_rules(store, name, fragment):
    with refused(AdminError, "account name", fragment):
        await add(store, name)
    assert await store.list_accounts() == []


async def test_account_name_edges_accepted(store):
    assert (await add(store, "x" * 64)).name == "x" * 64
    assert (await add(store, "A-z_0.9")).name == "A-z_0.9"


async def test_account_name_unique(store):
    first = await add(store)
    with refused(Conflict, "'main' exists already"):
        await add(store, "main", key=OTHER_KEY)
    with refused(Conflict, "exists already"):
        await add(store, first.id, key=OTHER_KEY)  # a name equal to another account's id is ambiguous
    assert len(await store.list_accounts()) == 1


async def test_kind_must_be_registered(store):
    with refused(AdminError, "unknown account kind", "gemini-api"):
        await admin.add_account(store, "vertex-ai", "x", {"api_key": API_KEY})


@pytest.mark.parametrize("secret", [{}, {"api_key": ""}, {"api_key": "   "}, {"api_key": 123}, {"key": API_KEY}, API_KEY])
async def test_gemini_api_secret_needs_api_key(store, secret):
    with refused(AdminError, "api_key") if isinstance(secret, dict) else refused(AdminError, "object"):
        await admin.add_account(store, "gemini-api", "x", secret)


@pytest.mark.parametrize(
    "proxy",
    [
        "127.0.0.1:3128",  # no scheme
        "ftp://127.0.0.1:21",
        "socks4://127.0.0.1:1080",
        "http://",
        "http://:3128",
        "http://host:notaport",
        "http://host:99999",
        "http://ho st:1",
        "http://user:hunter2@:8080",
        "http://user:hunter2@host:bad",
    ],
)
async def test_proxy_rules_and_no_password_echo(store, proxy):
    with refused(AdminError, "proxy must be an http, https or socks5 URL") as info:
        await add(store, proxy=proxy)
    assert "hunter2" not in info.value.message
    assert proxy not in info.value.message.replace("e.g. http://127.0.0.1:3128", ""), "the URL is not echoed"


@pytest.mark.parametrize("proxy", ["http://p:1", "https://proxy.example", "socks5://u:p@10.0.0.1:1080", "HTTP://Host:8080"])
async def test_proxy_accepted(store, proxy):
    await add(store, proxy=proxy)
    assert (await store.find_account("main")).proxy == proxy


async def test_secret_never_in_messages(store):
    await add(store)
    for call in (
        admin.add_account(store, "gemini-api", "main", {"api_key": API_KEY}),
        admin.add_account(store, "gemini-api", "bad name", {"api_key": API_KEY}),
        admin.add_account(store, "nope", "x", {"api_key": API_KEY}),
        admin.add_account(store, "gemini-api", "y", {"api_key": API_KEY}, "ftp://x"),
    ):
        with pytest.raises(AdminError) as info:
            await call
        assert API_KEY not in info.value.message and API_KEY[-10:] not in info.value.message


# accounts: enable, disable, remove, reset


async def test_disable_and_enable(store):
    acc = await add(store)
    v0 = (await store.account_versions())[acc.id]
    view = await admin.disable_account(store, "main")
    assert (view.state, view.enabled, view.reason) == ("disabled", False, "disabled by hand")
    assert (await store.account_versions())[acc.id] > v0, "a running gateway notices"
    view = await admin.disable_account(store, acc.id, reason="  suspected leak ")
    assert view.reason == "suspected leak"
    await store.put_health(HealthRecord(acc.id, "m", "cooling", time.time() + 100, "429"))
    view = await admin.enable_account(store, "main")
    assert (view.state, view.enabled, view.disabled_reason, view.cooldowns) == ("ok", True, None, ())
    assert await store.list_health() == [], "enable clears cooldowns"


async def test_disable_reason_rules(store):
    await add(store)
    with refused(AdminError, "reason", "must not be empty"):
        await admin.disable_account(store, "main", reason=" ")
    with refused(AdminError, "at most 300"):
        await admin.disable_account(store, "main", reason="x" * 301)
    assert (await store.find_account("main")).enabled


async def test_remove(store):
    acc = await add(store)
    await store.put_health(HealthRecord(acc.id, "m", "cooling", time.time() + 100, "429"))
    view = await admin.remove_account(store, "main")
    assert view.name == "main" and view.state == "cooling"
    assert await store.list_accounts() == [] and await store.list_health() == []


@pytest.mark.parametrize(
    "op",
    [
        lambda s, ref: admin.enable_account(s, ref),
        lambda s, ref: admin.disable_account(s, ref),
        lambda s, ref: admin.remove_account(s, ref),
        lambda s, ref: admin.reset_cooldowns(s, ref),
        lambda s, ref: admin.get_account(s, ref),
    ],
)
async def test_unknown_account_is_not_found(store, op):
    with refused(NotFound, "no account named 'ghost'"):
        await op(store, "ghost")
    with refused(NotFound, "no account named"):
        await op(store, "")


async def test_reset_cooldowns_all_or_one_model(store):
    acc = await add(store)
    now = time.time()
    for model in ("*", "gemini-2.5-flash", "gemini-2.5-pro"):
        await store.put_health(HealthRecord(acc.id, model, "cooling", now + 100, f"429 {model}"))
    await store.put_health(HealthRecord(acc.id, "old", "cooling", now - 5, "over"))
    other = await add(store, "other", key=OTHER_KEY)
    await store.put_health(HealthRecord(other.id, "gemini-2.5-pro", "cooling", now + 100, "429"))
    v0 = (await store.account_versions())[acc.id]

    cleared = await admin.reset_cooldowns(store, "main", model="gemini-2.5-pro")
    assert [(c.model, c.reason) for c in cleared] == [("gemini-2.5-pro", "429 gemini-2.5-pro")]
    assert (await store.account_versions())[acc.id] > v0, "a running gateway reloads the account's cooldowns"
    assert {c.model for c in (await admin.get_account(store, "main")).cooldowns} == {"*", "gemini-2.5-flash"}

    assert await admin.reset_cooldowns(store, "main", model="not-cooling") == []
    cleared = await admin.reset_cooldowns(store, acc.id, model="*")
    assert [c.scope for c in cleared] == ["account"]

    cleared = await admin.reset_cooldowns(store, "main")
    assert [c.model for c in cleared] == ["gemini-2.5-flash"]
    assert (await admin.get_account(store, "main")).state == "ok"
    assert (await admin.get_account(store, "other")).state == "cooling", "other accounts untouched"


async def test_reset_keeps_enabled_state_and_reason(store):
    acc = await add(store)
    await admin.disable_account(store, "main", reason="on hold")
    await store.put_health(HealthRecord(acc.id, "*", "needs_reauth", None, "expired"))
    cleared = await admin.reset_cooldowns(store, "main")
    assert [c.state for c in cleared] == ["needs_reauth"]
    view = await admin.get_account(store, "main")
    assert (view.state, view.enabled, view.reason, view.cooldowns) == ("disabled", False, "on hold", ())


async def test_reset_model_must_not_be_blank(store):
    await add(store)
    with refused(AdminError, "model must not be empty"):
        await admin.reset_cooldowns(store, "main", model=" ")


# client keys


async def test_create_key(store):
    view, key = await admin.create_key(store, "laptop")
    assert key.startswith("gg-") and len(key) > 30
    assert (view.name, view.prefix, view.revoked, view.revoked_at) == ("laptop", key[:9], False, None)
    assert not hasattr(view, "key_hash") and key not in repr(view)
    (record,) = await store.list_client_keys()
    assert record.key_hash == hash_key(key) and record.id == view.id


async def test_create_key_default_name(store):
    view, _ = await admin.create_key(store)
    assert view.name.startswith("key-") and len(view.name) == 10


@pytest.mark.parametrize(
    ("name", "fragment"), [("", "must not be empty"), ("k" * 65, "at most 64"), ("my key", "only letters")]
)
async def test_key_name_rules(store, name, fragment):
    with refused(AdminError, "key name", fragment):
        await admin.create_key(store, name)
    assert await store.list_client_keys(include_revoked=True) == []


async def test_key_name_unique_among_active_keys(store):
    first, _ = await admin.create_key(store, "laptop")
    with refused(Conflict, "'laptop' exists already"):
        await admin.create_key(store, "laptop")
    with refused(Conflict, "exists already"):
        await admin.create_key(store, first.id)
    await admin.revoke_key(store, "laptop")
    again, _ = await admin.create_key(store, "laptop")
    assert again.id != first.id, "a revoked key's name can be reused"


async def test_list_keys_never_shows_the_key(store):
    _, k1 = await admin.create_key(store, "one")
    _, k2 = await admin.create_key(store, "two")
    await admin.revoke_key(store, "one")
    views = await admin.list_keys(store)
    assert [(v.name, v.revoked) for v in views] == [("one", True), ("two", False)]
    assert views[0].revoked_at is not None and views[1].revoked_at is None
    assert k1 not in repr(views) and k2 not in repr(views) and hash_key(k1) not in repr(views)
    assert [v.name for v in await admin.list_keys(store, include_revoked=False)] == ["two"]


@pytest.mark.parametrize("by", ["id", "name", "prefix", "listed prefix", "key"])
async def test_revoke_key_by_any_reference(store, by):
    view, key = await admin.create_key(store, "laptop")
    keep, _ = await admin.create_key(store, "ci")
    ref = {"id": view.id, "name": "laptop", "prefix": view.prefix, "listed prefix": view.prefix + "…", "key": key}[by]
    revoked = await admin.revoke_key(store, ref)
    assert revoked.id == view.id and revoked.revoked and revoked.revoked_at is not None
    assert [r.id for r in await store.list_client_keys()] == [keep.id]
    with refused(NotFound, "no active client key matches") as info:
        await admin.revoke_key(store, ref)
    assert key not in info.value.message, "a whole key is never echoed"


async def test_revoke_unknown_key(store):
    with refused(NotFound, "no active client key matches 'ghost'"):
        await admin.revoke_key(store, "ghost")
    with refused(NotFound, "no active client key matches"):
        await admin.revoke_key(store, "")


async def test_revoke_ambiguous_reference_revokes_nothing(store):
    from gemgate.store import ClientKeyRecord

    # Two keys that share a prefix (possible, if unlikely): a prefix must not revoke both.
    await store.add_client_key(ClientKeyRecord("k1", "one", "h1", "gg-abcdef"))
    await store.add_client_key(ClientKeyRecord("k2", "two", "h2", "gg-abcdef"))
    with refused(Conflict, "matches 2 active client keys", "k1", "k2"):
        await admin.revoke_key(store, "gg-abcdef")
    assert len(await store.list_client_keys()) == 2
    assert (await admin.revoke_key(store, "k1")).name == "one"


async def test_ensure_client_key(store):
    assert await admin.ensure_client_key(store, ["configured"]) is None, "a configured key is enough"
    assert await store.list_client_keys() == []
    key = await admin.ensure_client_key(store)
    assert key.startswith("gg-")
    (record,) = await store.list_client_keys()
    assert record.name == "initial" and record.key_hash == hash_key(key)
    assert await admin.ensure_client_key(store) is None, "only when there is no key at all"


# accounts: what a newcomer types by mistake (issue 6 §9)


@pytest.mark.parametrize("key", ["", "   ", "notakey", "AIza", API_KEY[:-1], API_KEY + "x", "AIza" + "!" * 35, "BIza" + API_KEY[4:]])
async def test_malformed_api_key_refused_saying_what_a_key_looks_like(store, key):
    with refused(admin.Malformed, "39 characters", "'AIza'") as info:
        await add(store, key=key)
    assert len(key.strip()) < 5 or key not in info.value.message
    assert await store.list_accounts() == []


async def test_format_check_can_be_skipped_for_test_keys(store):
    view = await admin.add_account(store, "gemini-api", "fake", {"api_key": "fake-key-alpha"}, check_format=False)
    assert view.name == "fake" and view.credential == "…ha"
    with refused(AdminError, "non-empty 'api_key'"):
        await admin.add_account(store, "gemini-api", "blank", {"api_key": " "}, check_format=False)


async def test_same_key_twice_under_two_names_refused(store):
    await add(store, "first", key=API_KEY)
    with refused(Conflict, "in the pool already", "'first'") as info:
        await add(store, "second", key="  " + API_KEY + " ")
    assert API_KEY not in info.value.message and API_KEY[-4:] not in info.value.message
    with refused(Conflict, "'first'"):
        await admin.add_account(store, "gemini-api", "third", {"api_key": API_KEY}, check_format=False)
    assert [a.name for a in await store.list_accounts()] == ["first"]
    await add(store, "other", key=OTHER_KEY)
    raw = (store.path.read_bytes() + (store.path.with_name(store.path.name + "-wal").read_bytes()
           if store.path.with_name(store.path.name + "-wal").exists() else b""))
    assert API_KEY.encode() not in raw and OTHER_KEY.encode() not in raw, "nothing about the key in plain text"


@pytest.mark.parametrize("proxy", ["not a url", "http//x:1"])
async def test_proxy_that_is_not_a_url_refused(store, proxy):
    with refused(AdminError, "proxy must be an http, https or socks5 URL"):
        await add(store, proxy=proxy)


async def test_views_tell_accounts_apart(store):
    await add(store, "a", key=API_KEY, proxy="http://user:hunter2@10.0.0.1:3128")
    await add(store, "b", key=OTHER_KEY)
    a, b = await admin.list_accounts(store)
    assert a.credential == f"AIza…{API_KEY[-4:]}" and b.credential == f"AIza…{OTHER_KEY[-4:]}"
    assert a.proxy == "http://user:***@10.0.0.1:3128" and b.proxy is None
    assert API_KEY not in repr(a) and "hunter2" not in repr(a)


async def test_verify_runs_last_and_refuses_before_saving(store):
    calls = []

    async def failing(kind, secret, proxy):
        calls.append((kind, proxy))
        raise AdminError("the check failed, nothing was added: auth_expired: API key not valid")

    with refused(AdminError, "the check failed"):
        await admin.add_account(store, "gemini-api", "x", {"api_key": API_KEY}, "http://p:1", verify=failing)
    assert calls == [("gemini-api", "http://p:1")] and await store.list_accounts() == []
    with refused(AdminError, "39 characters"):
        await admin.add_account(store, "gemini-api", "x", {"api_key": "bad"}, verify=failing)
    assert len(calls) == 1, "local checks come first: no upstream call for a malformed key"


def test_describe_secret_default_is_empty():
    from gemgate.upstreams.base import Upstream
    from gemgate.upstreams.gemini_api import GeminiAPI

    assert Upstream.describe_secret({"api_key": API_KEY}) == ""
    assert GeminiAPI.describe_secret({"api_key": API_KEY}) == f"AIza…{API_KEY[-4:]}"
    assert GeminiAPI.describe_secret({}) == ""
