"""The bridge's calls on the user's own Gemini data, each one batchexecute RPC (or two) of
reference/gemini-web-protocol.md on the caller's account (`Caller.account`):

* `GET /api/models`: the models discovered for those credentials (otAQ7b, §6.1) under gemgate's public ids.
* `GET /api/quota`: usage and limits (`jSf9Qc` with source-path=/usage, §6.7).
* `GET /api/history`: the saved conversations (`MaZiqc`, pinned then the others, §6.6).
* `GET /api/history/{id}`: one conversation's turns, oldest first (`hNvQHb`, §6.6; `?limit=`, default 20).
* `DELETE /api/history/{id}`: delete it (`GzXR5e`, then `qWymEb`, §6.6).
* `GET /api/research/{id}`: a deep research's state and report (the conversation's newest turn, `hNvQHb`, §6.9).
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from ....http.body import json_response
from ..payload import field, text_at
from ..research import report_of
from ..usage import USAGE_PATH, USAGE_RPC, windows
from .access import KIND, Caller
from .envelope import BridgeError, conversation_id, ok

LIST_CHATS, READ_CHAT, DELETE_CHAT, DELETE_TASKS = "MaZiqc", "hNvQHb", "GzXR5e", "qWymEb"
PINNED, UNPINNED = [13, None, [1, None, 1]], [13, None, [0, None, 1]]  # §6.6
TIERS = {1: "FREE", 2: "PRO", 3: "ULTRA", 4: "PLUS", 6: "ULTRA"}  # §6.7
WINDOWS = {1: "5h", 2: "weekly", 3: "ai_credits"}  # §6.7 item kind
DEFAULT_TURNS, MAX_TURNS = 20, 100


def _upstream(caller: Caller):
    return caller.gateway.upstreams[KIND]


def _time(stamp: object) -> str | None:
    """ISO-8601 UTC of a `[seconds, nanos]` time (the captures' form), else None."""
    seconds = field(stamp, 0)
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _answer(caller: Caller, data: dict) -> Response:
    return json_response(ok(data, caller.rid))


async def models(caller: Caller) -> Response:
    """`data.models`: `[{"id", "displayName", "description"?}]`, the account's public ids."""
    record = await caller.account()
    resources = await _upstream(caller).list_models(record)
    listed = [{"id": r["name"].removeprefix("models/"), "displayName": r.get("displayName"),
               **({"description": r["description"]} if r.get("description") else {})} for r in resources]
    return _answer(caller, {"models": listed})


async def quota(caller: Caller) -> Response:
    """`data`: `{"tier", "limits": [{"window", "remaining", "usedFraction", "resetsAt"}], "overage"}` from
    jSf9Qc's `[tier, items, use_overage]`, item = `[remaining, used_fraction, kind, [[reset_s, nanos]]]` (§6.7)."""
    record = await caller.account()
    payload = await _upstream(caller).rpc(record, USAGE_RPC, [], source_path=USAGE_PATH)
    limits = [{"window": WINDOWS.get(kind, f"kind {kind}"), "remaining": remaining, "usedFraction": used,
               "resetsAt": _time([reset]) if reset is not None else None}
              for kind, remaining, used, reset in windows(payload)]
    tier = field(payload, 0)
    return _answer(caller, {"tier": TIERS.get(tier, tier), "limits": limits, "overage": bool(field(payload, 2))})


async def history(caller: Caller) -> Response:
    """`data.conversations`: `[{"id", "title", "pinned", "updatedAt"}]`, pinned first, from MaZiqc's rows
    `[cid, title, …, [sec, nanos] at 5]` in `payload[2]` (§6.6, list_chats_basic.txt)."""
    record = await caller.account()
    listed = []
    for pinned, request in ((True, PINNED), (False, UNPINNED)):
        listed += conversations_of(await _upstream(caller).rpc(record, LIST_CHATS, request), pinned)
    return _answer(caller, {"conversations": listed})


def conversations_of(payload: object, pinned: bool) -> list[dict]:
    """`[{"id", "title", "pinned", "updatedAt"}]` of a MaZiqc payload's rows (see `history`); rows without an id
    are skipped."""
    return [{"id": text_at(row, 0), "title": text_at(row, 1) or "", "pinned": pinned, "updatedAt": _time(field(row, 5))}
            for row in field(payload, 2) or () if text_at(row, 0)]


def _chat_id(caller: Caller) -> str:
    return conversation_id(caller.request.path_params["cid"], "the path's")


async def conversation(caller: Caller) -> Response:
    """`data`: `{"id", "turns": [{"responseId", "prompt", "choiceId", "text", "createdAt"}]}` oldest first, from
    hNvQHb's turns (newest first: `turn[0][1]` rid, `turn[2][0][0]` the prompt, `turn[3][0][0]` the candidate
    `[rcid, [text]]`, `turn[4]` the time; §6.6, read_chat_basic.txt)."""
    cid = _chat_id(caller)
    raw = caller.request.query_params.get("limit", str(DEFAULT_TURNS))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TURNS:
        raise BridgeError("INVALID_BODY", f"'limit' must be a whole number from 1 to {MAX_TURNS}")
    record = await caller.account()
    payload = await _upstream(caller).rpc(record, READ_CHAT, [cid, int(raw), None, 1, [1], [4], None, 1])
    return _answer(caller, {"id": cid, "turns": turns_of(payload)})


def turns_of(payload: object) -> list[dict]:
    """`[{"responseId", "prompt", "choiceId", "text", "createdAt"}]` oldest first of an hNvQHb payload (see
    `conversation`)."""
    return [{"responseId": text_at(turn, 0, 1), "prompt": text_at(turn, 2, 0, 0), "choiceId": text_at(turn, 3, 0, 0, 0),
             "text": text_at(turn, 3, 0, 0, 1, 0), "createdAt": _time(field(turn, 4))}
            for turn in reversed(field(payload, 0) or [])]


async def delete(caller: Caller) -> Response:
    """`data`: `{"id", "deleted": true}` after GzXR5e `[cid]` and qWymEb `[cid,[1,null,0,1]]` (§6.6)."""
    cid = _chat_id(caller)
    record = await caller.account()
    await _upstream(caller).rpc(record, DELETE_CHAT, [cid])
    await _upstream(caller).rpc(record, DELETE_TASKS, [cid, [1, None, 0, 1]])
    return _answer(caller, {"id": cid, "deleted": True})


async def research(caller: Caller) -> Response:
    """`data`: `{"id", "status": "running"|"done", "title", "report"}` from the conversation's newest turn
    (`research.report_of`); poll until "done"."""
    cid = _chat_id(caller)
    record = await caller.account()
    payload = await _upstream(caller).rpc(record, READ_CHAT, [cid, 1, None, 1, [1], [4], None, 1])
    return _answer(caller, {"id": cid, **report_of(payload)})
