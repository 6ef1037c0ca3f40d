"""Where clients put keys, and the key ring's checks."""

import pytest

from gemgate.auth import KeyRing, hash_key, presented_key
from gemgate.store import ClientKeyRecord


@pytest.mark.parametrize(
    "headers, query, expected",
    [
        ([(b"authorization", b"Bearer abc")], b"", "abc"),
        ([(b"authorization", b"bearer  abc ")], b"", "abc"),
        ([(b"x-api-key", b"k1")], b"", "k1"),
        ([(b"x-goog-api-key", b"k2")], b"", "k2"),
        ([], b"alt=sse&key=k3", "k3"),
        ([(b"authorization", b"Basic zzz"), (b"x-api-key", b"k4")], b"", "k4"),
        ([(b"x-goog-api-key", b"")], b"", None),
        ([], b"monkey=1", None),
        ([], b"", None),
    ],
)
def test_presented_key(headers, query, expected):
    assert presented_key(headers, query) == expected


def test_key_ring():
    ring = KeyRing(["from-config"])
    ring.load([ClientKeyRecord("1", "a", hash_key("stored"), "gg-sto"), ClientKeyRecord("2", "b", hash_key("gone"), "gg-gon", revoked_at=1.0)])
    assert ring.check("from-config") and ring.check("stored")
    assert not ring.check("gone") and not ring.check("") and not ring.check(None) and not ring.check("other")
    assert len(ring) == 2


def test_config_key_owner_survives_reordering():
    """A config key's owner (what its stored responses are filed under) follows the key, not its position:
    removing the first key must not hand its state to the next one."""
    both, second_only = KeyRing(["key-one", "key-two"]), KeyRing(["key-two"])
    assert both.identify("key-two").owner == second_only.identify("key-two").owner
    assert both.identify("key-one").owner != second_only.identify("key-two").owner
