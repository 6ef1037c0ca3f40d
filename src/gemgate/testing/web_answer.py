"""A fake model Reply as the web app's cumulative StreamGenerate frames (reference/gemini-web-protocol.md §3.5,
§3.6; the frame order of the recorded deep-research answer: a metadata frame, candidate frames with the
completion flag [1] then [2], a title frame, the context token in sparse form, then the trailer)."""

from __future__ import annotations

import re
from typing import Any

from gemgate.testing.fake_model import Reply
from gemgate.testing.web_wire import error_part, stream_part

CANDIDATE_SLOTS = 38
GENERATING, COMPLETE = 1, 2
_WEB_ERROR = re.compile(r"^[ \t]*WEB-ERROR[ \t]+(\d+)[ \t]*$", re.M)
_WEB_HTTP = re.compile(r"^[ \t]*WEB-HTTP[ \t]+(\d{3})[ \t]*$", re.M)
_SORRY = re.compile(r"^[ \t]*SORRY[ \t]*$", re.M)
_CANNED = re.compile(r"^[ \t]*WEB-CANNED(?:[ \t]+([1-4]))?[ \t]*$", re.M)
_ER = re.compile(r"^[ \t]*WEB-ER[ \t]+(\d{3})[ \t]*$", re.M)
# The failure texts the app answers with inside a normal 200 candidate (reference §4.1; the four known ones are
# listed by Mag1cFall/Gemini-Web2API docs/protocol.md §4 and internal/gemini/failure_text.go).
CANNED_TEXTS = (
    "Sorry, something went wrong. Please try your request again.",
    "I encountered an error doing what you asked. Could you try again?",
    "I seem to be encountering an error. Can I try something else for you?",
    "I'm having a hard time fulfilling your request. Can I help you with something else instead?",
)
# The fake model's FAIL statuses as the web app says them (§4.1): a quota (429) is the usage limit 1037, a
# missing model (404) 1052, a bad request (400) 1050 (model inconsistent), anything else the transient 1013.
FAIL_CODES = {429: 1037, 404: 1052, 400: 1050}
TRANSIENT = 1013


def web_directive(prompt: str) -> tuple[str, int] | None:
    """The fake's own directives, in any line of the prompt: `WEB-ERROR <code>` (that BardErrorInfo code in a
    200 answer), `WEB-HTTP <status>` (that HTTP status), `SORRY` (a 302 to Google's sorry page),
    `WEB-CANNED [n]` (a complete answer whose text is the n-th (default 1st) of CANNED_TEXTS), `WEB-ER <status>`
    (a 200 body whose only frame is the in-band `["er",null,null,null,null,<status>,null,null,null,3]` error of
    reference §4.1, Mag1cFall decoder_test.go)."""
    if m := _WEB_ERROR.search(prompt):
        return "error", int(m.group(1))
    if m := _WEB_HTTP.search(prompt):
        return "http", int(m.group(1))
    if _SORRY.search(prompt):
        return "sorry", 302
    if m := _CANNED.search(prompt):
        return "canned", int(m.group(1) or 1)
    if m := _ER.search(prompt):
        return "er", int(m.group(1))
    return None


def candidate(rcid: str, text: str, thoughts: str, flag: int, rich: list | None = None) -> list:
    """A candidate array: rcid [0], [text] [1], completion [8], language [9], rich content [12], thoughts [37]
    (positional, as the captures carry candidates)."""
    cand: list[Any] = [None] * CANDIDATE_SLOTS
    cand[0], cand[1], cand[8], cand[9] = rcid, [text], [flag], "en"
    if rich is not None:
        cand[12] = rich
    if thoughts:
        cand[37] = [[thoughts]]
    return cand


def citations(uris: list[str]) -> tuple[str, list]:
    """The marker the answer text ends with and the rich content block citing `uris`: field 43 (sparse key "44")
    holding one group `[[marker], [entries]]`, each entry's [3][0] = [favicon, url, title] (2.1.1
    utils/citation.py, reference §3.6)."""
    marker = " [cite: " + ", ".join(str(i + 1) for i in range(len(uris))) + "]"
    entries = [[None, None, None, [["https://www.google.com/s2/favicons?domain=x", uri, f"Source {i + 1}"]]]
               for i, uri in enumerate(uris)]
    return marker, [None, None, None, None, None, None, None, [], {"44": [[[marker], entries]]}]


class Conversation:
    """The ids of one answer: conversation, response, candidate, the context token and the model's hex id."""

    def __init__(self, cid: str, rid: str, rcid: str, context: str, model_hex: str | None, display: str | None):
        self.cid, self.rid, self.rcid, self.context = cid, rid, rcid, context
        self.model_hex, self.display = model_hex, display

    def snapshot(self, text: str, thoughts: str, flag: int, rich: list | None = None) -> list:
        """`[null, [cid, rid], null, null, [candidate], …]`; the model actually used at [39]/[42] (§3.6)."""
        payload: list[Any] = [None] * 43
        payload[1] = [self.cid, self.rid]
        payload[4] = [candidate(self.rcid, text, thoughts, flag, rich)]
        payload[39], payload[42] = self.model_hex, self.display
        return [stream_part(payload)]

    def head(self) -> list:
        """The first frame: the response id and a control token in sparse form (`{"18", "21", "44"}`)."""
        return [stream_part([None, [None, self.rid], {"18": self.rid, "21": ["fake-control-token"], "44": False}])]

    def tail(self, title: str) -> list[list]:
        """After completion: the title (`"11"`) and the context token (`"26"`), both sparse."""
        ids = [self.cid, self.rid]
        return [[stream_part([None, ids, {"11": [title], "44": False}])],
                [stream_part([None, ids, {"26": self.context, "44": False}])]]


def answer_frames(reply: Reply, conv: Conversation, title: str, rich: list | None = None) -> tuple[list[list], int]:
    """Every frame of the answer, and how many lead up to completion (the candidate frames' count, with the
    head): frames past that index are the completion and the tail. One snapshot per fake-model chunk; the fake
    model's citation sources (`CITE <uri>`) become the web app's citation block on the last one, or `rich` (a
    deep-research plan) is its rich content."""
    frames = [conv.head()]
    text = thoughts = ""
    chunks = reply.chunks or []
    for i, chunk in enumerate(chunks):
        for part in chunk.parts:
            if isinstance(part.get("text"), str):
                if part.get("thought"):
                    thoughts += part["text"]
                else:
                    text += part["text"]
        last = i == len(chunks) - 1
        sources = (chunk.fields.get("citationMetadata") or {}).get("citationSources") if last else None
        block = rich if last else None
        if sources:
            marker, block = citations([s["uri"] for s in sources])
            text += marker
        frames.append(conv.snapshot(text, thoughts, COMPLETE if last else GENERATING, block))
    return frames + conv.tail(title), len(frames) - 1


def er_frames(status: int) -> list[list]:
    """An answer that is one in-band protocol error frame (reference §4.1)."""
    return [[["er", None, None, None, None, status, None, None, None, 3]]]


def error_frames(code: int) -> list[list]:
    """An answer that is one error part (Appendix A "Error variant")."""
    return [[error_part(code)]]
