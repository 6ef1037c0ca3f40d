"""A fake gemini.google.com on loopback, faithful to reference/gemini-web-protocol.md (and sharing no code with
the gateway's web upstream). It serves:

* `GET /app` (and `/u/<N>/app`): the app page with the tokens of §1.2 for a known, signed-in `__Secure-1PSID`;
  the signed-out page (no SNlM0e) for an unknown or expired one (§1.5); a NID cookie (§1.3, verified).
* `POST /_/BardChatUi/data/batchexecute`: `otAQ7b` (status and model rows, §6.1); the chat and usage RPCs
  (`web_history`, §6.6/§6.7) and the gem RPCs (`web_gems`, §6.5) of a signed-in account, each answer part
  carrying its call's identifier (§6.8); other RPCs `[]` (§7.3 step 5). A non-temporary answer is also kept in
  the account's chats (what the chat RPCs list, read and delete), with its deep research (`web_research`, §6.9).
* `POST …/StreamGenerate`: the fake model's answer as cumulative snapshots in the `rt=c` framing (§3.5), or as
  the pre-1.18 un-prefixed body without `rt=c` (§3.1); a model id the account lacks is error 1052 (§4.1); each
  answer sets a fresh `__Secure-1PSIDCC` (zexadev merges the *SIDCC that StreamGenerate sets, §2.4). A turn
  may continue a conversation (inner[2], §3.7) and attach uploads (inner[0][3], §5.3), see `web_turns`; the
  fake model is told of each attached file (a line `[saw <name>: <type>, <n> bytes]` after the prompt, so its
  echo shows it). `conversations` holds every conversation by cid.
* `POST /upload` (the test's `upload_url`): the upload of §5.1 (`web_turns.upload_problem`); `uploads` holds
  every file received by id.
* `POST /RotateCookies` (the `rotate_cookies_url`, §2): strict per §2.1 (POST, `Content-Type: application/json`,
  `Origin: https://accounts.google.com`, the literal body, only `__Secure-1PSID` and `__Secure-1PSIDTS`: more
  gave 401, §1.3 and §2.4); a signed-in account with a working 1PSIDTS gets a new `__Secure-1PSIDTS` and
  `__Secure-3PSIDTS` in Set-Cookie on .google.com (§2.2), anything else 401 (§2.2). A 1PSIDTS stops working
  `psidts_lifetime` after it was issued (see WebAccount), measured by `clock` (replaceable: tests set the time).
* Rules of Google's it enforces: a POST carrying `__Secure-1PSID` must carry the page's SNlM0e as `at`, else
  HTTP 400 with the "xsrf" marker body (§1.5, Appendix A); a blocked account gets a 302 to the sorry page or a
  429 (§1.5); the query must have `bl`, `f.sid`, `_reqid` (§3.1); `f.req` must be the double-encoded form (§3.2).

The fake model answers as a model following gemgate's tool prompt would (`web_tools`): its function calls, and
its MALFORMED[-ONCE] answers, come as tool-call blocks in the text.

Directives (the fake model's, see fake_model, mapped by `web_answer`; plus `WEB-ERROR <code>`, `WEB-HTTP
<status>`, `SORRY`, `WEB-CANNED [n]`, `WEB-ER <status>`). `replay(body)` serves recorded bytes verbatim for the next StreamGenerate.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from gemgate.testing.fake_model import Chunk, Reply, plan_reply
from gemgate.testing.fake_server import FakeServer, catch_all_app
from gemgate.testing.http_record import Exchange, record
from gemgate.testing.stream_writer import ConnectionReset, write_pieces
from gemgate.testing.web_accounts import MODEL_ROWS, SORRY_URL, WebAccount, app_page, next_id, sorry_page, status_payload
from gemgate.testing.web_answer import (
    CANNED_TEXTS, FAIL_CODES, TRANSIENT, Conversation, answer_frames, er_frames, error_frames, web_directive,
)
from gemgate.testing.web_tools import as_text_reply, model_request
from gemgate.testing.web_turns import ATTACHMENT_REJECTED, Answer, FakeConversation, Upload, attached, continued, upload_problem
from gemgate.testing import web_research
from gemgate.testing.web_gems import GEM_RPCS
from gemgate.testing.web_gems import answer as gems_answer
from gemgate.testing.web_history import HISTORY_RPCS, Refused, Turn
from gemgate.testing.web_history import answer as history_answer
from gemgate.testing.web_history import Chat
from gemgate.testing.web_wire import GUARD, body_pieces, dumps, error_part, rpc_part

STREAM = "/_/BardChatUi/data/assistant.lamda.BardFrontendService/StreamGenerate"
BATCH = "/_/BardChatUi/data/batchexecute"
ROTATE_PATH = "/RotateCookies"
ROTATE_BODY = b'[000,"-0000000000000000000"]'  # §2.1, literally
ROTATE_COOKIES = {"__Secure-1PSID", "__Secure-1PSIDTS"}  # more gave 401 (§1.3 get_access_token.py, §2.4 zexadev)
# Google's Set-Cookie attributes for it are not in the reference; a year's Max-Age leaves the end of a 1PSIDTS to
# `psidts_lifetime`, the rule the reference does give (§2.4).
ROTATED_MAX_AGE = 365 * 86400
XSRF_BODY = ')]}\'\n\n[["er",null,400,null,[{"48448350":["xsrf"]}]]]'  # the shape 782042369's tests use (§1.5)
FRAME_INTERVAL = 0.01  # seconds between frames, so a client sees them arrive apart
FAKE_MODEL = "gemini-2.5-flash"  # what the shared fake model answers as (thinks when asked)
UPLOAD = "/upload"
PUSH_ID = "feeds/mcudyrk2a4khkz"  # the page's qKIAYe (web_accounts.app_page), required as Push-ID


def _cookies(request: web.Request) -> dict[str, str]:
    jar = {}
    for piece in request.headers.get("Cookie", "").split(";"):
        name, sep, value = piece.strip().partition("=")
        if sep:
            jar[name] = value
    return jar


def _auth_user(path: str) -> tuple[int | None, str]:
    if path.startswith("/u/"):
        index, _, rest = path[3:].partition("/")
        if index.isdigit():
            return int(index), "/" + rest
    return None, path


class FakeGeminiWeb(FakeServer):
    """The fake. `account(psid, …)` registers (or returns) an account; `exchanges` records every request."""

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, WebAccount] = {}
        self.exchanges: list[Exchange] = []
        self.replays: list[str] = []
        self._failed_once: set[str] = set()
        self._cookie_counter = itertools.count(1)
        self.session_id = "-1091091728961866802"  # §1.2 example FdrFJe
        self.clock: Callable[[], float] = time.time
        self.uploads: dict[str, Upload] = {}
        self.conversations: dict[str, FakeConversation] = {}
        self.upload_limit = 10 * 1024 * 1024  # bytes per file (413 past it)

    def account(self, psid: str, **fields: Any) -> WebAccount:
        """The account with this `__Secure-1PSID`, created (or updated) with `fields` (see WebAccount)."""
        acc = self.accounts.get(psid)
        if acc is None:
            acc = self.accounts[psid] = WebAccount(psid, **fields)
        for key, value in fields.items():
            setattr(acc, key, value)
        return acc

    def replay(self, body: str) -> None:
        """Answer the next StreamGenerate (after the XSRF check) with `body` verbatim (recorded bytes)."""
        self.replays.append(body)

    def requests_to(self, action: str) -> list[Exchange]:
        """The recorded requests of one action: "app", "StreamGenerate" or a batchexecute rpc id."""
        return [e for e in self.exchanges if e.action == action]

    def build_app(self) -> web.Application:
        """Every path goes to `_handle`."""
        return catch_all_app(self._handle)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        ex = await record(request)
        self.exchanges.append(ex)
        index, path = _auth_user(request.path)
        psid = _cookies(request).get("__Secure-1PSID")
        acc = self.accounts.get(psid) if psid else None
        # Google numbers a browser's signed-in accounts from 0 and serves account 0 at the path without /u/N/
        # (its `authuser` default), so /u/0/ is the default path (reference §1.1 names /u/<N>/ only; 782042369/
        # gemini-web2api sends /u/0 for `auth_user: 0`).
        if acc is not None and (acc.auth_user or 0) != (index or 0):
            acc = None  # signed in under another /u/N/: this path serves the signed-out app
        if acc is not None and not acc.psidts_works(_cookies(request).get("__Secure-1PSIDTS"), self.clock()):
            acc = None  # an expired 1PSIDTS: Google serves the signed-out app (§1.5)
        ex.account = psid
        if request.path == UPLOAD:
            return self._upload(ex)
        if path == ROTATE_PATH:
            ex.action = "RotateCookies"
            return self._rotate(request, ex, acc)
        if acc is not None and acc.blocked:
            ex.status = 429 if acc.blocked == "429" else 302
            return self._blocked(acc.blocked)
        if request.method == "GET" and path == "/app" and acc is not None and acc.app_redirect \
                and acc.app_redirect != str(request.rel_url):
            ex.action, ex.status = "app", 302
            return web.Response(status=302, headers={"Location": acc.app_redirect, "Set-Cookie": "REDIR=seen1234; Path=/"})
        if request.method == "GET" and path == "/app":
            ex.action, ex.status = "app", 200
            return web.Response(text=app_page(acc, self.session_id), content_type="text/html",
                                headers={"Set-Cookie": f"NID={next(self._cookie_counter)}abc; Path=/; HttpOnly"})
        if request.method != "POST" or path not in (STREAM, BATCH):
            ex.status = 404
            return web.Response(status=404, text="Not Found")
        ex.action = "StreamGenerate" if path == STREAM else request.query.get("rpcids", "batchexecute")
        form = ex.body if isinstance(ex.body, dict) else {}
        expected = acc.xsrf if acc is not None and acc.signed_in else ""  # a signed-out page has no SNlM0e
        if psid and form.get("at") != expected:
            ex.status = 400
            return web.Response(status=400, text=XSRF_BODY)
        if any(k not in request.query for k in ("bl", "f.sid", "_reqid")):
            ex.status = 400
            return web.Response(status=400, text="missing bl, f.sid or _reqid")
        try:
            outer = json.loads(form["f.req"])
        except (KeyError, ValueError):
            ex.status = 400
            return web.Response(status=400, text="f.req is not JSON")
        if path == BATCH:
            return await self._batch(request, ex, acc, outer)
        return await self._stream(request, ex, acc, outer)

    def _rotate(self, request: web.Request, ex: Exchange, acc: WebAccount | None) -> web.Response:
        """RotateCookies (§2): the request checked as §2.1 gives it, then a new 1PSIDTS/3PSIDTS (§2.2)."""
        if request.method != "POST":
            ex.status = 405
            return web.Response(status=405, text="Method Not Allowed")
        if (request.headers.get("Content-Type", "").split(";")[0].strip() != "application/json"
                or request.headers.get("Origin") != "https://accounts.google.com" or ex.raw != ROTATE_BODY):
            ex.status = 400
            return web.Response(status=400, text="Bad Request")
        if acc is None or not acc.signed_in or set(_cookies(request)) - ROTATE_COOKIES:
            ex.status = 401
            return web.Response(status=401, text="Unauthorized")
        now = self.clock()
        fresh = acc.issue_psidts(now) if acc.psidts_lifetime is not None else f"sidts-{next(self._cookie_counter)}r"
        ex.status = 200
        attrs = f"Domain=.google.com; Path=/; Secure; HttpOnly; Max-Age={ROTATED_MAX_AGE}"
        response = web.Response(status=200, text=")]}'\n[]", content_type="application/json")
        response.headers.add("Set-Cookie", f"__Secure-1PSIDTS={fresh}; {attrs}")
        response.headers.add("Set-Cookie", f"__Secure-3PSIDTS={fresh}; {attrs}; SameSite=None")
        return response

    def _upload(self, ex: Exchange) -> web.Response:
        ex.action = "upload"
        got = upload_problem(ex, PUSH_ID, self.upload_limit)
        if isinstance(got, tuple):
            ex.status = got[0]
            return web.Response(status=got[0], text=got[1])
        self.uploads[got.file_id] = got
        ex.status = 200
        return web.Response(text=got.file_id, content_type="text/plain")

    @staticmethod
    def _blocked(how: str) -> web.Response:
        if how == "429":
            return web.Response(status=429, text="Too Many Requests")
        return web.Response(status=302, text=sorry_page(), content_type="text/html", headers={"Location": SORRY_URL})

    async def _batch(self, request: web.Request, ex: Exchange, acc: WebAccount | None, outer: Any) -> web.Response:
        try:
            rows = [(r[0], r[3] if len(r) > 3 else "generic") for r in outer[0]]
        except (IndexError, TypeError):
            ex.status = 400
            return web.Response(status=400, text="f.req is not [[[rpcid, payload, null, id], …]]")
        ex.action = ",".join(r for r, _ in rows)
        parts = []
        for (rpc, ident), row in zip(rows, outer[0]):
            if rpc in HISTORY_RPCS | GEM_RPCS and acc is not None and acc.signed_in:
                try:
                    asked = json.loads(row[1])
                    payload = (gems_answer(rpc, asked, acc.gems) if rpc in GEM_RPCS else
                               history_answer(rpc, asked, acc.chats, acc.usage, request.query.get("source-path")))
                except (Refused, ValueError, TypeError) as exc:
                    ex.status = 400
                    return web.Response(status=400, text=f"{rpc}: {exc}")
                except KeyError:  # no such chat or gem: the reference says nothing; an in-band error part as refusals are (§4.1)
                    parts.append([error_part(3, rpc)])
                    continue
            else:
                payload = status_payload(acc) if rpc == "otAQ7b" else []
            parts.append([rpc_part(rpc, payload, ident)])
        ex.status = 200
        return web.Response(text="".join(body_pieces(parts)), content_type="application/json")

    async def _stream(self, request: web.Request, ex: Exchange, acc: WebAccount | None, outer: Any) -> web.StreamResponse:
        ex.action = "StreamGenerate"
        try:
            inner = json.loads(outer[1])
            prompt = inner[0][0]
            assert isinstance(prompt, str) and isinstance(inner, list) and len(inner) >= 69
        except (AssertionError, IndexError, KeyError, TypeError, ValueError):
            ex.status = 400
            return web.Response(status=400, text="f.req is not [null, \"<inner request>\"]")
        ex.extra["inner"] = inner
        header = request.headers.get("x-goog-ext-525001261-jspb")
        model_hex = json.loads(header)[4] if header else None
        ex.model = model_hex
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Set-Cookie": f"__Secure-1PSIDCC=cc{next(self._cookie_counter)}; Domain=.google.com; Path=/; Secure; HttpOnly"}
        if self.replays:
            ex.status = 200
            return await write_pieces(request, headers, [self.replays.pop(0).encode()])
        directive = web_directive(prompt)
        if directive and directive[0] not in ("error", "canned", "er"):
            ex.status = directive[1]
            return self._blocked("sorry") if directive[0] == "sorry" else web.Response(status=directive[1], text="error")
        served = acc.row_ids() if acc is not None and acc.signed_in else {MODEL_ROWS["flash"][0]: "flash"}
        if model_hex is not None and model_hex not in served:
            return await self._frames(request, ex, headers, error_frames(1052), None)
        if directive and directive[0] == "error":
            return await self._frames(request, ex, headers, error_frames(directive[1]), None)
        if directive and directive[0] == "er":
            return await self._frames(request, ex, headers, er_frames(directive[1]), None)
        files = attached(inner[0], self.uploads)
        if files and (acc is None or not acc.signed_in):
            files = ATTACHMENT_REJECTED  # an anonymous session referencing an upload (zexadev, §5.3)
        conv = continued(inner[2], self.conversations, ex.account, model_hex)
        for code in (files, conv):
            if isinstance(code, int):
                return await self._frames(request, ex, headers, error_frames(code), None)
        ex.extra["files"], ex.extra["continued"] = files, conv.cid if conv is not None else None
        seen = "".join(f"\n[saw {u.name}: {u.mime}, {len(u.data)} bytes]" for u in files)
        extended = inner[80] == 2 if len(inner) > 80 else False
        req = model_request(prompt + seen, {"thinkingConfig": {"includeThoughts": True, "thinkingBudget": -1}} if extended else {})
        reply = as_text_reply(plan_reply(req, FAKE_MODEL, first_attempt=prompt not in self._failed_once), req)
        if directive:  # WEB-CANNED: the same answer, with a canned failure text as its words
            text = CANNED_TEXTS[directive[1] - 1]
            reply = Reply(chunks=[Chunk([{"text": text[:20]}]), Chunk([{"text": text[20:]}], "STOP")])
        rich = research = None
        if inner[49] == 1:  # deep research (§6.9)
            why = web_research.refusal(inner)
            if why:
                ex.status = 400
                return web.Response(status=400, text=why)
            known = acc.chats.get(conv.cid) if acc is not None and conv is not None else None
            reply, rich, research = web_research.turn(known.research if known else None, prompt)
        if reply.fail_once:
            self._failed_once.add(prompt)
        else:
            self._failed_once.discard(prompt)
        if reply.is_error:
            return await self._frames(request, ex, headers, error_frames(FAIL_CODES.get(reply.status, TRANSIENT)), None)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        slug = served.get(model_hex or "", "flash")
        if conv is None:
            conv = FakeConversation(next_id("c"), ex.account, model_hex, inner[45] == 1)
            self.conversations[conv.cid] = conv
        ids = Conversation(conv.cid, next_id("r"), next_id("rc"), f"AwAAAA{next_id('ctx')}",
                           MODEL_ROWS[slug][0], MODEL_ROWS[slug][3])
        frames, complete_at = answer_frames(reply, ids, prompt[:40], rich)
        self._save(acc, inner, ids, prompt, "".join(p.get("text", "") for c in reply.chunks or [] for p in c.parts
                                                    if not p.get("thought")), research)
        fault = reply.fault
        if fault is None:
            conv.answers.append(Answer(ids.rid, ids.rcid, ids.context, prompt, files))
        if "rt" not in request.query:  # pre-1.18 clients: one un-prefixed JSON array on line index 2 (§3.1)
            ex.status = 200
            return web.Response(text=GUARD + dumps([p for f in frames for p in f]) + "\n", headers=headers)
        if fault is None:
            return await self._frames(request, ex, headers, frames, None)
        head = frames[: 1 + fault.after]
        if fault.kind == "CUT":
            return await self._frames(request, ex, headers, head, None)
        if fault.kind == "FAIL":
            return await self._frames(request, ex, headers, head + [[error_part(FAIL_CODES.get(fault.status, TRANSIENT))]], None)
        if fault.kind == "RESET":
            return await self._frames(request, ex, headers, head, None, reset=True)
        return await self._frames(request, ex, headers, frames, (1 + fault.after, fault.seconds))

    @staticmethod
    def _save(acc: WebAccount | None, inner: list, conv: Conversation, prompt: str, text: str, research=None) -> None:
        """Keep a signed-in account's non-temporary turn (inner[45] = 1 is a temporary chat, §3.4) in its chats,
        with the conversation's deep research when it has one."""
        if acc is None or not acc.signed_in or (len(inner) > 45 and inner[45] == 1):
            return
        chat = acc.chats.setdefault(conv.cid, Chat(conv.cid, prompt[:40]))
        chat.turns.append(Turn(conv.rid, prompt, conv.rcid, text, int(time.time())))
        chat.research = research or chat.research

    async def _frames(self, request: web.Request, ex: Exchange, headers: dict, frames: list[list],
                      stall: tuple[int, float] | None, reset: bool = False) -> web.StreamResponse:
        """Write the frames one piece each (the `di`/`e` trailer after them unless `reset`); when the caller hangs
        up first, `ex.extra["cancelled_at"]` is the time.monotonic() it was seen."""
        pieces = [p.encode() for p in body_pieces(frames)]
        if reset:
            pieces = pieces[: len(frames)]
        ex.status = 200
        try:
            return await write_pieces(request, headers, pieces, interval=FRAME_INTERVAL, stall=stall, reset=reset)
        except ConnectionReset:
            ex.extra["cancelled_at"] = time.monotonic()
            raise asyncio.CancelledError() from None
        except asyncio.CancelledError:  # the caller hung up before the answer was complete
            ex.extra["cancelled_at"] = time.monotonic()
            raise
