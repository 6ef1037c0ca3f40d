"""`POST /api/chat`: the bridge's one-shot chat, served through the gateway's pipeline (`pipeline.serve`, watched
for the client hanging up as every dialect's request is: the
model resolved, limits admitted, accounts failed over, the outcome recorded) as a Generation whose Reply
writes the bridge's envelope. What the web app takes beyond a Gemini request (a conversation to continue, a
gem, temporary or not, extended thinking) travels in a `asked.Asked`, which the web kind reads and fills.

Body: `prompt` (text, required), `model` (a gemini-web public id or alias, default `auto`; always served by
the gemini-web kind), `temporary` (bool; default the kind's `temporary` setting), `extended_thinking` (bool),
`gem` (a gem id), `files` (`[{"data": "<base64>", "mimeType", "name"?}]`), `conversation` (the `data.conversation`
of an earlier answer), `stream` (bool: SSE), `deep_research` (bool: a deep-research turn, §6.9 — the first answers
`data.plan`; its `confirmPrompt` sent with `deep_research` in the same `conversation` starts the research, whose
report `GET /api/research/{cid}` reads; such chats are saved, never temporary).
"""

from __future__ import annotations

import base64
import binascii

from starlette.responses import Response

from ....app import serve_while_present
from ....dialects.base import Generation
from ....pipeline import Call
from ..asked import ASKED, Asked, metadata
from .access import KIND, Caller
from .envelope import BridgeError, conversation_id, gateway_error_response
from .reply import BridgeReply

_FIELDS = frozenset({"prompt", "model", "temporary", "extended_thinking", "gem", "files", "conversation", "stream",
                     "deep_research"})
DEFAULT_MODEL = "auto"


def _bad(message: str) -> BridgeError:
    return BridgeError("INVALID_BODY", message)


def _flag(body: dict, name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise _bad(f"'{name}' must be true or false")
    return value


def _text(body: dict, name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"'{name}' must be a non-empty string" + (" (the message to send)" if name == "prompt" else ""))
    return value


def _files(body: dict) -> list[dict]:
    """Gemini inlineData parts of `files`; INVALID_BODY for anything but `[{"data": base64, "mimeType"}]`."""
    files = body.get("files")
    if files is None:
        return []
    if not isinstance(files, list):
        raise _bad("'files' must be a list of {\"data\": \"<base64>\", \"mimeType\": \"…\", \"name\": \"…\"}")
    parts = []
    for i, item in enumerate(files):
        data = item.get("data") if isinstance(item, dict) else None
        mime = item.get("mimeType") if isinstance(item, dict) else None
        if not isinstance(data, str) or not isinstance(mime, str) or "/" not in mime:
            raise _bad(f"'files[{i}]' needs 'data' (base64) and 'mimeType' (such as image/png)")
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise _bad(f"'files[{i}].data' is not base64") from None
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise _bad(f"'files[{i}].name' must be a string")
        parts.append({"inlineData": {"mimeType": mime, "data": data, **({"displayName": name} if name else {})}})
    return parts


def _conversation(body: dict) -> list | None:
    """inner[2] metadata from `conversation` (`{"id", "responseId", "choiceId", "context"}`, as `data.conversation`
    gives it), or None for a new chat."""
    conv = body.get("conversation")
    if conv is None:
        return None
    if not isinstance(conv, dict) or not isinstance(conv.get("id"), str) or not conv["id"]:
        raise _bad("'conversation' must be the 'data.conversation' object of an earlier answer (with its 'id')")
    for name in ("responseId", "choiceId", "context"):
        if conv.get(name) is not None and not isinstance(conv[name], str):
            raise _bad(f"'conversation.{name}' must be a string")
    return metadata(conversation_id(conv["id"], "'conversation.id'"), conv.get("responseId"), conv.get("choiceId"), conv.get("context"))


def parse(body: object) -> tuple[Generation, Asked]:
    """The Generation and Asked of a chat body. Raises BridgeError INVALID_BODY naming the field to fix."""
    if not isinstance(body, dict):
        raise _bad("The body must be a JSON object such as {\"prompt\": \"Hello\"}")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise _bad(f"Unknown field '{unknown[0]}'; known: {', '.join(sorted(_FIELDS))}")
    prompt = _text(body, "prompt", required=True)
    model = _text(body, "model") or DEFAULT_MODEL
    gem = _text(body, "gem")
    stream = bool(_flag(body, "stream"))
    research = bool(_flag(body, "deep_research"))
    temporary = _flag(body, "temporary")
    if research and temporary:
        raise _bad("'deep_research' needs a saved conversation (its report is read from it): leave 'temporary' out")
    turn = Asked(conversation=_conversation(body), gem=gem, temporary=False if research else temporary,
                extended=bool(_flag(body, "extended_thinking")), research=research)
    request = {"contents": [{"role": "user", "parts": [{"text": prompt}, *_files(body)]}]}
    pinned = model if model.startswith(KIND + "/") else f"{KIND}/{model}"  # the bridge speaks to the web app only
    return Generation(pinned, request, stream, BridgeReply(model, turn)), turn


async def chat(caller: Caller) -> Response:
    """Answer one `POST /api/chat`; see the module docstring. Errors in the bridge's envelope."""
    gw = caller.gateway
    work, turn = parse(await caller.body())
    work.reply.rid = caller.rid
    caller.require_credentials()
    call = Call(gw, "bridge", lambda err: gateway_error_response(err, caller.rid), caller.identity, caller.started)
    token = ASKED.set(turn)  # read by the web kind when its stream starts (inside `serve`)
    caller.booked = True  # `serve` books the outcome
    try:
        return await serve_while_present(caller.request, call, work)  # cancelled if the client hangs up
    finally:
        ASKED.reset(token)
