"""The fake gemini.google.com's saved chats and usage: what the batchexecute RPCs of reference/gemini-web-protocol.md
§6.6 (chats) and §6.7 (usage) answer, shaped as the recorded answers (Leechael/gemini-web-cli testdata
`list_chats_basic.txt`, `read_chat_basic.txt`). Written from the reference on its own (no gateway code).

Strict like Google is assumed to be: a payload not shaped as the reference gives it is refused (HTTP 400), and
`jSf9Qc` must come with `source-path=/usage` (§6.7).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from gemgate.testing.web_research import Research

LIST_CHATS, READ_CHAT, DELETE_CHAT, DELETE_TASKS, USAGE = "MaZiqc", "hNvQHb", "GzXR5e", "qWymEb", "jSf9Qc"
HISTORY_RPCS = frozenset({LIST_CHATS, READ_CHAT, DELETE_CHAT, DELETE_TASKS, USAGE})
FREE, PRO = 1, 2  # §6.7 tiers (1 FREE, 2 PRO, 3/6 ULTRA, 4 PLUS)
FIVE_HOURS, WEEKLY = 1, 2  # §6.7 item kinds


class Refused(ValueError):
    """A payload the reference does not give for that RPC (answered with HTTP 400)."""


@dataclass
class Turn:
    """One saved exchange: response id, the user's text, candidate id, the answer's text, epoch seconds."""

    rid: str
    prompt: str
    rcid: str
    text: str
    at: int


@dataclass
class Chat:
    """A saved (non-temporary) conversation: `title` (the first prompt's start), `pinned`, its turns (oldest
    first), its deep research."""

    cid: str
    title: str
    pinned: bool = False
    turns: list[Turn] = field(default_factory=list)
    research: Research | None = None  # its deep research (web_research), if any


@dataclass
class Usage:
    """`jSf9Qc`'s answer (§6.7): the tier, and per window (FIVE_HOURS, WEEKLY) (remaining, used fraction,
    reset epoch seconds)."""

    tier: int = FREE
    windows: dict[int, tuple[int, float, int]] = field(
        default_factory=lambda: {FIVE_HOURS: (40, 0.2, int(time.time()) + 3600),
                                 WEEKLY: (400, 0.05, int(time.time()) + 5 * 86400)})
    overage: bool = False


def _stamp(seconds: int) -> list:
    return [seconds, 0]  # [sec, nanos] as the captures give times


def _cid(payload: object, shape: str) -> str:
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], str) or not payload[0]:
        raise Refused(f"payload is not {shape}")
    return payload[0]


def answer(rpc: str, payload: object, chats: dict[str, Chat], usage: Usage, source_path: str | None) -> object:
    """The payload (before JSON encoding) the RPC answers for one account's `chats` and `usage`; it deletes a
    chat for GzXR5e. Raises Refused for a payload shaped unlike the reference's, KeyError for an unknown chat."""
    if rpc == LIST_CHATS:  # §6.6: [13, null, [1|0, null, 1]] (pinned | unpinned)
        if not (isinstance(payload, list) and len(payload) == 3 and payload[0] == 13 and payload[1] is None
                and isinstance(payload[2], list) and len(payload[2]) == 3 and payload[2][0] in (0, 1)):
            raise Refused("payload is not [13,null,[1|0,null,1]]")
        pinned = payload[2][0] == 1
        rows = [[c.cid, c.title, None, None, None, _stamp(c.turns[-1].at), None, None, None, 1]
                for c in reversed(list(chats.values())) if c.pinned == pinned and c.turns]
        return [None, "next_cursor" if rows else None, rows]  # list_chats_basic.txt: [null, cursor, rows]
    if rpc == READ_CHAT:  # §6.6: [cid, limit, null, 1, [1], [4], null, 1]
        cid = _cid(payload, "[cid, limit, null, 1, [1], [4], null, 1]")
        if len(payload) != 8 or not isinstance(payload[1], int) or payload[3:6] != [1, [1], [4]]:
            raise Refused("payload is not [cid, limit, null, 1, [1], [4], null, 1]")
        chat = chats[cid]
        turns = list(reversed(chat.turns))[: payload[1]]  # newest first (§6.6)
        out = [[[cid, t.rid], None, [[t.prompt]], [[[t.rcid, [t.text]]]], _stamp(t.at)] for t in turns]
        document = chat.research.document() if chat.research is not None and out else None
        if document is not None:  # the research report at cand[30] of the newest turn's candidate (§3.6, §6.9)
            cand = out[0][3][0][0]
            cand.extend([None] * (31 - len(cand)))
            cand[30] = document
        return [out]
    if rpc == DELETE_CHAT:  # §6.6: [cid]
        cid = _cid(payload, "[cid]")
        if len(payload) != 1:
            raise Refused("payload is not [cid]")
        del chats[cid]
        return []
    if rpc == DELETE_TASKS:  # §6.6: [cid, [1, null, 0, 1]] after GzXR5e
        _cid(payload, "[cid,[1,null,0,1]]")
        if len(payload) != 2 or payload[1] != [1, None, 0, 1]:
            raise Refused("payload is not [cid,[1,null,0,1]]")
        return []
    if rpc == USAGE:  # §6.7: with source-path=/usage; [tier, items, use_overage]
        if source_path != "/usage":
            raise Refused("jSf9Qc is called with source-path=/usage")
        items = [[left, used, kind, [_stamp(reset)]] for kind, (left, used, reset) in usage.windows.items()]
        return [usage.tier, items, usage.overage]
    raise Refused(f"no such rpc {rpc}")
