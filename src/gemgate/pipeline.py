"""The path of every request, the only place that knows its order:

    resolve model -> apply the model name's effects -> resolve media and signatures (the only I/O before
    the upstream) -> identity and limits -> acquire an account -> fresh credential -> upstream call ->
    failover while nothing reached the client -> render in the dialect -> outcome record.

Failover itself is `failover.with_failover`; opening, continuing, cutting and folding streams is `streaming`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

import orjson
from starlette.responses import Response

from .auth import ClientIdentity, set_caller_owner
from .catalog import Catalog, ModelSpec
from .dialects.base import CutFactory, Generation, Local, LocalState, RenderContext, Unary
from .errors import GatewayError
from .failover import with_failover
from .gateway import Gateway
from .gemini.normalise import normalise_history
from .gemini.signatures import SignatureStore, issuing_kinds
from .gemini.stops import stop_cut
from .gemini.thinking import needs_signatures
from .http.body import json_response
from .http.budget import LEDGER
from .http.media import MediaFetcher
from .http.respond import as_client_error, client_gone, run_failure_hook, stream_response
from .outcome import Outcome
from .personal import current as personal_account, personal_catalog
from .pool import Lease
from .streaming import generate_whole, open_stream
from .upstreams import UPSTREAM_KINDS
from .upstreams.base import NAMED_GEM, Capability, Upstream

T = TypeVar("T")
log = logging.getLogger("gemgate.pipeline")

# Says which request values the gateway brought into the model's range (catalog.apply_model_spec), e.g.
# "maxOutputTokens=65536 (asked 100000: the output token limit of gemini-2.5-flash)"; several joined by "; ".
ADJUSTED_HEADER = "X-Gemgate-Adjusted"


@dataclass(slots=True)
class Call:
    """One client request on its way: the gateway, how its errors are written, who sent it, and when
    (`started`, event-loop seconds)."""

    gw: Gateway
    dialect: str
    error_response: Callable[[GatewayError], Response]
    identity: ClientIdentity | None
    started: float


async def serve(call: Call, work: Generation | Unary) -> Response:
    """Answer a parsed request in full and emit its Outcome; every GatewayError (before a stream is
    committed) becomes the dialect's error response, and so does any other exception (a 500, logged with its
    traceback). A cancellation (the client left) is booked as 499 and raised on. Admission checks run for
    generations only."""
    gw = call.gw
    loop = asyncio.get_running_loop()
    outcome = Outcome(call.dialect, _operation(work), call.identity)
    handed_off = False

    def finish(err: GatewayError | None, status: int | None = None) -> None:
        """Close the outcome record once: status and message from `err` (None: success; `status`: the one the
        client got, when its dialect answers `err` with another), latency in seconds."""
        if err is not None:
            outcome.status, outcome.error = status or err.status, err.message[:200]
        outcome.latency = loop.time() - call.started
        gw.outcomes.emit(outcome)

    owner = call.identity.owner if call.identity else ""  # kept state is the caller's own (stored responses)
    set_caller_owner(owner)  # and an upstream's (web conversations)
    try:
        if isinstance(work, Local):  # the gateway's own state: no model, no account
            body = work.answer(LocalState(gw.catalog, replace(gw.render_context, owner=owner)))
            return json_response(await body if inspect.isawaitable(body) else body)
        spec, served_instead = await _resolve(gw, work.model)
        outcome.model = spec.requested
        if not work.model and getattr(work.reply, "model", None) == "":
            work.reply.model = spec.requested  # the configured default_model answered: the reply names it
        if served_instead:
            _name_model(work.reply, spec.requested)
            if isinstance(work, Generation):
                work.adjusted += (served_instead,)
        NAMED_GEM.set(spec.gem)  # for this request's task (and the background run it starts)
        gw.admit(call.identity, spec)
        if isinstance(work, Unary):
            if work.media:  # media by URL, fetched behind the same SSRF guard as a generation's
                await gw.media.inline_all(work.media)
            body = work.build(spec)
            result = await with_failover(
                gw, spec, work.capability, outcome, lambda up, lease: _unary(up, lease, spec, work, body)
            )
            return json_response(work.render(result, spec))
        # The tool calls' signatures are kept with the kind that served them (outcome.kind follows failover).
        ctx = replace(gw.render_context, signatures=gw.signatures.scoped(lambda: outcome.kind, owner), owner=owner)
        await prepare(work, gw.catalog, gw.media, ctx.signatures, spec, ctx)
        prefer = issuing_kinds(work.signatures)
        pinned = await gw.preferred_account(spec, work.request)
        # A header is Latin-1 text: anything else a note quotes from the request is escaped, never a 500.
        said = "; ".join(work.adjusted).encode("ascii", "backslashreplace").decode() if work.adjusted else ""
        headers = {ADJUSTED_HEADER: said} if said else None
        cut = work.cut or partial(stop_cut, work.request, False)
        if work.background:
            handed_off = True  # the run's own outcome, when it ends
            return json_response(await _background(gw, spec, work, outcome, ctx, prefer, cut, finish), headers=headers)
        if work.stream:
            handed_off = True
            return await stream_response(
                open_stream(gw, spec, work.request, outcome, call.started, prefer, cut, pinned),
                lambda opened: work.reply.stream(opened.first, opened.rest, ctx),
                work.reply,
                gw.settings.keepalive_seconds,
                call.error_response,
                finish,
                call.started,  # the first keepalive is due keepalive_seconds after the request arrived
                headers,
                lambda err: work.reply.failed(err, ctx),
            )
        response = await generate_whole(gw, spec, work.request, outcome, prefer, cut, pinned)
        outcome.ttfb = loop.time() - call.started
        return json_response(await work.reply.whole(response, ctx), headers=headers)
    except Exception as exc:  # GatewayError, or a bug anywhere after parsing: answered in the dialect's shape
        err = as_client_error(exc, f"serving a {call.dialect} request")
        response = call.error_response(err)
        if not handed_off:
            finish(err, response.status_code)  # the log says what the client got (the bridge's 400 for a 404)
            handed_off = True
        return response
    except asyncio.CancelledError:  # the client left (http.departure.ClientWatch): stop and book it
        if not handed_off:
            finish(client_gone())
            handed_off = True
        raise
    finally:
        if not handed_off:
            finish(None)


async def _resolve(gw: Gateway, name: object) -> tuple[ModelSpec, str]:
    """The ModelSpec of a client's model name: among the models of the account the request carries for
    itself (`personal`), else in the gateway's catalogue; and "" or, when no account serves the name but a
    kind's settings allow a lesser model (`Upstream.substitute`), the note saying which was served instead.
    A name naming a gem (`@gem=`) is kept to the kinds with Capability.GEMS. Raises GatewayError as
    `Catalog.resolve`, and 400 for a gem no kind serving the model has."""
    record = personal_account()
    catalog, kinds = gw.catalog, None
    if record is not None:
        catalog = await personal_catalog(gw.upstreams[record.kind], record, gw.catalog)
        kinds = frozenset({record.kind})
    try:
        return _gem_kinds(gw, catalog.resolve(name), kinds), ""
    except GatewayError as err:
        if err.code != "model_not_found" or not isinstance(name, str):
            raise
        for kind, upstream in gw.upstreams.items():
            instead = upstream.substitute(name, partial(catalog.known, kind=kind))
            if instead is not None:
                spec = _gem_kinds(gw, catalog.resolve(instead), kinds)
                return spec, (f"model={instead} (asked {name}: no {kind} account has it; "
                              f"upstreams.{kind.replace('-', '_')}.downgrade)")
        raise


def _gem_kinds(gw: Gateway, spec: ModelSpec, kinds: frozenset[str] | None) -> ModelSpec:
    """`spec`, kept to the kinds with Capability.GEMS serving its model when its name names a gem (`kinds`: the
    kinds the name may be served by, None: the catalogue's). Raises GatewayError 400 when none of them does."""
    if spec.gem is None:
        return spec
    gems = gw.kinds_with(Capability.GEMS)
    able = frozenset(k for k in gems & (kinds or spec.kinds or gems) if kinds or gw.catalog.known(spec.model, k))
    if not able:
        which = ", ".join(sorted(gems)) or "no configured"
        raise GatewayError(400, f"The model '{spec.requested}' names a gem, and only {which} accounts have gems: "
                           "name one of their models with it, e.g. gemini-web/flash@gem=ID", param="model")
    return replace(spec, kinds=able)


def _name_model(reply: object, name: str) -> None:
    """Make the reply name the model that answered (`model` of a chat completion or message, `echo.model` of a
    response); Gemini-native answers name it in X-Gemgate-Adjusted only (their modelVersion is the upstream's)."""
    if hasattr(reply, "model"):
        reply.model = name
    elif hasattr(getattr(reply, "echo", None), "model"):
        reply.echo.model = name


async def _background(gw: Gateway, spec: ModelSpec, work: Generation, outcome: Outcome, ctx: RenderContext,
                      prefer: frozenset[str], cut: CutFactory | None,
                      finish: Callable[[GatewayError | None], None]) -> dict:
    """Keep `work` as queued, start it on `ctx.runs` (bounded per client key) and return the body answered at
    once. The run keeps its result (`reply.whole`) or failure (`reply.failed`) and closes the outcome; a
    cancelled run is booked 499. Raises GatewayError 429 when the key has too many runs."""
    ctx.runs.admit(ctx.owner)
    answer = await work.reply.accepted(ctx)
    # The request stays in memory while the run goes on: its bytes stay in the body budget until the run ends.
    ledger = LEDGER.get()
    held = ledger.carried(len(orjson.dumps(work.request))) if ledger is not None else None

    async def run() -> None:
        """The whole generation, kept when done."""
        err: GatewayError | None = None
        try:
            if not await work.reply.alive(ctx):  # first: marks it in progress (before any end can be kept)
                raise asyncio.CancelledError
            response = await generate_whole(gw, spec, work.request, outcome, prefer, cut)
            await work.reply.whole(response, ctx)
        except asyncio.CancelledError:
            err = client_gone()
            if ctx.runs.stopping:  # not the client's cancel: the gateway is going away
                err = GatewayError(503, "The gateway stopped before this background response finished; create "
                                   "the response again")
                await run_failure_hook(partial(work.reply.failed, ctx=ctx), err)
        except Exception as exc:
            err = as_client_error(exc, "running a background response")
            await run_failure_hook(partial(work.reply.failed, ctx=ctx), err)
        finally:
            finish(err)

    release = held.release if held is not None else lambda: None
    try:
        ctx.runs.start(ctx.owner, answer["id"], run(), lambda: work.reply.alive(ctx), release)
    except GatewayError as err:
        release()
        await work.reply.failed(err, ctx)  # kept as failed: the queued record is not left behind
        finish(err)
        raise
    return answer


def _operation(work: Generation | Unary | Local) -> str:
    if isinstance(work, Local):
        return work.operation
    if isinstance(work, Unary):
        return work.capability.value
    return "background" if work.background else "stream" if work.stream else "generate"


async def prepare(
    work: Generation,
    catalog: Catalog,
    media: MediaFetcher,
    signatures: SignatureStore,
    spec: ModelSpec | None = None,
    ctx: RenderContext | None = None,
) -> ModelSpec:
    """Make a parsed generation ready for the upstream: resolve the model, apply what its name and the
    request's thinking fields ask, run the dialect's own `resolve` (with `ctx`, e.g. a stored conversation),
    fetch referenced media (behind the SSRF guard), fill replayed calls' thought signatures, then bring the
    history into a shape Gemini accepts (`gemini.normalise`). Returns the ModelSpec; raises GatewayError (404
    unknown model, 400 bad media, 400 nothing to send, what `resolve` raises)."""
    spec = spec or catalog.resolve(work.model)
    # after the parser's own notes; a kind that alone serves the model says what it honours (Upstream.adjust_request)
    work.adjusted += _shaper(catalog, spec).adjust_request(work.request, spec, work.thinking, work.names)
    if work.resolve is not None:
        await work.resolve(ctx or RenderContext(signatures, False))
    if work.media:
        await media.inline_all(work.media)
    await signatures.fill(work.signatures, sentinel=needs_signatures(spec.model))
    normalise_history(work.request)  # last: media and signatures are in their parts by now
    return spec


def _shaper(catalog: Catalog, spec: ModelSpec) -> type[Upstream]:
    """The upstream kind that alone serves `spec` (pinned by name, or the only one serving the model), else the
    base contract (the Gemini API's rules)."""
    kinds = spec.kinds or catalog.kinds_of(spec.model)
    only = next(iter(kinds)) if len(kinds) == 1 else None
    return UPSTREAM_KINDS.get(only, Upstream) if only else Upstream


def _unary(up: Upstream, lease: Lease, spec: ModelSpec, work: Unary, body: dict) -> Awaitable[dict]:
    if work.capability is Capability.COUNT_TOKENS:
        return up.count_tokens(lease.account.record, spec.model, body)
    return up.embed(lease.account.record, spec.model, body, batch=work.batch)
