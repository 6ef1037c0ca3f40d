"""Client key operations: create, list, revoke, and the first key a server makes for itself.

Keys are stored only as sha256 hashes; the key itself is returned once, by create_key. Every function
takes an open `gemgate.store.Store`, raises AdminError (NotFound, Conflict) and prints nothing.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence

from ..auth import KEY_PREFIX, hash_key, new_key
from ..store import ClientKeyRecord, Store
from .errors import Conflict, NotFound
from .validate import check_name
from .views import KeyView, key_view

PREFIX_LEN = len(KEY_PREFIX) + 6  # characters of a key kept to recognise it: "gg-" and 6 more


async def create_key(store: Store, name: str | None = None) -> tuple[KeyView, str]:
    """Create a client key; return (its view, the key). The key is not stored and cannot be shown again.

    name: see check_name (None: "key-" and 6 random hex digits). Raises AdminError for an invalid name,
    Conflict if an active key already answers to that name (as its name, id or prefix).
    """
    name = check_name(f"key-{secrets.token_hex(3)}" if name is None else name, "key name")
    if any(name in (r.name, r.id, r.prefix) for r in await store.list_client_keys()):
        raise Conflict(f"an active client key named '{name}' exists already; choose another name")
    key = new_key()
    record = ClientKeyRecord(id=uuid.uuid4().hex[:12], name=name, key_hash=hash_key(key), prefix=key[:PREFIX_LEN])
    await store.add_client_key(record)
    return key_view(record), key


async def import_key(store: Store, key: str, name: str, *, dry_run: bool = False) -> KeyView | None:
    """Store a client key another server issued (migration: its clients keep their keys), as its hash. Returns
    its view, or None when an active key with that hash exists already. The kept prefix is at most a third of
    the key (foreign keys can be short). `dry_run`: every check, nothing stored (the view is of the key that
    would be). Raises AdminError for an invalid name, Conflict if the name is taken."""
    name = check_name(name, "key name")
    records = await store.list_client_keys()
    if any(r.key_hash == hash_key(key) for r in records):
        return None
    if any(name in (r.name, r.id, r.prefix) for r in records):
        raise Conflict(f"an active client key named '{name}' exists already; choose another name")
    record = ClientKeyRecord(id=uuid.uuid4().hex[:12], name=name, key_hash=hash_key(key),
                             prefix=key[: min(PREFIX_LEN, len(key) // 3)])
    if not dry_run:
        await store.add_client_key(record)
    return key_view(record)


async def list_keys(store: Store, include_revoked: bool = True) -> list[KeyView]:
    """Client keys, oldest first, as views (never the key nor its hash); revoked ones unless told not to."""
    return [key_view(r) for r in await store.list_client_keys(include_revoked=include_revoked)]


async def revoke_key(store: Store, ref: str) -> KeyView:
    """Revoke the one active key that `ref` names: its id, name, prefix (a trailing "…" is ignored) or
    the whole key. Return its view as revoked. A running gateway stops accepting it within ~100 ms.

    Raises NotFound if no active key matches, Conflict if several do (then use the id).
    """
    ref = ref.strip().removesuffix("…") if isinstance(ref, str) else ""
    matches = [r for r in await store.list_client_keys() if ref and _matches(r, ref)]
    if not matches:
        raise NotFound(f"no active client key matches '{_shown(ref)}'")
    if len(matches) > 1:
        ids = ", ".join(r.id for r in matches)
        raise Conflict(f"'{_shown(ref)}' matches {len(matches)} active client keys ({ids}); give the id")
    (record,) = matches
    if not await store.revoke_client_key(record.id):
        raise NotFound(f"no active client key matches '{_shown(ref)}'")  # revoked meanwhile
    revoked = [r for r in await store.list_client_keys(include_revoked=True) if r.id == record.id]
    return key_view(revoked[0] if revoked else record)


async def ensure_client_key(store: Store, configured_keys: Sequence[str] = ()) -> str | None:
    """Never run open: if no key is configured (`configured_keys`, from settings) and none is stored,
    create one named "initial" and return it so it can be shown once; otherwise return None."""
    if any(configured_keys) or await store.list_client_keys():
        return None
    _, key = await create_key(store, "initial")
    return key


def _matches(record: ClientKeyRecord, ref: str) -> bool:
    return ref in (record.id, record.name, record.prefix) or hash_key(ref) == record.key_hash


def _shown(ref: str) -> str:
    """`ref` as echoed in messages: a whole key (or anything longer than a prefix that starts like one) is
    cut to its prefix, so a key typed by mistake never ends up in output or logs."""
    if ref.startswith(KEY_PREFIX) and len(ref) > PREFIX_LEN:
        return ref[:PREFIX_LEN] + "…"
    return ref if len(ref) <= 64 and ref.isprintable() else ref[:20].encode("unicode_escape").decode() + "…"
