"""Reading the web app's JSPB-style arrays (reference/gemini-web-protocol.md §3.5-§3.6).

Fields come positionally (field at its index) or in sparse form: a dict in the message's last slot whose keys
are index + 1 as strings (`"26"` is index 25, the context token). `field` reads both.
"""

from __future__ import annotations

import json
import re

# part[5][2][0][0]: the error detail's type; part[5][2][0][1][0]: the code (§3.6, §4.1)
BARD_ERROR_INFO = "type.googleapis.com/assistant.boq.bard.application.BardErrorInfo"


def field(message: object, index: int) -> object:
    """Field `index` of a JSPB message (a list): its slot, else the sparse dict's key `index + 1`; None when absent."""
    if not isinstance(message, list):
        return None
    if index < len(message) and message[index] is not None and not (
        index == len(message) - 1 and isinstance(message[index], dict)
    ):
        return message[index]
    if message and isinstance(message[-1], dict):
        return message[-1].get(str(index + 1))
    return None


def path(value: object, *steps: int) -> object:
    """`value[s0][s1]…` through `field` at every step; None where the path breaks."""
    for step in steps:
        value = field(value, step)
        if value is None:
            return None
    return value


def text_at(value: object, *steps: int) -> str | None:
    """The string at that path, or None."""
    found = path(value, *steps)
    return found if isinstance(found, str) else None


def error_code(part: list) -> int | None:
    """The BardErrorInfo code of a `wrb.fr` part (`part[5][2][0][1][0]`, §4.1), or None when it carries none."""
    code = path(part, 5, 2, 0, 1, 0)
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def er_status(frame: object) -> int | None:
    """The status of an `["er", …]` item of a frame (its [5], reference §4.1), or None when it has none."""
    for item in frame if isinstance(frame, list) else ():
        if isinstance(item, list) and item and item[0] == "er":
            status = item[5] if len(item) > 5 else None
            return status if isinstance(status, int) and not isinstance(status, bool) else 0
    return None


def wrb_parts(frame: object, depth: int = 2) -> list[list]:
    """The `["wrb.fr", …]` parts of one frame (batchexecute may nest them one level deeper, as the o30O0e
    capture shows; no deeper is looked at, so a frame nested a thousand levels costs no recursion)."""
    out: list[list] = []
    if not isinstance(frame, list):
        return out
    for item in frame:
        if isinstance(item, list) and item and item[0] == "wrb.fr":
            out.append(item)
        elif depth > 1 and isinstance(item, list) and item and isinstance(item[0], list):
            out.extend(wrb_parts(item, depth - 1))
    return out


# A UTF-16 surrogate, escaped or as a character: JSON (and Python's decoder) let a lone one through, but no UTF-8
# writer takes it (every answer is written as UTF-8 JSON), so a payload holding one is repaired when read.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def whole_characters(value: object, raw: str) -> object:
    """`value` (decoded from the JSON text `raw`) with every string's lone surrogates made U+FFFD (pairs joined
    into their character); `value` itself when `raw` holds no surrogate. Containers are repaired in place."""
    return _whole_characters(value) if _SURROGATE.search(raw) else value


def _whole_characters(value: object) -> object:
    if isinstance(value, str):
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if not isinstance(value, list | dict):
        return value
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):  # keys too (a model's tool arguments may have any)
            items = [(_whole_characters(k) if isinstance(k, str) else k, v) for k, v in node.items()]
            node.clear()
            node.update(items)
        for key, item in (node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(item, str):
                node[key] = _whole_characters(item)
            elif isinstance(item, list | dict):
                stack.append(item)
    return value


def loads(text: str) -> object:
    """`json.loads` of text a server or a model wrote, its lone surrogates made U+FFFD (`whole_characters`);
    ValueError also for JSON nested deeper than the decoder goes (its RecursionError)."""
    try:
        return whole_characters(json.loads(text), text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def payload_of(part: list) -> object:
    """The decoded payload of a part (`loads(part[2])`), or None without one; ValueError if unreadable."""
    raw = part[2] if len(part) > 2 else None
    if not isinstance(raw, str):
        return None
    return loads(raw)
