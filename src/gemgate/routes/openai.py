"""OpenAI-style endpoints: /v1/chat/completions, /v1/embeddings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..dialects.openai_chat_request import parse_chat
from ..dialects.openai_chat_response import chat_stream_error, render_chat, render_chat_stream
from ..dialects.openai_common import openai_error_body
from ..dialects.openai_embeddings import parse_embeddings, render_embeddings
from ..errors import GatewayError
from ..pipeline import generate_whole, open_stream, with_failover
from .respond import StreamFormat, gateway, json_response, read_json, stream_response

CHAT_STREAM = StreamFormat("text/event-stream", b": keepalive\n\n", chat_stream_error)


def openai_error(err: GatewayError) -> Response:
    return json_response(openai_error_body(err), err.status, err.headers())


async def chat_completions(request: Request) -> Response:
    gw = gateway(request)
    try:
        req = await parse_chat(await read_json(request), gw.catalog, gw.media, gw.signatures)
        think_tags = gw.settings.thoughts_in_content
        if req.stream:
            return await stream_response(
                gw,
                open_stream(gw, req.spec, req.gemini),
                lambda opened: render_chat_stream(opened.first, opened.rest, req, gw.signatures, think_tags),
                CHAT_STREAM,
                openai_error,
            )
        response = await generate_whole(gw, req.spec, req.gemini)
        return json_response(render_chat(response, req, gw.signatures, think_tags))
    except GatewayError as err:
        return openai_error(err)


async def embeddings(request: Request) -> Response:
    gw = gateway(request)
    try:
        req = parse_embeddings(await read_json(request), gw.catalog)
        result = await with_failover(
            gw, req.spec, lambda up, lease: up.embed(lease.account.record, req.spec.model, req.gemini, batch=True)
        )
        return json_response(render_embeddings(result, req))
    except GatewayError as err:
        return openai_error(err)
