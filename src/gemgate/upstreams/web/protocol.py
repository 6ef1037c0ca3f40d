"""The web app's request layout (reference/gemini-web-protocol.md §1, §3.1-§3.4, §6.8): paths, headers, query
parameters and the double-encoded `f.req` bodies of StreamGenerate and batchexecute."""

from __future__ import annotations

import json
import secrets
import uuid
from urllib.parse import urlencode

APP_PATH = "/app"  # §1.1
STREAM_PATH = "/_/BardChatUi/data/assistant.lamda.BardFrontendService/StreamGenerate"  # §3.1
BATCH_PATH = "/_/BardChatUi/data/batchexecute"  # §6.8
MODELS_RPC = "otAQ7b"  # user status + model rows (§1.4, §6.1)
REQID_STEP = 100000  # _reqid grows by this per request, StreamGenerate and batchexecute alike (§3.1)
INNER_SLOTS = 81  # 2.1.1's inner request length (§3.4)
CAPABILITIES = [4, 5, 6, 8]  # header[8] (§3.3)
AUTO_MODE = 1  # inner[79] when no model is chosen (§3.4)
GEM_SLOT = 19  # inner[19]: the gem a chat uses (§6.5 "Use")
# A current desktop browser's identity (2.1.1 sends curl_cffi's chrome145 one, §1.1).
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36"
)
FORM_TYPE = "application/x-www-form-urlencoded;charset=utf-8"
# RotateCookies (§2.1): this body literally (leading zeros: not strict JSON, so never serialised), only these two
# cookies (more gave HTTP 401, §1.3 and §2.4), and the accounts page as Origin.
ROTATE_BODY = b'[000,"-0000000000000000000"]'
ROTATE_COOKIES = ("__Secure-1PSID", "__Secure-1PSIDTS")
ROTATE_ORIGIN = "https://accounts.google.com"
DEFAULT_PUSH_ID = "feeds/mcudyrk2a4khkz"  # Push-ID when the page names none (2.1.1's default, §1.2)


def account_path(path: str, auth_user: int | None) -> str:
    """`path` under `/u/<N>` for an account index (third-party clients' form, §1.1), else as is."""
    return f"/u/{auth_user}{path}" if auth_user is not None else path


def page_headers(origin: str, cookie: str, auth_user: int | None) -> dict[str, str]:
    """Headers of every call: the form type, Origin and Referer of the app (§1.1, §3.3), a browser identity,
    the account's cookies and, for `/u/<N>/`, `X-Goog-AuthUser`."""
    headers = {
        "Content-Type": FORM_TYPE,
        "Origin": origin,
        "Referer": origin + "/",
        "User-Agent": USER_AGENT,
        "Accept-Language": "en-US,en;q=0.9",
        "Cookie": cookie,
    }
    if auth_user is not None:
        headers["X-Goog-AuthUser"] = str(auth_user)
    return headers


def rotate_headers(cookie: str) -> dict[str, str]:
    """RotateCookies' headers (§2.1): JSON content type, the accounts page's Origin, a browser identity, cookies."""
    return {"Content-Type": "application/json", "Origin": ROTATE_ORIGIN, "User-Agent": USER_AGENT,
            "Accept-Language": "en-US,en;q=0.9", "Cookie": cookie}


def query(tokens, reqid: int, **extra: str) -> dict[str, str]:
    """StreamGenerate's query in 2.1.1's order `hl, _reqid, rt, bl, f.sid` (§3.1); batchexecute puts its
    `rpcids` and `source-path` in `extra` (§6.8)."""
    out = {}
    if "rpcids" in extra:
        out["rpcids"] = extra.pop("rpcids")
    out.update({"hl": tokens.language, "_reqid": str(reqid), "rt": "c"})
    out.update(extra)
    out.update({"bl": tokens.build_label, "f.sid": tokens.session_id})
    return out


def model_header(model_id: str, capacity: int, capacity_field: int, mode: int, thinking: int, client_uuid: str,
                 temporary: bool) -> str:
    """`x-goog-ext-525001261-jspb` (§3.3): model id at [4], temporary flag at [7] (Mag1cFall: 1 = temporary),
    capabilities at [8], capacity at [11] (at [12] when the account's capacity field is 13), then the mode,
    thinking (1 standard, 2 extended) and the client's per-session UUID."""
    head = [1, None, None, None, model_id, None, None, 1 if temporary else 0, CAPABILITIES, None, None]
    tail = [capacity] if capacity_field == 12 else [None, capacity]
    return _compact(head + tail + [None, None, mode, thinking, client_uuid])


def neutral_header(client_uuid: str) -> str:
    """The 525001261 header of batchexecute calls: capabilities and the client UUID only (§6.8)."""
    return _compact([1, None, None, None, None, None, None, None, CAPABILITIES] + [None] * 7 + [client_uuid])


def generation_headers(request_uuid: str, model: str | None) -> dict[str, str]:
    """StreamGenerate's own headers (§3.3): X-Same-Domain, the request UUID header, and with a model chosen
    its header (`model_header`) and the two constant ones."""
    headers = {"X-Same-Domain": "1", "x-goog-ext-525005358-jspb": _compact([request_uuid, 1])}
    if model is not None:
        headers.update({
            "x-goog-ext-525001261-jspb": model,
            "x-goog-ext-73010989-jspb": "[0]",
            "x-goog-ext-73010990-jspb": "[0,0,0]",
        })
    return headers


def attachment(file_id: str, name: str, mime: str) -> list:
    """One file of inner[0][3] as the browser sends it (§5.3, zexadev/782042369): `[[id, kind, null, mime], name,
    null×6, [0]]`, kind 1 image, 2 video, 3 anything else. (2.1.1's short `[[id], name]` is reported to be
    refused with 1100 by 782042369; the browser's shape is what the real app sends.)"""
    top = mime.split("/")[0]
    kind = {"image": 1, "video": 2}.get(top, 3)
    return [[file_id, kind, None, mime], name, None, None, None, None, None, None, [0]]


def upload_headers(origin: str, push_id: str) -> dict[str, str]:
    """The upload's headers in 2.1.1 (§5.1, verified): Origin and Referer of the app, `X-Tenant-Id:
    bard-storage`, `Push-ID` (the page's qKIAYe); a browser identity; never a Cookie (the app's `.google.com`
    cookies do not match `googleapis.com`)."""
    return {"Origin": origin, "Referer": origin + "/", "X-Tenant-Id": "bard-storage", "Push-ID": push_id,
            "User-Agent": USER_AGENT}


def inner_request(prompt: str, language: str, request_uuid: str, mode: int, thinking: int, temporary: bool,
                  metadata: list | None = None, files: list | None = None) -> list:
    """The 81-slot inner request of 2.1.1 (§3.4): the message at [0] (with `files`, `attachment` tuples, at
    [0][3]), language [1], conversation metadata [2] (fresh: nine empty/None slots; continuing:
    `conversations.Thread.metadata`, §3.7), the constant slots, temporary chat [45], the request UUID [59],
    the mode [79] and thinking [80]."""
    inner: list = [None] * INNER_SLOTS
    inner[0] = [prompt, 0, None, files or None, None, None, 0]
    inner[1] = [language]
    inner[2] = metadata or ["", "", "", None, None, None, None, None, None, ""]
    inner[6] = [1]
    inner[7] = 1
    inner[10] = 1
    inner[11] = 0
    inner[17] = [[0]]
    inner[18] = 0
    inner[27] = 1
    inner[30] = [4]
    inner[41] = [1]
    if temporary:
        inner[45] = 1
    inner[53] = 0
    inner[59] = request_uuid
    inner[61] = []
    inner[68] = 1
    inner[79] = mode
    inner[80] = thinking
    return inner


def deep_research(inner: list) -> None:
    """Make `inner` a deep-research turn as 2.1.1 does (§3.4, §6.9): a stand-in attestation token
    `"!" + token_urlsafe(2600)` at [3], a `uuid4().hex` at [4], the tool selector 1 at [49], `[[[[[1]]]]]` at
    [54] and `[[1]]` at [55]."""
    inner[3] = "!" + secrets.token_urlsafe(2600)
    inner[4] = uuid.uuid4().hex
    inner[49] = 1
    inner[54] = [[[[[1]]]]]
    inner[55] = [[1]]


def stream_body(at: str, inner: list) -> bytes:
    """`at=<SNlM0e>&f.req=[null,"<inner JSON>"]` (§3.2)."""
    return urlencode({"at": at, "f.req": _compact([None, _compact(inner)])}).encode()


def batch_body(at: str, calls: list[tuple[str, object, str]]) -> bytes:
    """`at` and `f.req=[[[rpcid, "<payload JSON>", null, "<identifier>"], …]]` (§6.8)."""
    rows = [[rpc, _compact(payload), None, identifier] for rpc, payload, identifier in calls]
    return urlencode({"at": at, "f.req": _compact([rows])}).encode()


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
