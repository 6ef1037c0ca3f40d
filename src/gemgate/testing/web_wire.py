"""The fake gemini.google.com's answer bytes, written from reference/gemini-web-protocol.md on its own (no code
shared with the gateway's web upstream).

§3.5: the body is `)]}'` + `\\n\\n`, then frames `<N>\\n<JSON>\\n` with N the UTF-16 code units of
`"\\n" + JSON + "\\n"`; the captured `e` trailer is `[["e", frames + 1, null, null, total length]]` (an
inference from three samples, uncertain). §3.6: a `wrb.fr` part carries its payload as a JSON string in [2];
an error part is `["wrb.fr",null,null,null,null,[8,null,[[BardErrorInfo,[code]]]]]` (Appendix A).
"""

from __future__ import annotations

import json
from typing import Any

GUARD = ")]}'\n\n"
BARD_ERROR_INFO = "type.googleapis.com/assistant.boq.bard.application.BardErrorInfo"


def dumps(value: Any) -> str:
    """Compact JSON as Google writes it (no spaces, non-ASCII kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def units(text: str) -> int:
    """UTF-16 code units: characters past U+FFFF are surrogate pairs."""
    return len(text.encode("utf-16-le")) // 2


def frame(value: Any) -> str:
    """One length-prefixed frame."""
    text = dumps(value)
    return f"{units(chr(10) + text + chr(10))}\n{text}\n"


def stream_part(payload: Any) -> list:
    """A StreamGenerate part: `["wrb.fr", null, "<payload>"]`."""
    return ["wrb.fr", None, dumps(payload)]


def rpc_part(rpc: str, payload: Any, identifier: str = "generic") -> list:
    """A batchexecute result: `["wrb.fr", rpc, "<payload>", null, null, [0], identifier]`, as the recorded
    MaZiqc / hNvQHb answers carry it (§6.8 writes null at [5]; the captures have [0] there)."""
    return ["wrb.fr", rpc, dumps(payload), None, None, [0], identifier]


def error_part(code: int, rpc: str | None = None) -> list:
    """A part carrying BardErrorInfo `code` (§4.1; 8 = RESOURCE_EXHAUSTED as in Appendix A)."""
    return ["wrb.fr", rpc, None, None, None, [8, None, [[BARD_ERROR_INFO, [code]]]]]


def trailer_frames() -> list[list]:
    """The `di` / `af.httprm` frame that closes a body (§3.5 "Typical frames")."""
    return [[["di", 94], ["af.httprm", 93, "-4352845912203473040", 31]]]


def body_pieces(frames: list[list]) -> list[str]:
    """The whole body as pieces to write (the guard with the first frame, then one frame per piece, then the
    trailer frames and the `e` frame whose last field is the body's total length)."""
    pieces = [frame(f) for f in frames + trailer_frames()]
    pieces[0] = GUARD + pieces[0]
    count = len(frames) + 2
    so_far = sum(len(p) for p in pieces)
    # The total includes the e frame itself; its own length depends on the digits of the total.
    for guess in range(so_far, so_far + 64):
        last = frame([["e", count, None, None, guess]])
        if so_far + len(last) == guess:
            break
    return pieces + [last]
