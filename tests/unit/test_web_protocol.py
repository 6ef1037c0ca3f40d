"""The web upstream's request layout (reference/gemini-web-protocol.md §3.1-§3.4, §6.8), page tokens (§1.2),
model catalogue (§6.1, the recorded otAQ7b answers), and the cookie forms issue 9 lists."""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest

from gemgate.upstreams.web import GeminiWeb, cookies, protocol
from gemgate.upstreams.web.framing import read_frames
from gemgate.upstreams.web.models import EXTENDED, parse_catalogue, resources
from gemgate.upstreams.web.page import scrape
from gemgate.upstreams.web.payload import payload_of, wrb_parts
from gemgate.upstreams.web.prompt import build_prompt
from gemgate.errors import UpstreamError
from tests.support.fixtures import web_capture


def test_inner_request_has_2_1_1_slots():
    inner = protocol.inner_request("hi", "en", "UUID-1", 3, 2, True)
    assert len(inner) == 81 and inner[0] == ["hi", 0, None, None, None, None, 0] and inner[1] == ["en"]
    assert inner[2] == ["", "", "", None, None, None, None, None, None, ""]
    assert (inner[7], inner[17], inner[45], inner[59], inner[68], inner[79], inner[80]) == (1, [[0]], 1, "UUID-1", 1, 3, 2)
    assert protocol.inner_request("hi", "en", "U", 1, 1, False)[45] is None


def test_body_is_double_encoded_form():
    form = parse_qs(protocol.stream_body("tok:1", protocol.inner_request("héllo", "en", "U", 1, 1, False)).decode())
    assert form["at"] == ["tok:1"]
    outer = json.loads(form["f.req"][0])
    assert outer[0] is None and json.loads(outer[1])[0][0] == "héllo"


def test_model_header_layouts():
    h = json.loads(protocol.model_header("fbb127bbb056c959", 1, 12, 1, 1, "EF6C", False))
    assert h == [1, None, None, None, "fbb127bbb056c959", None, None, 0, [4, 5, 6, 8], None, None, 1, None, None, 1, 1, "EF6C"]
    shifted = json.loads(protocol.model_header("x", 2, 13, 3, 2, "U", True))
    assert shifted[7] == 1 and shifted[11] is None and shifted[12] == 2 and shifted[15:] == [3, 2, "U"]
    headers = protocol.generation_headers("REQ", None)
    assert headers == {"X-Same-Domain": "1", "x-goog-ext-525005358-jspb": '["REQ",1]'}


def test_query_order():
    tokens = SimpleNamespace(language="en", build_label="boq_x", session_id="-12")
    assert list(protocol.query(tokens, 12345)) == ["hl", "_reqid", "rt", "bl", "f.sid"]
    assert list(protocol.query(tokens, 1, rpcids="otAQ7b", **{"source-path": "/app"}))[0] == "rpcids"


def test_page_tokens_signed_in_and_out():
    page = '<script>WIZ_global_data = {"SNlM0e":"AT:1786","cfb2h":"boq_b","FdrFJe":"-109","TuX5cc":"fr","qKIAYe":"feeds/x"}'
    tokens = scrape(page, "en")
    assert (tokens.xsrf, tokens.build_label, tokens.session_id, tokens.language, tokens.push_id) == (
        "AT:1786", "boq_b", "-109", "fr", "feeds/x")
    guest = scrape('{"cfb2h": "boq_b", "FdrFJe": "-109"}', "en")
    assert guest.found and not guest.signed_in and guest.language == "en"
    assert not scrape("<html>nothing</html>", "en").found


def test_models_from_the_recorded_catalogue():
    payload = json.loads(web_capture("Mag1cFall__Gemini-Web2API__internal_gemini_testdata_otAQ7b-models.json"))
    cat = parse_catalogue(payload)
    assert [(r.slug, r.id, r.mode, r.display) for r in cat.rows] == [
        ("flash-lite", "8c46e95b1a07cecc", 6, "3.5 Flash-Lite"), ("flash", "56fdd199312815e2", 1, "3.7 Flash"),
        ("pro", "e6fa609c3fa255c0", 3, "3.1 Pro")]
    assert cat.available and (cat.capacity, cat.capacity_field) == (1, 12)
    assert cat.public_ids() == ["flash-lite", "flash", "pro", "auto", "gemini-3.5-flash", "gemini-3.5-flash-thinking",
                                "gemini-3.1-pro", "gemini-flash-lite", "gemini-auto", "gemini-flash", "gemini-pro",
                                "gemini-3.6-flash", "gemini-3.7-flash", "gemini-3.8-flash"]
    assert cat.resolve("gemini-3.5-flash-thinking") == (cat.row("flash"), EXTENDED)
    assert cat.resolve("auto")[0] is None
    assert [r["name"] for r in resources(cat)][:3] == ["models/flash-lite", "models/flash", "models/pro"]


def test_recorded_user_status_answer():
    frames = read_frames(web_capture("Leechael__gemini-web-cli__internal_client_protocol_testdata_get_user_status_basic.txt"))
    part = wrb_parts(frames[0])[0]
    cat = parse_catalogue(payload_of(part))
    assert part[1] == "otAQ7b" and cat.status == 1000 and [r.id for r in cat.rows] == ["fbb127bbb056c959"]
    assert (cat.capacity, cat.capacity_field) == (2, 12)  # capability flag 19: Pro
    assert cat.resolve("gemini-3.1-pro") is None  # the account has no Pro: the alias is not offered


PSID = "g.a000" + "x" * 60


@pytest.mark.parametrize("text", [
    json.dumps({"cookie": f"__Secure-1PSID={PSID}; __Secure-1PSIDTS=sidts-1; NID=5", "sapisid": "sap"}),
    f"# Netscape HTTP Cookie File\n.google.com\tTRUE\t/\tTRUE\t1999999999\t__Secure-1PSID\t{PSID}\n"
    "#HttpOnly_.google.com\tTRUE\t/\tTRUE\t1999999999\t__Secure-1PSIDTS\tsidts-1\n"
    ".example.com\tTRUE\t/\tFALSE\t0\tother\tnope\n",
    json.dumps([{"name": "__Secure-1PSID", "value": PSID, "domain": ".google.com"},
                {"name": "__Secure-1PSIDTS", "value": "sidts-1", "domain": ".google.com"},
                {"name": "x", "value": "y", "domain": ".example.com"}]),
    f"Cookie: __Secure-1PSID={PSID}; __Secure-1PSIDTS=sidts-1",
    json.dumps({"__Secure-1PSID": PSID, "__Secure-1PSIDTS": "sidts-1"}),
])
def test_every_cookie_form(text):
    jar = cookies.parse_cookies(text)
    assert jar["__Secure-1PSID"] == PSID and jar["__Secure-1PSIDTS"] == "sidts-1"
    assert "other" not in jar and "x" not in jar


def test_cookie_errors_never_quote_values():
    with pytest.raises(cookies.CookieFormatError) as exc:
        cookies.parse_cookies("NID=secretvalue123")
    assert "secretvalue123" not in str(exc.value) and "__Secure-1PSID" in str(exc.value)
    with pytest.raises(cookies.CookieFormatError):
        cookies.parse_cookies("   ")


def test_set_cookie_merge():
    jar = {"__Secure-1PSID": "a", "__Secure-1PSIDTS": "old", "gone": "1"}
    changed = cookies.merge_set_cookies(jar, [
        "__Secure-1PSIDTS=new; Domain=.google.com; Path=/; Secure; HttpOnly",
        "gone=; Max-Age=0", "evil=1; Domain=.evil.example", "NID=n1; Path=/"], "127.0.0.1")
    assert changed and jar == {"__Secure-1PSID": "a", "__Secure-1PSIDTS": "new", "NID": "n1"}
    assert not cookies.merge_set_cookies(jar, ["NID=n1"], "127.0.0.1")


def test_kind_secret_helpers_hide_values():
    secret = {"cookie": f"__Secure-1PSID={PSID}; __Secure-1PSIDTS=sidts-value-1", "auth_user": 2}
    assert PSID in GeminiWeb.secret_values(secret) and "sidts-value-1" in GeminiWeb.secret_values(secret)
    assert GeminiWeb.describe_secret(secret) == "2 cookies, /u/2" and GeminiWeb.secret_problem(secret) is None
    assert GeminiWeb.suggest_name(secret) == "web-xxxx"
    assert "__Secure-1PSID" in GeminiWeb.secret_problem({"cookie": "NID=1"})


def test_prompt_flattening():
    one = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    assert build_prompt(one) == "hi"
    many = {"systemInstruction": {"parts": [{"text": "Be brief."}]},
            "contents": [{"role": "user", "parts": [{"text": "a"}]},
                         {"role": "model", "parts": [{"text": "ok", "thought": True}, {"text": "b"}]},
                         {"role": "user", "parts": [{"text": "c"}]}]}
    assert build_prompt(many) == ("System instructions (follow them in every answer):\nBe brief.\n\n"
                                  "The conversation so far:\nUser: a\n\nAssistant: b\n\nUser: c")
    image = {"inlineData": {"data": "", "mimeType": "image/png"}}
    assert build_prompt({"contents": [{"role": "user", "parts": [image]}]}) == "[file-1.png]"
    assert build_prompt({"contents": [{"role": "user", "parts": [image, {"text": "what is it"}]}]}) == "what is it"
    # A user's text parts are separate blocks (Codex: its environment context, then the prompt); a model turn's
    # are fragments of one answer (a streamed answer replayed chunk by chunk).
    blocks = {"contents": [{"role": "user", "parts": [{"text": "<env>x</env>"}, {"text": "CALL f {}"}]}]}
    assert build_prompt(blocks) == "<env>x</env>\nCALL f {}"
    replayed = {"contents": [{"role": "user", "parts": [{"text": "a"}]}, {"role": "model", "parts": [{"text": "Hel"},
                {"text": "lo"}]}, {"role": "user", "parts": [{"text": "Sum up:"}, {"text": "it"}]}]}
    assert build_prompt(replayed) == "The conversation so far:\nUser: a\n\nAssistant: Hello\n\nUser: Sum up:\nit"
    with pytest.raises(UpstreamError) as exc:
        build_prompt({"contents": [{"role": "user", "parts": [{"text": " "}]}]})
    assert exc.value.status == 400 and not exc.value.retryable  # the request's own fault


def test_set_cookie_for_a_lookalike_domain_or_a_flood_stays_out_of_the_jar():
    jar = {cookies.PSID: "p" * 20}
    lines = ["EVIL=1; Domain=.notgoogle.com", "EVIL2=1; Domain=google.com.evil.net",
             "BIG=" + "x" * 5000 + "; Domain=.google.com", "OK=1; Domain=.google.com", "MIRROR=1; Domain=fake.test"]
    lines += [f"F{i}=v; Domain=.google.com" for i in range(10_000)]
    cookies.merge_set_cookies(jar, lines, "fake.test")
    assert {"EVIL", "EVIL2", "BIG"}.isdisjoint(jar) and jar["OK"] == "1" and jar["MIRROR"] == "1"
    assert len(jar) == cookies.MAX_COOKIES
    cookies.merge_set_cookies(jar, [f"{cookies.PSID}=new; Domain=.google.com"], "fake.test")
    assert jar[cookies.PSID] == "new"  # a cookie already held is still renewed when the jar is full


def test_imported_cookies_of_a_lookalike_domain_are_not_taken():
    text = "\n".join(["# Netscape HTTP Cookie File",
                      "\t".join([".google.com", "TRUE", "/", "TRUE", "0", cookies.PSID, "p" * 20]),
                      "\t".join([".notgoogle.com", "TRUE", "/", "TRUE", "0", "SID", "stolen"])])
    assert cookies.parse_cookies(text) == {cookies.PSID: "p" * 20}
