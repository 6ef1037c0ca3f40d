"""Function calling for the web app, which has none of its own: a prompt protocol and its parser.

The web app takes one text message (reference/gemini-web-protocol.md §3.4 inner[0]; its inner[49] "tools" are
the app's own features — image generation, Canvas, deep research, §6.10 — not client functions). So the
declarations travel in the prompt, and the model is asked to call a function by writing a fenced block with a
distinctive tag holding one JSON object:

    ```tool-call
    {"name": "get_weather", "arguments": {"city": "Paris"}}
    ```

A fence is how the web app already carries code verbatim (Markdown is not escaped inside it, unlike prose), and
the tag makes it unambiguous in normal answers. The prompt-injected peers (reference/peers.md: a bracketed
`[ToolCalls] [Call:name]` protocol) drew complaints about calls leaking as text and clients breaking on
mis-parsed calls; here the end of a call is where its JSON value ends (not the first "```", which code inside an
argument may hold), calls are checked against the declared names, and a malformed one is retried once.

Earlier calls and their results are rendered in the same protocol (results as ```tool-result blocks), so the
model sees its own calls. `toolConfig.functionCallingConfig` is honoured as Gemini defines it
(ai.google.dev/api/caching#FunctionCallingConfig): AUTO/VALIDATED (call or answer), ANY (must call), NONE (no
declarations sent, nothing parsed), `allowedFunctionNames` (only those are offered and accepted).

`ToolAnswer` turns the web kind's Gemini chunks into chunks with `functionCall` parts (the dialects then make
OpenAI tool_calls, Responses function_call items and Anthropic tool_use blocks as for any upstream).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ...errors import Cause, Failure, UpstreamError
from .answer import Reshaped
from .payload import loads, whole_characters

CALL_TAG, RESULT_TAG = "tool-call", "tool-result"
FENCE = "```"
# The tag as the prompt asks for it, and the spelling models drift to (an underscore): both are read.
OPENINGS = (FENCE + CALL_TAG, FENCE + "tool_call")
_DECODER = json.JSONDecoder(strict=False)  # a raw newline inside an argument string (code) is kept, not refused


@dataclass(frozen=True)
class Calling:
    """The functions offered to the model: `mode` "AUTO" (call or answer) or "ANY" (must call), and the
    declarations (Gemini FunctionDeclaration dicts) of the functions it may call."""

    mode: str
    declarations: tuple[dict, ...]

    @property
    def names(self) -> frozenset[str]:
        """The callable functions' names."""
        return frozenset(d["name"] for d in self.declarations)


def _bad(message: str) -> UpstreamError:
    return UpstreamError(Failure.BAD_REQUEST, message, status=400, cause=Cause.REQUEST)


def calling(request: dict) -> Calling | None:
    """The Calling of a GenerateContentRequest, or None when no function is offered (none declared, or mode
    NONE). Raises UpstreamError 400 (the request's) for allowedFunctionNames naming no declared function."""
    declared = [d for tool in request.get("tools") or () if isinstance(tool, dict)
                for d in tool.get("functionDeclarations") or () if isinstance(d, dict) and isinstance(d.get("name"), str)]
    config = (request.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode = str(config.get("mode") or "AUTO").upper()
    if not declared or mode == "NONE":
        return None
    allowed = config.get("allowedFunctionNames")
    if allowed:
        unknown = [n for n in allowed if n not in {d["name"] for d in declared}]
        if unknown:
            raise _bad(f"allowedFunctionNames names functions that are not declared: {', '.join(map(str, unknown))}")
        declared = [d for d in declared if d["name"] in allowed]
    return Calling("ANY" if mode == "ANY" else "AUTO", tuple(declared))


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _declaration(decl: dict) -> str:
    """One declaration as one JSON line: name, description, and the argument schema (JSON Schema, or Gemini's
    OpenAPI subset as the client sent it)."""
    schema = decl.get("parametersJsonSchema", decl.get("parameters"))
    line = {"name": decl["name"]}
    if decl.get("description"):
        line["description"] = decl["description"]
    line["parameters"] = schema if isinstance(schema, dict) else {"type": "object", "properties": {}}
    return _compact(line)


def instructions(offer: Calling) -> str:
    """The prompt section that offers the functions and teaches the call format."""
    if offer.mode == "ANY" and len(offer.declarations) == 1:
        rule = f"For this answer you must call the function {offer.declarations[0]['name']}: answer with its tool-call block only."
    elif offer.mode == "ANY":
        rule = "For this answer you must call one or more of the functions: answer with tool-call blocks only, not plain text."
    else:
        rule = "Call a function when it helps to answer; otherwise answer in plain text as usual."
    return "\n".join([
        "Functions you can call (tools). Each line declares one as JSON: its name, what it does, and the JSON schema "
        "of its arguments:",
        *(_declaration(d) for d in offer.declarations),
        "",
        f"To call a function, write a fenced code block tagged {CALL_TAG} holding one JSON object with the "
        "function's name and its arguments, exactly like this:",
        f"{FENCE}{CALL_TAG}",
        '{"name": "<function name>", "arguments": {<the arguments as JSON>}}',
        FENCE,
        f"Write one block per call; for several calls at once, write several blocks one after another. After your "
        f"calls, stop: the results come back in the next message as {RESULT_TAG} blocks. Never write a {CALL_TAG} "
        "block for any other purpose.",
        rule,
    ])


def history_block(part: dict) -> str | None:
    """A functionCall or functionResponse part of the history in the protocol (the model sees its own earlier
    calls as it wrote them, and each result as a tool-result block); None for any other part."""
    if isinstance(part.get("functionCall"), dict):
        call = part["functionCall"]
        return f"{FENCE}{CALL_TAG}\n{_compact({'name': call.get('name'), 'arguments': call.get('args') or {}})}\n{FENCE}"
    if isinstance(part.get("functionResponse"), dict):
        result = part["functionResponse"]
        return f"{FENCE}{RESULT_TAG}\n{_compact({'name': result.get('name'), 'response': result.get('response')})}\n{FENCE}"
    return None


@dataclass(frozen=True)
class Malformed:
    """A block that is not a usable call: why, and its text as the model wrote it."""

    reason: str
    raw: str


def _held(text: str) -> int:
    """How many characters at the end of `text` may be the start of an opening fence."""
    for k in range(min(len(text), max(map(len, OPENINGS))), 0, -1):
        tail = text[-k:]
        if any(o.startswith(tail) for o in OPENINGS):
            return k
    return 0


def _opening(text: str) -> tuple[int, int] | None:
    """(start, end) of the first opening fence in `text` whose tag is complete and followed by something (a
    space, a newline or the JSON's brace), or that may still become one at the very end."""
    best = None
    for opening in OPENINGS:
        at = text.find(opening)
        while at >= 0:
            after = text[at + len(opening): at + len(opening) + 1]
            if after == "" or after.isspace() or after in "{[":
                break
            at = text.find(opening, at + 1)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, at + len(opening))
    return best


class CallParser:
    """The call blocks of a text that arrives in pieces. `feed(text)` and `close()` return pieces in order:
    text (str) that is certainly not part of a call, calls ({"name", "args"}), and Malformed blocks. Text is
    held back only while it may be the start of an opening fence, or is inside a block."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.buf = ""
        self.inside = False
        self.tried = 0  # the block's length when its JSON last failed to decode (0: try at the next piece)

    def feed(self, text: str) -> list:
        """The pieces `text` completes. A block's JSON that is still incomplete is decoded again only when a
        piece may close it (a backtick: the closing fence) or the block doubled since the last try, so a block
        that never closes (or a call with huge arguments) costs linear, not quadratic, work."""
        self.buf += text
        if self.inside and self.tried and "`" not in text and len(self.buf) < 2 * self.tried:
            return []
        return self._drain(final=False)

    def close(self) -> list:
        """The pieces left at the end of the answer (an unclosed block whose JSON is complete is a call)."""
        return self._drain(final=True)

    def _drain(self, final: bool) -> list:
        out: list = []
        while self.buf or (self.inside and final):
            if not self.inside:
                found = _opening(self.buf)
                if found is None:
                    keep = 0 if final else _held(self.buf)
                    if len(self.buf) > keep:
                        out.append(self.buf[: len(self.buf) - keep])
                        self.buf = self.buf[len(self.buf) - keep:]
                    return out
                start, end = found
                if end == len(self.buf) and not final:  # the tag may go on ("```tool-calls"): wait
                    if start:
                        out.append(self.buf[:start])
                        self.buf = self.buf[start:]
                    return out
                if start:
                    out.append(self.buf[:start])
                self.opening, self.buf, self.inside = self.buf[start:end], self.buf[end:], True
                continue
            piece = self._block(final)
            if piece is None:
                return out
            out.append(piece)
        return out

    def _block(self, final: bool) -> object | None:
        """The call (or Malformed) of the block being read once its end is known, else None (wait)."""
        body = self.buf
        start = len(body) - len(body.lstrip())
        try:
            value, end = _DECODER.raw_decode(body, start) if start < len(body) else (None, -1)
            value = whole_characters(value, body[start:end]) if end > 0 else value  # no lone surrogate in a call
        except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the decoder goes
            value, end = None, -1
        if end < 0:
            if not final:
                self.tried = len(body)
                return None
            return self._done(Malformed("the tool-call block does not hold one JSON value", self.opening + body), "")
        rest = body[end:]
        after = rest.lstrip()
        if after.startswith(FENCE):
            return self._done(self._call(value, self.opening + body[: len(body) - len(after) + 3]), after[3:])
        if not final and FENCE.startswith(after):  # the closing fence may still come
            return None
        if after and not final:
            return self._done(Malformed("text follows the JSON inside the tool-call block", self.opening + body), "")
        return self._done(self._call(value, self.opening + body), "")

    def _done(self, piece: object, rest: str) -> object:
        self.inside, self.buf, self.tried = False, rest, 0
        return piece

    def _call(self, value: object, raw: str) -> object:
        """The call(s) a decoded block holds, checked: an object (or a list of them) with a declared `name` and
        `arguments` (alias `args`; absent is {}; a JSON string holding an object is read) that are an object."""
        items = value if isinstance(value, list) and value else [value]
        calls = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                return Malformed('a tool call is a JSON object with a "name" and "arguments"', raw)
            if item["name"] not in self.names:
                return Malformed(f"'{item['name'][:64]}' is not one of the functions offered", raw)
            args = item.get("arguments", item.get("args"))
            if isinstance(args, str):
                try:
                    args = loads(args)
                except ValueError:
                    pass
            if args is None:
                args = {}
            if not isinstance(args, dict):
                return Malformed(f"the arguments of {item['name']} are not a JSON object", raw)
            calls.append({"name": item["name"], "args": args})
        return calls


class ToolAnswer(Reshaped):
    """An answer whose tool-call blocks become `functionCall` parts (see Reshaped for `strict` and `after`).

    Calls, and anything after the first one, are held until the answer ends (the model is told to stop after
    its calls), so a malformed block found later never leaves half a batch of calls with the client. A
    malformed block, or no call when one is required, is Unusable.
    """

    what = "tool call"

    def __init__(self, offer: Calling, label: str, strict: bool, after: Reshaped | None = None) -> None:
        super().__init__(label, strict, after)
        self.offer = offer
        self.parser = CallParser(offer.names)
        self.calls: list[dict] = []
        self.held: list[dict] = []  # parts after the first call, sent at the end

    def text(self, text: str) -> list[dict]:
        """The text parts a piece of text completes (calls are kept for the end)."""
        return self._pieces(self.parser.feed(text))

    def end(self) -> list[dict]:
        """What is left, then the calls and what followed them."""
        out = self._pieces(self.parser.close())
        if self.offer.mode == "ANY" and not self.calls:
            self.unusable("the answer calls no function, though one is required", "")
        return out + [{"functionCall": c} for c in self.calls] + self.held

    def _pieces(self, pieces: list) -> list[dict]:
        out: list[dict] = []
        for piece in pieces:
            if isinstance(piece, Malformed):
                piece = self.unusable(piece.reason, piece.raw)
            if isinstance(piece, list):
                self.calls += piece
            elif piece and (piece.strip() or not self.calls):  # the space between calls goes
                part = {"text": piece} if self.calls else self.fresh(piece)
                if part is not None:
                    (self.held if self.calls else out).append(part)
        return out
