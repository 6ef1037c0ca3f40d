"""Cumulative StreamGenerate snapshots → incremental Gemini response chunks.

Every `wrb.fr` frame carries the whole answer so far (reference/gemini-web-protocol.md §3.5); this keeps what
was sent and yields only what is new: thought deltas as `{"text", "thought": true}` parts, text deltas as text
parts, and on the completion flag (`cand[8][0] == 2`) a closing chunk with finishReason STOP carrying the
images (as Markdown links: the web app gives URLs, not bytes) and the citations (as groundingMetadata).
Conversation ids and the context token are kept for continuing the conversation.
"""

from __future__ import annotations

import logging

from ...errors import Failure, UpstreamError
from .candidate import Candidate, is_canned, may_be_canned, read_candidate, shown_text
from .errors import frame_error, in_band_error
from .payload import er_status, error_code, field, payload_of, text_at, wrb_parts

log = logging.getLogger("gemgate.web")
NOT_PERSISTED = 1096
# A part with neither payload nor error code (`part[5]` a non-empty list) means "queueing" to 2.1.1 (§3.6): it
# is waited through; a body that then ends without an answer is a failure (`end`).


def _chunk(parts: list[dict], **candidate) -> dict:
    cand: dict = {"index": 0, **candidate}
    if parts:
        cand["content"] = {"role": "model", "parts": parts}
    return {"candidates": [cand]}


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class Snapshots:
    """Turns the frames of one StreamGenerate answer into Gemini chunks (`feed`), then says whether it ended
    well (`end`). Raises UpstreamError for an in-band error (§4.1) and for an unreadable payload."""

    def __init__(self, label: str, settings) -> None:
        self.label = label
        self.settings = settings  # GeminiWebSettings: the cooldowns of in-band errors
        self.cid: str | None = None
        self.rid: str | None = None
        self.rcid: str | None = None
        self.context: str | None = None  # payload[25]: sent back to continue the conversation (§3.7)
        self.model_name: str | None = None  # payload[42]: the model that really answered, e.g. "3.6 Flash"
        self.sent_text = ""
        self.sent_thoughts = ""
        self.finished = False
        self.last: Candidate | None = None

    def feed(self, frame: object) -> list[dict]:
        """The chunks one frame adds (often none: metadata frames, `di`/`e` trailers)."""
        out: list[dict] = []
        status = er_status(frame)
        if status is not None and not self.finished:
            raise frame_error(status, self.label)
        for part in wrb_parts(frame):
            code = error_code(part)
            if code == NOT_PERSISTED or (code is not None and self.finished):
                # 1096 "conversation not persisted" ends normal temporary answers (zexadev, §4.1); an error after
                # the completion flag cannot undo a whole answer.
                log.debug("%s: error %s after the answer, ignored", self.label, code)
                continue
            if code is not None:
                raise in_band_error(code, self.label, self.settings)
            try:
                payload = payload_of(part)
            except ValueError:
                raise UpstreamError(Failure.MALFORMED, f"{self.label} sent an unreadable payload") from None
            if payload is not None:
                out.extend(self._payload(payload))
        return out

    def _payload(self, payload: object) -> list[dict]:
        ids = field(payload, 1)
        self.cid = text_at(ids, 0) or self.cid
        self.rid = text_at(ids, 1) or self.rid
        self.context = text_at(payload, 25) or self.context
        self.model_name = text_at(payload, 42) or self.model_name
        candidates = field(payload, 4)
        if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], list):
            return []
        if self.finished:
            return []  # a later snapshot of a finished answer (follow-up metadata) adds nothing
        cand = read_candidate(candidates[0])
        self.last = cand
        self.rcid = cand.rcid or self.rcid
        return self._deltas(cand)

    def _parts(self, cand: Candidate) -> list[dict]:
        """The new thought and text parts of a snapshot."""
        parts = []
        thoughts = self._delta("thoughts", cand.thoughts)
        if thoughts:
            parts.append({"text": thoughts, "thought": True})
        shown = shown_text(cand.text, cand.complete)
        if cand.complete and (is_canned(shown) or not (shown or self.sent_text or cand.images)):
            # also when the app replaced text already sent by it (what left cannot be taken back: the caller
            # gets an error after it, not the canned text appended), and an answer that ends holding nothing
            what = "its canned failure text" if shown else "no text"
            raise UpstreamError(Failure.TRANSIENT, f"{self.label} answered with {what}")
        if not self.sent_text and not cand.complete and may_be_canned(shown):
            shown = ""  # held back until it is clearly not the canned failure text
        text = self._delta("text", shown)
        if text:
            parts.append({"text": text})
        return parts

    def _deltas(self, cand: Candidate) -> list[dict]:
        parts = self._parts(cand)
        if cand.complete:
            return [self._closing(parts, cand)]
        return [_chunk(parts)] if parts else []

    def _delta(self, which: str, now: str) -> str:
        sent = getattr(self, f"sent_{which}")
        if now.startswith(sent):
            setattr(self, f"sent_{which}", now)
            return now[len(sent):]
        if sent.startswith(now):
            return ""  # a shorter snapshot (a provisional ending taken back): wait for it to grow again
        # The app rewrote what it had sent (rare: escaped Markdown re-rendered). What left cannot be taken back.
        keep = _common_prefix(sent, now)
        log.info("%s rewrote %d characters of its %s already sent", self.label, len(sent) - keep, which)
        setattr(self, f"sent_{which}", now)
        return now[keep:]

    def _closing(self, parts: list[dict], cand: Candidate) -> dict:
        self.finished = True
        images = "".join(f"\n\n![{i['alt']}]({i['url']})" for i in cand.images)
        if images:
            parts.append({"text": images if self.sent_text else images.lstrip("\n")})
        extra = {}
        grounding = grounding_metadata(self.sent_text, cand.citations)
        if grounding:
            extra["groundingMetadata"] = grounding
        return _chunk(parts, finishReason="STOP", **extra)

    def end(self) -> list[dict]:
        """The closing chunk when the body ended with a complete answer that lacked the completion flag but
        carried the context token (the "saved to history" sign, §3.6); raises UpstreamError (TRANSIENT) for a
        body that ended before the answer did, or held none."""
        if self.finished:
            return []
        if self.context and self.last is not None:
            return self._deltas(Candidate(**{**self.last.__dict__, "complete": True}))
        if self.last is None:
            raise UpstreamError(Failure.TRANSIENT, f"{self.label} answered without a candidate")
        raise UpstreamError(Failure.TRANSIENT, f"{self.label}: the answer ended before the model finished")


def grounding_metadata(answer: str, citations: list[tuple[str, list[dict]]]) -> dict | None:
    """Gemini groundingMetadata for the web app's citation groups: one groundingChunk per distinct URL, and a
    groundingSupport per group whose marker (" [cite: 1, 2]") is found in the answer, over the text between
    the previous marker and it (UTF-8 byte offsets, as Gemini gives them)."""
    if not citations:
        return None
    chunks: list[dict] = []
    index: dict[str, int] = {}
    supports = []
    searched = 0
    for marker, sources in citations:
        ids = []
        for source in sources:
            if source["uri"] not in index:
                index[source["uri"]] = len(chunks)
                chunks.append({"web": {"uri": source["uri"], "title": source["title"]}})
            ids.append(index[source["uri"]])
        at = answer.find(marker, searched) if marker else -1
        if at >= 0:
            segment = answer[searched:at].strip()
            start = answer.find(segment, searched) if segment else at
            supports.append({
                "segment": {"startIndex": len(answer[:start].encode()), "endIndex": len(answer[:start + len(segment)].encode()),
                            "text": segment},
                "groundingChunkIndices": ids,
            })
            searched = at + len(marker)
    out = {"groundingChunks": chunks}
    if supports:
        out["groundingSupports"] = supports
    return out
