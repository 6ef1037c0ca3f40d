"""Cookie files written back after a rotation: each accepted form stays that form, with only google.com cookies
changed (values, removals, additions, expiry dates), and a crash mid-write leaves the old file whole."""

from __future__ import annotations

import json
import os

import pytest

from gemgate.upstreams.web import cookie_file, cookies

PSID = "g.a000" + "p" * 70
OLD = {"__Secure-1PSID": PSID, "__Secure-1PSIDTS": "old-ts", "NID": "nid-1"}
NEW = {"__Secure-1PSID": PSID, "__Secure-1PSIDTS": "new-ts", "__Secure-3PSIDTS": "new-3ts"}  # NID gone, 3PSIDTS new
EXPIRES = {"__Secure-1PSIDTS": 2_000_000_000.0, "__Secure-3PSIDTS": 2_000_000_000.0}

FILES = {
    "json": json.dumps({"cookie": cookies.header(OLD), "sapisid": "sap", "note": "mine"}, indent=2),
    "json-dict": json.dumps(OLD),
    "extension": json.dumps([
        {"domain": ".example.org", "name": "other", "value": "o", "hostOnly": False},
        *({"domain": ".google.com", "name": k, "value": v, "path": "/", "storeId": "0", "expirationDate": 1_900_000_000}
          for k, v in OLD.items()),
    ]),
    "netscape": "# Netscape HTTP Cookie File\n.example.org\tTRUE\t/\tFALSE\t0\tother\to\n" + "".join(
        f"{'#HttpOnly_' if k == 'NID' else ''}.google.com\tTRUE\t/\tTRUE\t1900000000\t{k}\t{v}\n" for k, v in OLD.items()),
    "header": "Cookie: " + cookies.header(OLD),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_write_back_keeps_the_form_and_everything_else(tmp_path, name):
    path = tmp_path / "c"
    path.write_text(FILES[name])
    extra = {"SAPISID": "sap"} if name == "json" else {}  # the JSON form's "sapisid" is a cookie too
    before = cookie_file.read(path)
    assert before.jar == {**OLD, **extra}
    digest = cookie_file.write_back(path, NEW, EXPIRES)
    after = cookie_file.read(path)
    assert after.form == before.form and after.jar == {**NEW, **extra} and after.digest == digest != before.digest
    text = path.read_text()
    if name == "json":
        assert json.loads(text)["note"] == "mine" and "\n" in text.strip()  # other keys and the layout kept
    if name in ("extension", "netscape"):
        assert after.expires["__Secure-1PSIDTS"] == 2_000_000_000.0 and "other" in text  # other sites kept
        assert after.expires["__Secure-1PSID"] == 1_900_000_000.0  # unchanged dates stay
    if name == "extension":
        assert json.loads(text)[0] == {"domain": ".example.org", "name": "other", "value": "o", "hostOnly": False}
    if name == "header":
        assert text.startswith("Cookie: ")


def test_a_crash_mid_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "cookies.txt"
    path.write_text(FILES["netscape"])
    os.chmod(path, 0o600)

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        cookie_file.write_back(path, NEW, EXPIRES)
    assert path.read_text() == FILES["netscape"]
    assert [p.name for p in tmp_path.iterdir()] == ["cookies.txt"]  # no temporary file left behind
    monkeypatch.undo()
    cookie_file.write_back(path, NEW, EXPIRES)
    assert os.stat(path).st_mode & 0o777 == 0o600  # the file's permissions kept


def test_a_file_that_is_no_longer_cookies_is_not_overwritten(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("{broken")
    with pytest.raises(cookies.CookieFormatError):
        cookie_file.write_back(path, NEW, EXPIRES)
    assert path.read_text() == "{broken"


def test_set_cookie_expiry_is_recorded():
    jar, expires = dict(OLD), {}
    cookies.merge_set_cookies(jar, ["__Secure-1PSIDTS=a; Domain=.google.com; Max-Age=100",
                                    "NID=b; Domain=.google.com; Expires=Wed, 01 Jan 2031 00:00:00 GMT",
                                    "X=c; Domain=.google.com; Max-Age=100; Expires=Wed, 01 Jan 2031 00:00:00 GMT"],
                              "gemini.google.com", expires, now=1000.0)
    assert expires == {"__Secure-1PSIDTS": 1100.0, "NID": 1924992000.0, "X": 1100.0}  # Max-Age wins (RFC 6265)
    cookies.merge_set_cookies(jar, ["NID=; Domain=.google.com; Max-Age=0"], "gemini.google.com", expires, now=1000.0)
    assert "NID" not in jar and "NID" not in expires


def test_a_symbolic_link_is_neither_written_through_nor_replaced(tmp_path):
    target = tmp_path / "export.txt"
    target.write_text(f"{cookies.PSID}=old-value-0123456789\n")
    link = tmp_path / "cookies.txt"
    link.symlink_to(target)
    with pytest.raises(OSError, match="symbolic link"):
        cookie_file.write_back(link, {cookies.PSID: "new-value-0123456789"}, {})
    assert link.is_symlink() and target.read_text() == f"{cookies.PSID}=old-value-0123456789\n"
    assert cookie_file.read(link).jar == {cookies.PSID: "old-value-0123456789"}  # still read through it
