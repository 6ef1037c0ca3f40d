"""A Gemini GenerateContentRequest as one web-app message.

The web app takes one message per turn (reference/gemini-web-protocol.md §3.4 inner[0]). A conversation the
web app already holds (`conversations`) gets only the last user turn (`last_turn_prompt`); a new one carries
the earlier turns inside the prompt, led by the system instruction (issue 9: "System prompts: injected in the
prompt"; `build_prompt`). Files travel as uploads attached to the message (`files`): a new conversation
attaches every turn's files, each named in the prompt where its turn had it ("[file-2.png]"), so the model
knows which turn showed what; a continued one attaches the last turn's only (the web app has the others).
Declared functions, earlier calls and their results travel in the protocol of `tools`; the functions offered
and a JSON-mode instruction (`generation.json_mode`) go with every message, continued or not, as they may
change from one request to the next.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from ...errors import Cause, Failure, UpstreamError
from . import tools
from .generation import json_mode

ROLE_NAMES = {"user": "User", "model": "Assistant"}


@dataclass(frozen=True)
class FilePart:
    """A file of the request: its name in the prompt and upload, its media type, and where it is
    (`contents[i].parts[j]`); `part` is the Gemini part (inlineData or fileData)."""

    name: str
    mime: str
    where: str
    part: dict


def refuse(what: str) -> UpstreamError:
    """What this kind cannot carry. Not the request's fault (Cause.SERVICE): an account of another kind serving
    the same model id may take it, so the pool tries on; with none, the client gets this 400."""
    return UpstreamError(
        Failure.BAD_REQUEST, f"gemini-web accounts cannot send {what} to the Gemini web app",
        status=400, cause=Cause.SERVICE,
    )


def _mime(part: dict) -> str:
    data = part.get("inlineData") or part.get("fileData") or {}
    return str(data.get("mimeType") or "application/octet-stream")


def _display_name(part: dict) -> str | None:
    """The file's own name (Gemini's `displayName` of a Blob or FileData, as the bridge's `files[].name` gives
    it) when it is a plain file name: at most 100 characters, no path, no brackets or control characters (it
    is shown to the model in the prompt as `[name]`)."""
    data = part.get("inlineData") or part.get("fileData") or {}
    name = data.get("displayName") if isinstance(data, dict) else None
    if not isinstance(name, str):
        return None
    name = name.strip()
    if not name or len(name) > 100 or any(c in name for c in "/\\[]") or not name.isprintable():
        return None
    return name


def files(request: dict, last_only: bool = False) -> list[FilePart]:
    """The request's inlineData and fileData parts in order, each named by its `displayName` (`_display_name`)
    or `file-<n><ext>` (n counts from 1 over the whole request, so a name is the same whichever turns are
    taken); with `last_only` those of the last turn."""
    out: list[FilePart] = []
    contents = [c for c in request.get("contents") or () if isinstance(c, dict)]
    for i, content in enumerate(contents):
        for j, part in enumerate(content.get("parts") or ()):
            if isinstance(part, dict) and ("inlineData" in part or "fileData" in part):
                mime = _mime(part)
                ext = mimetypes.guess_extension(mime.split(";")[0].strip()) or ".bin"
                name = _display_name(part) or f"file-{len(out) + 1}{ext}"
                out.append(FilePart(name, mime, f"contents[{i}].parts[{j}]", part))
    if last_only:
        last = f"contents[{len(contents) - 1}]."
        out = [f for f in out if f.where.startswith(last)]
    return out


def _text(content: object, where: str, names: dict[int, str]) -> str:
    """The text of a Content's parts (thought parts of earlier answers left out), each file as `[name]`. A user's
    (or system instruction's) parts are separate blocks, one a line, as the model reads them apart (Codex's
    environment context and its prompt, Claude Code's reminders and the message); a model turn's parts are
    fragments of one answer (a Gemini client replays a streamed answer's chunks as parts) and are joined as
    they are."""
    parts = content.get("parts") if isinstance(content, dict) else None
    sep = "" if isinstance(content, dict) and content.get("role") == "model" else "\n"
    texts = []
    for part in parts or ():
        if not isinstance(part, dict):
            continue
        block = tools.history_block(part)
        if block is not None:
            texts.append(f"\n\n{block}\n\n")
        elif id(part) in names:
            texts.append(f"[{names[id(part)]}]")
        elif isinstance(part.get("text"), str) and not part.get("thought"):
            texts.append(part["text"])
    return sep.join(texts).strip("\n")


def _turn(role: str, text: str) -> str:
    """`User: text` / `Assistant: text`; a turn that opens with a tool block starts it on a line of its own."""
    return f"{ROLE_NAMES.get(role, 'User')}:{chr(10) if text.startswith(tools.FENCE) else ' '}{text}"


def _check(request: dict) -> list[tuple[str, str]]:
    """(role, text) per turn, files named; raises UpstreamError BAD_REQUEST for a last turn that is not the
    user's (tool results are) with text or a file. (What the web app cannot honour of the settings is refused
    by `generation.settings_notes`.)"""
    names = {id(f.part): f.name for f in files(request)}
    contents = [c for c in request.get("contents") or () if isinstance(c, dict)]
    turns = [(c.get("role") or "user", _text(c, f"contents[{i}]", names)) for i, c in enumerate(contents)]
    if not turns or turns[-1][0] not in ("user", "function") or not turns[-1][1].strip():
        raise UpstreamError(Failure.BAD_REQUEST, "the last message must be the user's, with text or a file",
                            status=400, cause=Cause.REQUEST)
    return turns


def _framed(request: dict, message: str, head: list[str] | None = None) -> str:
    """The `head` sections (the system instruction), the functions offered (`tools.instructions`), `message`,
    then the JSON-mode instruction, each when there is one."""
    offer = tools.calling(request)
    answer_as = json_mode(request)
    sections = (head or []) + ([tools.instructions(offer)] if offer is not None else []) + [message]
    return "\n\n".join(sections + ([answer_as] if answer_as is not None else []))


def last_turn_prompt(request: dict) -> str:
    """The message that continues a conversation the web app holds: the last user turn's text alone (its files
    are attached, `files(request, last_only=True)`, and named here only when there is no text), framed by the
    functions offered and the JSON instruction (`_framed`). Raises as `build_prompt`."""
    last = _check(request)[-1][1]
    names = {f.name for f in files(request, last_only=True)}
    text = last
    for name in names:
        text = text.replace(f"[{name}]", "")
    return _framed(request, text.strip("\n") if text.strip() else last)


def build_prompt(request: dict) -> str:
    """The prompt of a new conversation for `request`: the system instruction, then the earlier turns as
    `User:` / `Assistant:` lines, then the last user turn. A single user turn without a system instruction is
    sent as it is. Declared functions lead the conversation, and a JSON-mode request ends with its instruction
    (`_framed`). Raises UpstreamError BAD_REQUEST for a last turn without text or file."""
    system = _text(request.get("systemInstruction"), "systemInstruction", {}).strip()
    *history, (_, last) = _check(request)
    if not system and not history:
        return last_turn_prompt(request)
    head = [f"System instructions (follow them in every answer):\n{system}"] if system else []
    sections = []
    if history:
        lines = "\n\n".join(_turn(role, text) for role, text in history if text.strip())
        sections.append(f"The conversation so far:\n{lines}")
    sections.append(_turn("user", last) if history else last)
    return _framed(request, "\n\n".join(sections), head)
