"""Stop sequences matched by the gateway in a stream of Gemini response chunks.

Google applies `generationConfig.stopSequences` itself ("If specified, the API will stop at the first
appearance of a stop_sequence. The stop sequence will not be included as part of the response.",
ai.google.dev/api/generate-content#GenerationConfig) but reports the stop as a plain finishReason STOP
("Natural stop point of the model or provided stop sequence", #FinishReason), so which sequence stopped
the answer is lost; and the gemini-web app has no such field at all. A `StopCut` finds the sequences in the
streamed answer text itself, cuts there, and is the reason the gateway stops reading the upstream.

What counts: only answer text. Thought parts are not matched, because Google's stop sequences end the
*output* ("stop output generation", GenerationConfig): the reference says nothing of thoughts, and every
thought summary we have (fixtures gemini-api google-reasoning*.chunks.txt) is separate from the answer text
the sequences apply to. A non-text part (a function call, inline data) breaks a match: text held before it
is released in front of it.

Which match: the first sequence to be complete as the text grows, as a generating model would meet it
(its end earliest; of two ending together, the longer). The sequence and what follows are dropped.
"""

from __future__ import annotations

from .parts import parts_of

# The candidate field a reporting cut (`StopCut(report=True)`) adds next to finishReason STOP: the sequence
# that matched. Not a Gemini field: only a dialect that asked for it (Anthropic's stop_sequence) reads it.
MATCHED = "gemgateStopSequence"


class StopMatcher:
    """One text stream against up to a few stop sequences (empty ones ignored). `feed(text)` returns the text
    that can be released now and the sequence matched (None: none yet); after a match everything is dropped.
    `release()` returns the text held back (a suffix that could start a match) when the text ends."""

    __slots__ = ("stops", "held", "matched", "_prefixes", "_longest")

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = tuple(s for s in stops if s)
        self.held = ""
        self.matched: str | None = None
        # Every proper prefix of a sequence, once: `_partial` then asks a set per suffix length.
        self._prefixes = frozenset(s[:i] for s in self.stops for i in range(1, len(s)))
        self._longest = max((len(s) for s in self.stops), default=1) - 1

    def feed(self, text: str) -> tuple[str, str | None]:
        """(text to release, the sequence matched in it or None)."""
        if self.matched is not None:
            return "", self.matched
        buf = self.held + text
        best: tuple[int, int, str] | None = None  # (end, -length, sequence)
        for stop in self.stops:
            at = buf.find(stop)
            if at >= 0 and (best is None or (at + len(stop), -len(stop)) < best[:2]):
                best = (at + len(stop), -len(stop), stop)
        if best is not None:
            self.held, self.matched = "", best[2]
            return buf[: best[0] + best[1]], best[2]
        keep = self._partial(buf)
        self.held = buf[len(buf) - keep:] if keep else ""
        return buf[: len(buf) - keep], None

    def _partial(self, buf: str) -> int:
        """Length of the longest suffix of `buf` that is a proper prefix of a stop sequence."""
        for size in range(min(len(buf), self._longest), 0, -1):
            if buf[-size:] in self._prefixes:
                return size
        return 0

    def release(self) -> str:
        """The held text, given up when the answer ends (or a non-text part comes) without a match."""
        held, self.held = self.held, ""
        return held


class StopCut:
    """The chunk hook (`dialects.base.ChunkCut`) for stop sequences: one per attempt (its state is that
    generation's). `stops` are the request's sequences, `candidates` how many candidates the request asked
    (candidateCount): reading stops when every one of them matched. `report`: mark the matched candidate with
    `MATCHED`.

    Call it on each chunk: (the chunk with matched and held text taken out, whether to stop reading). A
    candidate that matches ends there with finishReason STOP; its later parts are dropped. Text held at a
    chunk boundary comes out with the next chunk, or in the chunk with the candidate's finishReason, or from
    `end()` when the stream ends without one.
    """

    __slots__ = ("stops", "candidates", "report", "matchers", "done")

    def __init__(self, stops: tuple[str, ...], candidates: int = 1, report: bool = False) -> None:
        self.stops = stops
        self.candidates = max(1, candidates)
        self.report = report
        self.matchers: dict[int, StopMatcher] = {}
        self.done: set[int] = set()  # candidates that matched

    def __call__(self, chunk: dict) -> tuple[dict, bool]:
        """(the chunk as the client gets it, whether the upstream should be read no further)."""
        cands = chunk.get("candidates")
        if not cands:
            return chunk, False
        out = [self._candidate(cand) for cand in cands]
        stop = len(self.done) >= self.candidates
        return {**chunk, "candidates": [c for c in out if c is not None]}, stop

    def _candidate(self, cand: dict) -> dict | None:
        """One candidate with its parts cut; None when it already matched (nothing more of it is sent)."""
        idx = cand.get("index", 0)
        if idx in self.done:
            return None
        matcher = self.matchers.get(idx)
        if matcher is None:
            matcher = self.matchers[idx] = StopMatcher(self.stops)
        parts: list[dict] = []
        for part in parts_of(cand):
            text = part.get("text")
            if part.get("thought"):
                parts.append(part)  # not matched, and not a break in the answer text either
                continue
            if not isinstance(text, str):
                held = matcher.release()
                if held:
                    parts.append({"text": held})
                parts.append(part)
                continue
            kept, matched = matcher.feed(text)
            if kept or "thoughtSignature" in part:
                parts.append({**part, "text": kept})
            if matched is not None:
                self.done.add(idx)
                cut = {k: v for k, v in cand.items() if k not in ("content", "finishMessage")}
                cut["content"] = {**(cand.get("content") or {}), "parts": parts}
                cut["finishReason"] = "STOP"
                if self.report:
                    cut[MATCHED] = matched
                return cut
        if cand.get("finishReason"):
            held = matcher.release()
            if held:
                parts.append({"text": held})
        if "content" not in cand and not parts:
            return cand
        return {**cand, "content": {"role": "model", **(cand.get("content") or {}), "parts": parts}}

    def end(self) -> dict | None:
        """A last chunk with the text still held when the upstream ended without a finishReason; None if none."""
        cands = []
        for idx, matcher in sorted(self.matchers.items()):
            held = matcher.release()
            if held:
                cands.append({"content": {"parts": [{"text": held}], "role": "model"}, "index": idx})
        return {"candidates": cands} if cands else None


def stop_sequences(request: dict) -> tuple[str, ...]:
    """The request's generationConfig.stopSequences (strings only, empty ones left out)."""
    stops = (request.get("generationConfig") or {}).get("stopSequences") or ()
    return tuple(s for s in stops if isinstance(s, str) and s)


def reporting_cut(stops: tuple[str, ...], native: bool) -> StopCut:
    """The cut of a dialect that names the matched sequence (Anthropic's stop_sequence) and so keeps its
    `stops` from Google, which would stop there itself and report only STOP (module docstring): the gateway
    alone matches them, on every kind (`native` does not matter). The model generates until the gateway sees
    the match and closes the upstream: at most the rest of the chunk that completed it. One candidate."""
    return StopCut(stops, 1, True)


def stop_cut(request: dict, report: bool, native: bool) -> StopCut | None:
    """The cut one attempt needs for `request`'s stop sequences: None when it has none, or when the serving
    kind applies them itself (`native`) and the dialect does not `report` which one matched."""
    stops = stop_sequences(request)
    if not stops or (native and not report):
        return None
    count = (request.get("generationConfig") or {}).get("candidateCount")
    return StopCut(stops, count if isinstance(count, int) else 1, report)
