"""A Gemini GenerateContentRequest as one web-app prompt.

The web app takes one message per turn (reference/gemini-web-protocol.md §3.4 inner[0]); until conversations
are continued (a later slice), earlier turns travel inside the prompt, and the system instruction leads it
(issue 9: "System prompts: injected in the prompt"). Only text can be carried so far: files, images and tool
calls are refused with a 400 that says so.
"""

from __future__ import annotations

from ...errors import Cause, Failure, UpstreamError

ROLE_NAMES = {"user": "User", "model": "Assistant"}


def _refuse(what: str) -> UpstreamError:
    """What this kind cannot carry yet. Not the request's fault (Cause.SERVICE): an account of another kind
    serving the same model id may take it, so the pool tries on; with none, the client gets this 400."""
    return UpstreamError(
        Failure.BAD_REQUEST,
        f"gemini-web accounts take text only for now: {what} cannot be sent to the Gemini web app yet",
        status=400, cause=Cause.SERVICE,
    )


def _text(content: object, where: str) -> str:
    """The text of a Content's parts (thought parts of earlier answers left out)."""
    parts = content.get("parts") if isinstance(content, dict) else None
    texts = []
    for part in parts or ():
        if not isinstance(part, dict):
            continue
        if "functionCall" in part or "functionResponse" in part:
            raise _refuse(f"the tool call in {where}")
        if "inlineData" in part or "fileData" in part:
            raise _refuse(f"the file in {where}")
        if isinstance(part.get("text"), str) and not part.get("thought"):
            texts.append(part["text"])
    return "".join(texts)


def build_prompt(request: dict) -> str:
    """The prompt for `request`: the system instruction, then the earlier turns as `User:` / `Assistant:`
    lines, then the last user turn. A single user turn without a system instruction is sent as it is.
    Raises UpstreamError BAD_REQUEST (the request's) for declared tools, non-text parts or no user text."""
    if any(isinstance(t, dict) and t for t in request.get("tools") or ()):
        raise _refuse("tool declarations")
    count = (request.get("generationConfig") or {}).get("candidateCount")
    if isinstance(count, int) and count > 1:
        raise UpstreamError(Failure.BAD_REQUEST, "gemini-web accounts give one answer per request: ask for one candidate (n=1)",
                            status=400, cause=Cause.SERVICE)
    system = _text(request.get("systemInstruction"), "systemInstruction").strip()
    contents = [c for c in request.get("contents") or () if isinstance(c, dict)]
    turns = [(c.get("role") or "user", _text(c, f"contents[{i}]")) for i, c in enumerate(contents)]
    if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
        raise UpstreamError(Failure.BAD_REQUEST, "the last message must be the user's, with text", status=400,
                            cause=Cause.REQUEST)
    *history, (_, last) = turns
    if not system and not history:
        return last
    sections = []
    if system:
        sections.append(f"System instructions (follow them in every answer):\n{system}")
    if history:
        lines = "\n\n".join(f"{ROLE_NAMES.get(role, 'User')}: {text}" for role, text in history if text.strip())
        sections.append(f"The conversation so far:\n{lines}")
    sections.append(f"User: {last}" if history else last)
    return "\n\n".join(sections)
