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
    """The length of `text` in UTF-16 code units (characters beyond the BMP count twice)."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


class FrameReader:
    """Feed decoded text as it arrives; get back each complete frame's JSON value (a list) once.

    Raises FramingError for text that cannot be frames (`close` also for a frame cut off at the end).
    """

    def __init__(self) -> None:
        self._buf = ""
        self._guarded = False

    def feed(self, text: str) -> list:
        """The frames completed by `text`."""
        self._buf += text
        return self._frames(final=False)

    def close(self) -> list:
        """The frames left at the end of the body; raises FramingError when something unreadable is left."""
        return self._frames(final=True)

    def _frames(self, final: bool) -> list:
        out = []
        buf = self._buf
        pos = 0
        if not self._guarded:
            start = len(buf) - len(buf.lstrip(_SPACE))
            if len(buf) - start < len(XSSI_GUARD) and not final:
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
                if not final and utf16_units(buf[newline:newline + int(digits)]) < int(digits):
                    break  # the frame is not all here yet
                start = newline + 1
            else:
                start = pos  # an un-prefixed body (batchexecute, or StreamGenerate before rt=c)
            try:
                value, end = _decoder.raw_decode(buf, start)
            except json.JSONDecodeError:
                if final:
                    raise FramingError("a frame is not complete JSON") from None
                break  # a prefix shorter than its frame: wait for more
            out.append(value)
            pos = end
        self._buf = buf[pos:]
        return out


def read_frames(body: str) -> list:
    """Every frame of a whole body (see FrameReader)."""
    reader = FrameReader()
    return reader.feed(body) + reader.close()
