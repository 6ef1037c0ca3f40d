"""Builds the ASGI app: routes, client authentication, error shapes, and the gateway's lifespan."""

from __future__ import annotations

import contextlib
import logging

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .auth import presented_key
from .config import Settings
from .dialects.gemini import google_error_body
from .dialects.openai_common import openai_error_body
from .errors import GatewayError
from .gateway import Gateway
from .routes import gemini, models, openai

log = logging.getLogger("gemgate")

OPEN_PATHS = frozenset({"/healthz"})


def error_style(path: str) -> str:
    """Which API's error shape a caller of `path` understands."""
    if path.startswith("/v1beta/") or (path.startswith("/v1/models/") and ":" in path):
        return "google"
    if path.startswith("/v1/models"):
        return "hybrid"
    return "openai"


def error_bytes(path: str, err: GatewayError) -> bytes:
    style = error_style(path)
    if style == "openai":
        return orjson.dumps(openai_error_body(err))
    body = google_error_body(err)
    if style == "hybrid":
        body["error"].update({"type": openai_error_body(err)["error"]["type"], "param": err.param})
    return orjson.dumps(body)


class ClientAuth:
    """Pure ASGI middleware: every request but the health check must carry a known client key."""

    def __init__(self, app, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            return await self.app(scope, receive, send)
        key = presented_key(scope["headers"], scope.get("query_string", b""))
        if self.gateway.keys.check(key):
            return await self.app(scope, receive, send)
        message = (
            "Incorrect API key provided. Send a gemgate client key as 'Authorization: Bearer <key>', "
            "'x-api-key', 'x-goog-api-key' or '?key='; create one with `gemgate keys create`."
            if key
            else "Missing client key. Send a gemgate client key as 'Authorization: Bearer <key>', "
            "'x-api-key', 'x-goog-api-key' or '?key='."
        )
        body = error_bytes(scope["path"], GatewayError(401, message))
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


def _error_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        status = exc.status_code
        text = f"No route for {request.method} {request.url.path}" if status in (404, 405) else str(exc.detail)
        err = GatewayError(status, text)
    elif isinstance(exc, GatewayError):
        err = exc
    else:
        log.exception("unhandled error on %s", request.url.path)
        err = GatewayError(500, "Internal gateway error; see the server log.")
    return Response(error_bytes(request.url.path, err), status_code=err.status, media_type="application/json",
                    headers=err.headers())  # fmt: skip


def create_app(settings: Settings, gateway: Gateway | None = None) -> Starlette:
    gw = gateway or Gateway(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await gw.start()
        try:
            yield
        finally:
            await gw.stop()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/v1/chat/completions", openai.chat_completions, methods=["POST"]),
        Route("/v1/embeddings", openai.embeddings, methods=["POST"]),
        Route("/v1/models", models.list_hybrid, methods=["GET"]),
        Route("/v1/models/{rest:path}", models.get_hybrid, methods=["GET"]),
        Route("/v1/models/{rest:path}", gemini.model_action, methods=["POST"]),
        Route("/v1beta/models", models.list_gemini, methods=["GET"]),
        Route("/v1beta/models/{rest:path}", models.get_gemini, methods=["GET"]),
        Route("/v1beta/models/{rest:path}", gemini.model_action, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _error_handler, Exception: _error_handler, GatewayError: _error_handler},
    )
    app.state.gateway = gw
    app.add_middleware(ClientAuth, gateway=gw)
    return app
