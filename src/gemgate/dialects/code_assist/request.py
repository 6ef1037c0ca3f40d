"""Code Assist requests: the envelope around a Gemini-native request, and which RPC answers what.

Generation (§A3): `{model, project, user_prompt_id, request: {contents, systemInstruction, tools, toolConfig,
generationConfig, safetySettings, cachedContent, labels, session_id}}`; the inner request is parsed by the
gemini_native dialect, `session_id` (the CLI's, snake_case) taken out as the Gemini API has no such field.
countTokens: `{request: {model: "models/<id>", contents}}`, with no top-level model. The setup and quota RPCs
are answered by the gateway itself (`setup.py`), and any other RPC with `{}` as the reference's checklist for
a stand-in server says (the Gemini CLI calls a few it can do without: recordCodeAssistMetrics, ...).
"""

from __future__ import annotations

from ...errors import bad_request
from ..base import Generation, Local, ParseInput, Unary
from ..gemini_native.request import parse_count_tokens, parse_generate
from ..validate import expect
from . import setup
from .reply import CodeAssistReply

# Inner-request fields of the Code Assist envelope that are the client's bookkeeping, not Gemini's.
_ENVELOPE_ONLY = ("session_id", "sessionId")


def _inner(body: dict) -> dict:
    """The envelope's `request` object without the Code Assist-only fields; a 400 when it is missing."""
    inner = body.get("request")
    if inner is None:
        raise bad_request("'request' is required: the GenerateContentRequest inside the Code Assist envelope "
                          "({model, project, request: {contents, ...}})", "request")
    expect(inner, dict, "request")
    return {k: v for k, v in inner.items() if k not in _ENVELOPE_ONLY}


def _model(value: object, param: str) -> str:
    """A model id from the envelope ("models/" prefix allowed); a 400 naming `param` when it is none."""
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"'{param}' is required: the model id, e.g. gemini-2.5-flash", param)
    return value.strip()


def parse_generation(body: object, *, stream: bool, sse: bool, inp: ParseInput) -> Generation:
    """A generateContent / streamGenerateContent envelope as a Generation answered in the envelope."""
    body = expect(body, dict, "body")
    work = parse_generate(_inner(body), _model(body.get("model"), "model"), stream=stream, sse=sse,
                          limits=inp.limits, prefix="request.")
    work.reply = CodeAssistReply(sse=sse)
    return work


def parse_count(body: object, inp: ParseInput) -> Unary:
    """A countTokens envelope: the model is `request.model`; answered `{"totalTokens": N}` as Google's is."""
    body = expect(body, dict, "body")
    inner = _inner(body)
    model = _model(inner.pop("model", None) or body.get("model"), "request.model")
    return parse_count_tokens(inner, model, inp.limits, prefix="request.")


def parse_rpc(inp: ParseInput) -> Generation | Unary | Local:
    """POST /v1internal:{rpc}: generation, token counting, a setup RPC, or `{}` for any other."""
    rpc = inp.path_params["rpc"]
    if rpc in ("generateContent", "streamGenerateContent"):
        stream = rpc == "streamGenerateContent"
        return parse_generation(inp.body, stream=stream, sse=stream and inp.query.get("alt") == "sse", inp=inp)
    if rpc == "countTokens":
        return parse_count(inp.body, inp)
    answer = setup.RPCS.get(rpc)
    return answer(expect(inp.body, dict, "body")) if answer else Local(lambda state: {})
