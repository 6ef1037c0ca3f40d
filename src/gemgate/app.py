"""Builds the ASGI app from the dialect registry: routes, client authentication with the caller's identity,
error shapes chosen by route, and the gateway's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import orjson
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from . import personal
from .auth import presented_key
from .config import Settings
from .dialects import DIALECTS
from .dialects.base import Dialect, Endpoint, Generation, ParseInput
from .errors import GatewayError, internal_error
from .gateway import Gateway
from .http import listing
from .http.body import json_response, read_json
from .http.budget import BodyBudget
from .http.departure import ClientWatch
from .http.stream_body import StreamBody
from .outcome import Outcome
from .pipeline import Call, serve
from .redaction import client_key_scope
from .upstreams import UPSTREAM_KINDS

log = logging.getLogger("gemgate")

OPEN_PATHS = frozenset({"/healthz"})
_BODILESS = frozenset({"GET", "HEAD", "DELETE"})  # a parser of these routes reads no body


class ErrorShape:
    """Error bodies for a route: one dialect's, or several dialects' merged into one body each accepts."""

    def __init__(self, dialects: tuple[Dialect, ...]) -> None:
        self.dialects = dialects
        self.name = "+".join(d.name for d in dialects)

    def body(self, err: GatewayError) -> dict:
        """One dialect's error body as it writes it; several dialects' `{"error": {...}}` merged, later dialects'
        fields winning where they share a name."""
        if len(self.dialects) == 1:
            return self.dialects[0].error_body(err)
        merged: dict = {}
        for dialect in self.dialects:
            merged.update(dialect.error_body(err)["error"])
        return {"error": merged}

    def response(self, err: GatewayError) -> Response:
        """The error as an HTTP response (the status a lone dialect picks), with Retry-After where known."""
        status = self.dialects[0].error_status(err) if len(self.dialects) == 1 else err.status
        return json_response(self.body(err), status, err.headers(status))


class Routes:
    """The routes of every registered dialect; shared paths answered together (see `Endpoint`)."""

    def __init__(self, dialects: tuple[Dialect, ...]) -> None:
        self.default = ErrorShape(dialects[:1])
        self.prefixes = sorted(((p, d) for d in dialects for p in d.prefixes), key=lambda pd: -len(pd[0]))
        groups: dict[tuple[str, tuple[str, ...]], list[tuple[Dialect, Endpoint]]] = {}
        for dialect in dialects:
            for endpoint in dialect.endpoints:
                groups.setdefault((endpoint.path, endpoint.methods), []).append((dialect, endpoint))
        self.routes: list[Route] = []
        self.shapes: list[tuple[Route, Members]] = []
        for (path, methods), members in groups.items():
            picked = Members(members)
            route = Route(path, _handler(picked), methods=list(methods))
            self.routes.append(route)
            self.shapes.append((route, picked))

    def shape_for(self, scope: dict) -> ErrorShape:
        """The error shape for a request that never reached its handler (auth failure, no route)."""
        partial = None
        for route, members in self.shapes:
            match, _ = route.matches(scope)
            if match is Match.FULL:  # the dialect a header picks (Anthropic's model list) speaks for it
                return members.pick(Headers(raw=scope.get("headers") or []))[1]
            if match is Match.PARTIAL and partial is None:
                partial = members.shared
        if partial is not None:
            return partial
        path = scope["path"]
        for prefix, dialect in self.prefixes:
            if path.startswith(prefix):
                return ErrorShape((dialect,))
        return self.default


class Members:
    """The dialects' declarations of one path and methods (see `Endpoint`), and which of them answer a request."""

    def __init__(self, members: list[tuple[Dialect, Endpoint]]) -> None:
        self.exclusive = [(d, e) for d, e in members if e.when is not None]
        self.together = [(d, e) for d, e in members if e.when is None]
        self.shared = ErrorShape(tuple(d for d, _ in self.together) or (members[0][0],))

    def pick(self, headers) -> tuple[list[tuple[Dialect, Endpoint]], ErrorShape]:
        """The declarations that answer a request with these headers, and the error shape they answer in."""
        for dialect, endpoint in self.exclusive:
            if endpoint.when(headers):
                return [(dialect, endpoint)], ErrorShape((dialect,))
        return self.together, self.shared


def _handler(members: Members) -> Callable:
    async def handle(request: Request) -> Response:
        chosen, shape = members.pick(request.headers)
        gw: Gateway = request.app.state.gateway
        call = Call(gw, shape.name, shape.response, request.scope.get("state", {}).get("identity"), asyncio.get_running_loop().time())
        try:
            endpoint = chosen[0][1]
            if endpoint.api is not None:
                call.dialect = endpoint.api
            if endpoint.listing is not None:
                return await _listing(gw, request, chosen, endpoint.listing)
            limits = gw.settings.limits
            # GET, HEAD and DELETE carry no body (a preflight, a stored response), nor a bodiless endpoint's
            # POST (a cancel); anything else is JSON.
            body = None
            if request.method not in _BODILESS and not endpoint.bodiless:
                body = await read_json(request, limits.body_bytes, limits.json_depth)
            work = endpoint.parse(ParseInput(body, request=request, limits=limits))
        except GatewayError as err:
            _refused(call, err)
            return shape.response(err)
        except Exception:  # a parser bug: answered in the dialect's shape, keeping the connection usable
            log.exception("unhandled error parsing %s", request.url.path)
            return shape.response(internal_error())
        if isinstance(work, Generation) and len(chosen) > 1:
            raise RuntimeError("generation endpoints cannot be shared")  # a registration mistake
        return await serve_while_present(request, call, work)

    return handle


def _refused(call: Call, err: GatewayError) -> None:
    """Book a request refused before it was parsed (400, 408, 413, 503; 499 when the client left mid-upload)."""
    if err.status == 499:
        log.debug("%s: the client left before its request body was complete", call.dialect)
    book_refusal(call.gw, call.dialect, call.identity, err, call.started)


def book_refusal(gw: Gateway, dialect: str, identity, err: GatewayError, started: float | None) -> None:
    """The access-log line (and other outcome hooks) of a request refused before any work: operation
    "request" (what it asked is unknown), `err`'s status and message; `started` its event-loop arrival time
    (None: latency 0, for callers outside the loop). Also for 401s and unknown paths, so a client with the
    wrong key or address shows in the log."""
    outcome = Outcome(dialect, "request", identity, status=err.status, error=err.message[:200])
    if started is not None:
        outcome.latency = asyncio.get_running_loop().time() - started
    gw.outcomes.emit(outcome)


async def serve_while_present(request: Request, call: Call, work) -> Response:
    """`serve`, cancelled as soon as the client hangs up (the body is read: the next ASGI message can only be
    the disconnect); a stream carries the watch on. What is returned to a client that left is never sent."""
    watch = ClientWatch(request.receive, request.scope)
    try:
        response = await serve(call, work)
    except asyncio.CancelledError:
        if not watch.gone:
            raise
        watch.settle()
        return Response(status_code=499)
    if isinstance(response, StreamBody):
        response.watch = watch
    else:
        watch.stop()
    return response


async def _listing(gw: Gateway, request: Request, members: list[tuple[Dialect, Endpoint]], which: str) -> Response:
    """A model list or a single model, in the merged shape of every dialect answering this path: of the models
    of the account the request carries for itself (`personal`), else of the gateway's catalogue."""
    dialects = [d for d, _ in members]
    record = personal.current()
    catalog = gw.catalog if record is None else await personal.personal_catalog(gw.upstreams[record.kind], record, gw.catalog)
    body: dict = {}
    if which == "list":
        entries, following = listing.page(catalog, request.query_params, dialects[0].listing_page_size)
        for dialect in dialects:
            body.update(dialect.list_models(entries, following))
    else:
        listed, resource = listing.find(catalog, request.path_params["rest"])
        for dialect in reversed(dialects):  # the first dialect's fields win
            body.update(dialect.get_model(listed, resource))
    return json_response(body)


class ClientAuth:
    """Pure ASGI middleware: every request but the health check must carry a known client key; the
    caller's ClientIdentity goes into the request state as "identity"."""

    def __init__(self, app, gateway: Gateway, routes: Routes, open_paths: frozenset[str] = OPEN_PATHS) -> None:
        self.app = app
        self.gateway = gateway
        self.routes = routes
        self.open_paths = open_paths
        self.open_prefixes = tuple(p for p in open_paths if p.endswith("/"))  # a whole subtree (a kind's own API)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths or scope["path"].startswith(self.open_prefixes):
            return await self.app(scope, receive, send)
        if scope["path"] == "/" and scope["method"] in ("GET", "HEAD") and not _has_key(scope):
            # Claude Code's connectivity preflight (client-harness.md §4) may come before any key is set: a
            # bare 200 that says nothing about the gateway's accounts or APIs.
            return await _bare_ok(send)
        started = asyncio.get_running_loop().time()
        key = presented_key(scope["headers"], scope.get("query_string", b""))
        identity = self.gateway.keys.identify(key)
        if identity is not None:
            scope.setdefault("state", {})["identity"] = identity
            with client_key_scope(key):  # an upstream echoing the caller's key never shows it
                try:
                    record = personal.from_headers(Headers(scope=scope))
                except GatewayError as err:
                    return await self._refuse(scope, send, err, identity, started)
                with personal.personal_scope(record):  # the request's own credential, never stored
                    return await self.app(scope, receive, send)
        message = (
            "Incorrect API key provided. Send a gemgate client key as 'Authorization: Bearer <key>', "
            "'x-api-key', 'x-goog-api-key' or '?key='; create one with `gemgate keys create`."
            if key
            else "Missing client key. Send a gemgate client key as 'Authorization: Bearer <key>', "
            "'x-api-key', 'x-goog-api-key' or '?key='."
        )
        await self._refuse(scope, send, GatewayError(401, message), None, started)

    async def _refuse(self, scope, send, err: GatewayError, identity, started: float) -> None:
        """Answer `err` in the route's error shape without reaching the app, and book it (`book_refusal`)."""
        shape = self.routes.shape_for(scope)
        book_refusal(self.gateway, shape.name, identity, err, started)
        body = orjson.dumps(shape.body(err))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in err.headers().items()]
        await send({"type": "http.response.start", "status": err.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _has_key(scope) -> bool:
    return bool(presented_key(scope["headers"], scope.get("query_string", b"")))


async def _bare_ok(send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"{}"})


async def healthz(request: Request) -> Response:
    """Liveness: always 200 `{"status": "ok"}`, without a client key."""
    return Response(b'{"status":"ok"}', media_type="application/json")


def create_app(settings: Settings, gateway: Gateway | None = None) -> Starlette:
    """The ASGI app for these settings (a Gateway is made unless given)."""
    gw = gateway or Gateway(settings)
    routes = Routes(DIALECTS)

    def on_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            status = exc.status_code
            text = f"No route for {request.method} {request.url.path}" if status in (404, 405) else str(exc.detail)
            err = GatewayError(status, text)
            if status in (404, 405):  # no dialect booked it: a client at the wrong address shows in the log
                identity = request.scope.get("state", {}).get("identity")
                book_refusal(gw, routes.shape_for(request.scope).name, identity, err, None)  # run in a worker thread
        elif isinstance(exc, GatewayError):
            err = exc
        else:
            # Starlette re-raises after this answer and uvicorn then drops the connection: say so.
            log.exception("unhandled error on %s", request.url.path)
            err = internal_error()
            err.close = True
        return routes.shape_for(request.scope).response(err)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        """Start the gateway before the first request; stop it (flushing state) at shutdown."""
        await gw.start()
        try:
            yield
        finally:
            await gw.stop()

    kind_routes = [cls.routes() for cls in UPSTREAM_KINDS.values()]  # e.g. a sign-in flow
    app = Starlette(
        routes=[Route("/healthz", healthz, methods=["GET"]), *routes.routes, *(r for rs, _ in kind_routes for r in rs)],
        lifespan=lifespan,
        exception_handlers={HTTPException: on_error, Exception: on_error, GatewayError: on_error},
    )
    app.state.gateway = gw
    # For errors answered below the app (http.server: a request head too large or unparsable), by path.
    app.state.error_body = lambda path, err: routes.shape_for({"type": "http", "path": path, "method": "POST"}).body(err)
    app.add_middleware(BodyBudget, limit=settings.limits.bodies_in_flight_bytes)  # inside ClientAuth
    app.add_middleware(ClientAuth, gateway=gw, routes=routes, open_paths=OPEN_PATHS.union(*(o for _, o in kind_routes)))
    return app
