"""The `rt=c` response framing of gemini.google.com (StreamGenerate and batchexecute), read incrementally.

reference/gemini-web-protocol.md §3.5: the body is `)]}'` and a blank line, then frames `<N>\\n<JSON>\\n` where N
counts the UTF-16 code units of `"\\n" + JSON + "\\n"`. The prefix says when a frame is complete; the JSON value
itself (decoded with `raw_decode`) says where it ends, so bodies whose prefixes no longer match their bytes
(captures re-serialized with ", ", §8) are still read. batchexecute may also answer without prefixes (§6.8).
"""

from __future__ import annotations

import json

XSSI_GUARD = ")]}'"
_decoder = json.JSONDecoder()
_SPACE = " \t\r\n"


class FramingError(ValueError):
    """A body that is not length-prefixed frames of JSON."""


def utf16_units(text: str) -> int:
    """The length of `text` in UTF-16 code units (characters beyond the BMP count twice; a lone surrogate once)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class FrameReader:
    """Feed decoded text as it arrives; get back each complete frame's JSON value (a list) once.

    A hostile or broken server cannot make reading cost more than linear time or hold more than `limit`
    characters of one unfinished frame: the text is joined and parsed again only once enough has arrived to
    possibly finish the frame (half the UTF-16 units its prefix still asks for; for a frame whose prefix
    lies or that has none, twice what was there at the last try). Raises FramingError for text that cannot
    be frames, a frame over `limit` characters, or JSON nested deeper than the interpreter can decode
    (`close` also for a frame cut off at the end).
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self._buf = ""
        self._pieces: list[str] = []  # fed after the last parse, not yet joined to _buf
        self._size = 0  # characters in _buf and _pieces
        self._wait = 0  # no parse before _size reaches this
        self._guarded = False

    def feed(self, text: str) -> list:
        """The frames completed by `text`."""
        self._pieces.append(text)
        self._size += len(text)
        if self._size < self._wait:
            if self.limit is not None and self._size > self.limit:
                raise FramingError(f"a frame is larger than {self.limit} characters")
            return []
        return self._frames(final=False)

    def close(self) -> list:
        """The frames left at the end of the body; raises FramingError when something unreadable is left."""
        return self._frames(final=True)

    def _frames(self, final: bool) -> list:
        out = []
        buf = self._buf = self._buf + "".join(self._pieces)
        self._pieces.clear()
        pos = 0
        wait = 1  # characters past the end of buf that a next try needs
        if not self._guarded:
            start = len(buf) - len(buf.lstrip(_SPACE))
            if len(buf) - start < len(XSSI_GUARD) and not final:
                self._wait = len(buf) + 1
                return out
            if buf.startswith(XSSI_GUARD, start):
                pos = start + len(XSSI_GUARD)
            self._guarded = True
        while True:
            while pos < len(buf) and buf[pos] in _SPACE:
                pos += 1
            if pos >= len(buf):
                break
            if buf[pos].isdigit():
                newline = buf.find("\n", pos)
                if newline < 0:
                    if final:
                        raise FramingError("the body ends inside a length prefix")
                    break
                digits = buf[pos:newline].strip()
                if not digits.isdigit():
                    raise FramingError("a frame's length prefix is not a number")
                need = int(digits)
                have = utf16_units(buf[newline:newline + need]) if len(buf) - newline < need else need
                if not final and have < need:
                    wait = max(1, (need - have) // 2)  # the frame is not all here yet
                    break
                start = newline + 1
            else:
                start = pos  # an un-prefixed body (batchexecute, or StreamGenerate before rt=c)
            try:
                value, end = _decoder.raw_decode(buf, start)
            except RecursionError:
                raise FramingError("a frame nests its JSON too deeply") from None
            except json.JSONDecodeError:
                if final:
                    raise FramingError("a frame is not complete JSON") from None
                wait = max(1, len(buf) - pos)  # a prefix shorter than its frame, or none: wait for as much again
                break
            out.append(value)
            pos = end
        self._buf = buf[pos:]
        self._size = len(self._buf)
        self._wait = self._size + wait
        if self.limit is not None and self._size > self.limit:
            raise FramingError(f"a frame is larger than {self.limit} characters")
        return out


def read_frames(body: str) -> list:
    """Every frame of a whole body (see FrameReader)."""
    reader = FrameReader()
    return reader.feed(body) + reader.close()
