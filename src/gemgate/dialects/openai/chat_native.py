"""Which shape a `/v1/chat/completions` body has: OpenAI's (`messages`), or a Gemini generateContent request
(`contents`, `systemInstruction`, `generationConfig`, `tools` with `functionDeclarations`), which clients of the
gcli2api proxy this gateway replaces send there and get answered in the OpenAI format. A Gemini body names its
model (and `stream`, `stream_options`) beside the Gemini fields, as the URL carries none; it is parsed by the
gemini_native dialect and answered by `ChatReply`.
"""

from __future__ import annotations

from ...errors import bad_request
from ...gemini.names import ToolNameMap
from ...gemini.signatures import SignatureRef
from ..base import Generation, ParseInput
from ..gemini_native.request import parse_generate
from ..validate import expect, no_unknown
from .chat_request import STREAM_OPTIONS, parse_chat
from .chat_response import ChatReply

# The fields of a Gemini body that are the OpenAI endpoint's, not generateContent's.
_ENVELOPE = ("model", "stream", "stream_options")


def parse_chat_any(inp: ParseInput) -> Generation:
    """`parse_chat` for an OpenAI body, `parse_gemini_body` for a Gemini one; a body of neither shape is a 400
    saying what each needs."""
    body = inp.body
    if not isinstance(body, dict) or "messages" in body:
        return parse_chat(inp)
    if "contents" in body:
        return parse_gemini_body(inp)
    raise bad_request(
        "The body is neither an OpenAI Chat Completions request ('model' and 'messages': a list of {role, content}) "
        "nor a Gemini generateContent request ('model' and 'contents': a list of {role, parts}); send one of them",
        "messages",
    )


def parse_gemini_body(inp: ParseInput) -> Generation:
    """A Gemini GenerateContentRequest with `model` (required), `stream` and `stream_options.include_usage`
    beside it, answered as a `chat.completion` or its chunks. Function calls the client replays without a
    thought signature get theirs back by call id (or the skip sentinel), as OpenAI-shaped answers carry none.
    Raises GatewayError 400 naming the field."""
    body = inp.body
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise bad_request("'model' is required beside 'contents': the model id, e.g. gemini-2.5-flash", "model")
    stream = bool(expect(body.get("stream", False) or False, bool, "stream"))
    options = body.get("stream_options") or {}
    no_unknown(expect(options, dict, "stream_options"), STREAM_OPTIONS, "stream_options")
    include_usage = bool(expect(options.get("include_usage") or False, bool, "stream_options.include_usage"))
    request = {k: v for k, v in body.items() if k not in _ENVELOPE}
    work = parse_generate(request, model, stream=stream, sse=False, limits=inp.limits)
    n = (work.request.get("generationConfig") or {}).get("candidateCount")
    work.reply = ChatReply(model, ToolNameMap(), {}, include_usage, stream, n=n if isinstance(n, int) and n > 1 else 1)
    work.signatures = _unsigned_calls(work.request["contents"])
    return work


def _unsigned_calls(contents: list) -> list[SignatureRef]:
    """A SignatureRef for every replayed functionCall part without a `thoughtSignature`, looked up by its id."""
    refs = []
    for content in contents:
        if content.get("role") != "model":
            continue
        first = True
        for part in content.get("parts") or ():
            if "functionCall" not in part:
                continue
            if "thoughtSignature" not in part:
                call_id = part["functionCall"].get("id")
                refs.append(SignatureRef(part, call_id if isinstance(call_id, str) else "", first))
            first = False
    return refs
