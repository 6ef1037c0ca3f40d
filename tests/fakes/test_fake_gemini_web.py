"""The fake gemini.google.com against the recorded captures and the reference's rules: frames written as the
captures frame them, model rows shaped as the recorded catalogue, the e trailer's length, the XSRF rule, the
signed-out page, the sorry redirect and the un-prefixed pre-rt=c body."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import aiohttp
import pytest

from gemgate.testing import FakeGeminiWeb
from gemgate.testing.web_accounts import model_row
from gemgate.testing.web_wire import body_pieces, frame, units
from tests.support.fixtures import web_capture

STREAM = "/_/BardChatUi/data/assistant.lamda.BardFrontendService/StreamGenerate"
PSID = "g.a000fake" + "f" * 66


def test_frames_are_written_as_the_sanitised_captures_frame_them():
    for name in ("Leechael__gemini-web-cli__internal_client_protocol_testdata_stream_generate_basic_response.txt",
                 "Leechael__gemini-web-cli__internal_client_protocol_testdata_list_chats_basic.txt"):
        body = web_capture(name)
        prefix, _, text = body[len(")]}'"):].lstrip("\n").partition("\n")
        text = text.rstrip("\n")
        assert frame(json.loads(text)).split("\n", 1)[1] == text + "\n", name  # same JSON bytes
        assert int(prefix) in (units("\n" + text + "\n"), units("\n" + text)), name


def test_model_rows_are_shaped_as_the_recorded_catalogue():
    recorded = json.loads(web_capture("Mag1cFall__Gemini-Web2API__internal_gemini_testdata_otAQ7b-models.json"))[15]
    for slug in ("flash", "pro", "flash-lite"):
        row = model_row(slug)
        assert len(row) == len(recorded[0]) == 20
        assert [type(v) for v in row] == [type(v) for v in recorded[0]], slug


def test_rpc_parts_are_shaped_as_the_recorded_answers():
    from gemgate.testing.web_wire import rpc_part

    recorded = json.loads(web_capture("Leechael__gemini-web-cli__internal_client_protocol_testdata_list_chats_basic.txt")
                          .split("\n", 2)[2])[0]
    ours = rpc_part("MaZiqc", [])
    assert [type(v) for v in ours] == [type(v) for v in recorded] and ours[5] == recorded[5] == [0]


def test_e_trailer_counts_the_whole_body():
    pieces = body_pieces([[["wrb.fr", None, "[]"]], [["wrb.fr", None, "[1]"]]])
    body = "".join(pieces)
    last = json.loads(pieces[-1].split("\n", 1)[1])
    assert last[0][0] == "e" and last[0][4] == len(body) and last[0][1] == 4  # frames + 1 (3 frames + e)


@pytest.fixture
async def served():
    fake = FakeGeminiWeb()
    url = await fake.start()
    fake.account(PSID)
    async with aiohttp.ClientSession() as session:
        yield fake, url, session
    await fake.stop()


def form(at: str, prompt: str) -> bytes:
    inner = [None] * 81
    inner[0] = [prompt, 0, None, None, None, None, 0]
    return urlencode({"at": at, "f.req": json.dumps([None, json.dumps(inner)])}).encode()


QUERY = {"bl": "boq", "f.sid": "-1", "_reqid": "12345", "rt": "c", "hl": "en"}
FORM = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}


async def test_page_tokens_and_signed_out_page(served):
    fake, url, session = served
    async with session.get(f"{url}/app", headers={"Cookie": f"__Secure-1PSID={PSID}"}) as r:
        page = await r.text()
        assert '"SNlM0e":"' + fake.accounts[PSID].xsrf + '"' in page and "NID=" in r.headers["Set-Cookie"]
    async with session.get(f"{url}/app", headers={"Cookie": "__Secure-1PSID=unknown"}) as r:
        page = await r.text()
        assert r.status == 200 and "SNlM0e" not in page and '"cfb2h"' in page and '"FdrFJe"' in page


async def test_xsrf_rule_and_answers(served):
    fake, url, session = served
    cookie = {"Cookie": f"__Secure-1PSID={PSID}", **FORM}
    async with session.post(f"{url}{STREAM}", params=QUERY, data=form("stale", "hi"), headers=cookie) as r:
        assert r.status == 400 and "xsrf" in await r.text()
    async with session.post(f"{url}{STREAM}", params=QUERY, data=form(fake.accounts[PSID].xsrf, "hi there"), headers=cookie) as r:
        body = await r.text()
        assert r.status == 200 and body.startswith(")]}'\n\n") and '\\"echo: hi there\\"' in body
    old = {k: v for k, v in QUERY.items() if k != "rt"}
    async with session.post(f"{url}{STREAM}", params=old, data=form(fake.accounts[PSID].xsrf, "hi"), headers=cookie) as r:
        lines = (await r.text()).split("\n")
        assert lines[0] == ")]}'" and json.loads(lines[2])[0][0] == "wrb.fr"  # one JSON array on line index 2


async def test_blocked_account_is_sent_to_the_sorry_page(served):
    fake, url, session = served
    fake.account(PSID, blocked="sorry")
    async with session.get(f"{url}/app", headers={"Cookie": f"__Secure-1PSID={PSID}"}, allow_redirects=False) as r:
        assert r.status == 302 and "/sorry/" in r.headers["Location"]
    fake.account(PSID, blocked="429")
    async with session.get(f"{url}/app", headers={"Cookie": f"__Secure-1PSID={PSID}"}) as r:
        assert r.status == 429


ROTATE = {"Content-Type": "application/json", "Origin": "https://accounts.google.com"}
ROTATE_BODY = b'[000,"-0000000000000000000"]'


async def test_rotate_cookies_is_strict_and_ends_old_psidts(served):
    fake, url, session = served
    now = [1000.0]
    fake.clock = lambda: now[0]
    acc = fake.account(PSID, psidts_lifetime=1200)
    first = acc.issue_psidts(now[0])
    jar = f"__Secure-1PSID={PSID}; __Secure-1PSIDTS={first}"
    for headers, body, want in [
        ({**ROTATE, "Cookie": jar}, b'[0,"-0000000000000000000"]', 400),  # the body is sent literally (§2.1)
        ({"Content-Type": "text/plain", "Origin": ROTATE["Origin"], "Cookie": jar}, ROTATE_BODY, 400),
        ({**ROTATE, "Origin": "https://gemini.google.com", "Cookie": jar}, ROTATE_BODY, 400),
        ({**ROTATE, "Cookie": jar + "; NID=1"}, ROTATE_BODY, 401),  # more cookies gave 401 (§1.3, §2.4)
        ({**ROTATE, "Cookie": "__Secure-1PSID=unknown; __Secure-1PSIDTS=x"}, ROTATE_BODY, 401),
    ]:
        async with session.post(f"{url}/RotateCookies", data=body, headers=headers) as r:
            assert r.status == want, (headers, body)
    now[0] += 600
    async with session.post(f"{url}/RotateCookies", data=ROTATE_BODY, headers={**ROTATE, "Cookie": jar}) as r:
        assert r.status == 200
        issued = {c.key: c for c in r.cookies.values()}
        fresh = issued["__Secure-1PSIDTS"].value
        assert fresh != first and "__Secure-3PSIDTS" in issued and issued["__Secure-1PSIDTS"]["domain"] == ".google.com"
    now[0] += 700  # 1300 s after the first was issued: it no longer signs in, the rotated one does
    async with session.get(f"{url}/app", headers={"Cookie": jar}) as r:
        assert "SNlM0e" not in await r.text()
    async with session.get(f"{url}/app", headers={"Cookie": f"__Secure-1PSID={PSID}; __Secure-1PSIDTS={fresh}"}) as r:
        assert '"SNlM0e":"' in await r.text()
    async with session.post(f"{url}/RotateCookies", data=ROTATE_BODY, headers={**ROTATE, "Cookie": jar}) as r:
        assert r.status == 401  # the expired one cannot be rotated either


async def test_the_default_account_is_account_zero(served):
    # Google numbers a browser's signed-in accounts from 0 and serves account 0 at the path without /u/N/, so
    # /u/0/ is the same account (gemini-web2api sends /u/0 for `auth_user: 0`); another index is signed out.
    fake, url, session = served
    for path, signed_in in (("/u/0/app", True), ("/u/1/app", False)):
        async with session.get(f"{url}{path}", headers={"Cookie": f"__Secure-1PSID={PSID}"}) as r:
            assert ("SNlM0e" in await r.text()) is signed_in, path
    fake.account("g.a000second", auth_user=0)
    async with session.get(f"{url}/app", headers={"Cookie": "__Secure-1PSID=g.a000second"}) as r:
        assert "SNlM0e" in await r.text()
