"""The path of every request, the only place that knows its order:

    resolve model -> apply the model name's effects -> resolve media and signatures (the only I/O before
    the upstream) -> identity and limits -> acquire an account -> fresh credential -> upstream call ->
    failover while nothing reached the client -> render in the dialect -> outcome record.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

import orjson
from starlette.responses import Response

from .auth import ClientIdentity, set_caller_owner
from .catalog import Catalog, ModelSpec
from .dialects.base import ChunkCut, CutFactory, Generation, Local, LocalState, RenderContext, Unary
from .errors import Cause, Failure, GatewayError, UpstreamError
from .gateway import Gateway
from .gemini.aggregate import aggregate
from .gemini.normalise import normalise_history
from .gemini.parts import is_answer_part, malformed_call, usage_tokens, walk, without_thoughts
from .gemini.signatures import SKIP_SENTINEL, SignatureStore, issuing_kinds
from .gemini.stops import stop_cut
from .gemini.thinking import needs_signatures
from .http.body import json_response
from .http.budget import LEDGER
from .http.media import MediaFetcher
from .http.respond import as_client_error, client_gone, stream_response
from .outcome import Outcome
from .personal import PersonalLease, current as personal_account, personal_catalog, personal_error
from .pool import Lease, no_usable_account
from .upstreams import UPSTREAM_KINDS
from .upstreams.base import NAMED_GEM, Capability, NeedsReauth, Upstream

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


@dataclass(slots=True)
class Opened:
    """A stream whose first chunk has arrived: that chunk, the rest, and the lease that serves it."""

    first: dict
    rest: AsyncIterator[dict]
    lease: Lease


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
                await _keep_failure(work, err, ctx)
        except Exception as exc:
            err = as_client_error(exc, "running a background response")
            await _keep_failure(work, err, ctx)
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


async def _keep_failure(work: Generation, err: GatewayError, ctx: RenderContext) -> None:
    """`reply.failed`; its own failure is logged, never raised (the run's outcome is still closed)."""
    try:
        await work.reply.failed(err, ctx)
    except Exception:
        log.exception("keeping a failed background response")


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


async def with_failover(
    gw: Gateway,
    spec: ModelSpec,
    capability: Capability,
    outcome: Outcome,
    attempt: Callable[[Upstream, Lease], Awaitable[T]],
    prefer: frozenset[str] = frozenset(),
    pinned: str | None = None,
) -> T:
    """Run `attempt` on one account after another until one succeeds or `max_attempts` is reached, the
    `pinned` account first when it can serve now (`Pool.acquire`).

    Only accounts whose kind has `capability` are tried; accounts of the `prefer` kinds first while one of
    them can serve (the kinds that issued the thought signatures the request replays: another kind would
    refuse them, `_unsigned_on_refusal`). A failure the request caused ends it at once (no
    other account would answer differently, and none is blamed); an UNCLEAR one is booked on its account
    only when a later account serves the same request (errors.Cause). An account whose credential the pool
    booked as rejected (401) is tried again once, after its refresh. Raises GatewayError: the most
    informative upstream failure as the client sees it, or the pool's own (429 cooling, 503 none usable, 400
    no kind can do it).
    """
    record = personal_account()
    if record is not None:
        return await _personal(gw, record, spec, capability, outcome, attempt)
    kinds = gw.kinds_with(capability)
    if not kinds or (spec.kinds is not None and not kinds & spec.kinds):
        raise GatewayError(400, f"No upstream kind serving '{spec.requested}' supports {capability.value}")
    tried: list[str] = []
    refreshed: set[str] = set()
    failures: list[UpstreamError] = []
    unclear: list[tuple[Lease, UpstreamError]] = []
    for _ in range(max(1, gw.settings.max_attempts)):
        try:
            lease = await _acquire(gw, spec, kinds, prefer, tried, capability.value, pinned)
        except GatewayError:
            if failures:  # what the upstream said beats the pool's own view of it
                raise most_informative(failures).to_gateway() from None
            if tried:  # every account tried was found to need re-auth before anything was sent
                raise no_usable_account(spec.requested) from None
            raise
        account = lease.account
        tried.append(account.id)
        outcome.attempts += 1
        outcome.account, outcome.kind = account.record.name, account.kind
        upstream = gw.upstreams[account.kind]
        try:
            try:
                await gw.credentials.fresh(upstream, account.record)
            except NeedsReauth as exc:
                # The account's own state, found before anything was sent: not this request's failure (and its
                # reason, naming the account, is the operator's). The next account is tried, or the pool says
                # none is usable.
                gw.pool.needs_reauth(account, exc.reason)
                outcome.attempts -= 1
                continue
            result = await attempt(upstream, lease)
        except UpstreamError as err:
            _book(gw, lease, err)
            if err.failure is Failure.AUTH_EXPIRED and err.books and account.id not in refreshed:
                refreshed.add(account.id)  # marked stale by _book: refreshed, then this account once more
                tried.remove(account.id)
            failures.append(err)
            if not err.retryable:
                raise err.to_gateway() from None
            if err.cause is Cause.UNCLEAR:
                unclear.append((lease, err))
            continue
        lease.success()
        for earlier, err in unclear:  # this account served what they refused: it was about them
            _book(gw, earlier, err, confirmed=True)
        return result
    if not failures:
        raise no_usable_account(spec.requested)
    raise most_informative(failures).to_gateway()


async def _personal(
    gw: Gateway, record, spec: ModelSpec, capability: Capability, outcome: Outcome,
    attempt: Callable[[Upstream, Lease], Awaitable[T]],
) -> T:
    """`attempt` once on the account the request carries for itself (`gemgate.personal`): no pool, no
    failover, nothing booked, no credential persisted. Raises GatewayError: 400 when its kind cannot do
    `capability`, else its failure as `personal_error`."""
    if record.kind not in gw.kinds_with(capability):
        raise GatewayError(400, f"The per-request {record.kind} credentials cannot serve {capability.value}")
    outcome.attempts += 1
    outcome.account, outcome.kind = record.name, record.kind
    try:
        return await attempt(gw.upstreams[record.kind], PersonalLease(record, spec.model, capability.value))
    except UpstreamError as err:
        raise personal_error(err) from None


async def _acquire(
    gw: Gateway, spec: ModelSpec, kinds: frozenset[str], prefer: frozenset[str], tried: list[str], capability: str,
    pinned: str | None = None,
) -> Lease:
    """`pool.acquire` (of the `prefer` kinds first, `_preferred`), except that an account whose quota cooldown
    ended unchecked has its quota read first and is passed over when the reading cools it again (each such
    account at most once: it then cools). Raises GatewayError as `Pool.acquire`."""
    while True:
        lease = _preferred(gw, spec, kinds, prefer, tried, capability, pinned)
        if not lease.recheck or await gw.quota.recheck(lease):
            return lease


def _preferred(
    gw: Gateway, spec: ModelSpec, kinds: frozenset[str], prefer: frozenset[str], tried: list[str], capability: str,
    pinned: str | None = None,
) -> Lease:
    """An account of the `prefer` kinds when one can serve now, else of any of `kinds` (a preference, not a
    pin: the pool's errors come from the wider choice)."""
    preferred = kinds & prefer
    if preferred and preferred != kinds:
        try:
            return gw.pool.acquire(spec, preferred, tried, capability, pinned)
        except GatewayError:
            pass  # none of the issuing kind is usable now: another kind, whose refusal the sentinel answers
    return gw.pool.acquire(spec, kinds, tried, capability, pinned)


# Which failure tells a client most when several accounts failed differently: a retry hint first (another
# try may work), then what the model's host said about the model, then passing faults, then account faults.
_INFORMATIVE = (
    Failure.RATE_LIMITED,
    Failure.QUOTA_EXHAUSTED,
    Failure.CAPACITY,
    Failure.NOT_FOUND,
    Failure.TIMEOUT,
    Failure.TRANSIENT,
    Failure.MALFORMED,
    Failure.AUTH_EXPIRED,
    Failure.FORBIDDEN,
    Failure.BAD_REQUEST,
)


def most_informative(failures: list[UpstreamError]) -> UpstreamError:
    """The failure to report when failover ran out: the latest of the best-ranked kind, one that is not only
    about its own account first (an unclear 403 says more about the request than another key's ban)."""
    return min(reversed(failures), key=lambda f: (_INFORMATIVE.index(f.failure), f.cause is Cause.ACCOUNT))


def _book(gw: Gateway, lease: Lease, err: UpstreamError, confirmed: bool = False) -> None:
    """Tell the pool how `lease`'s attempt failed (`confirmed`: an UNCLEAR failure shown to be the account's,
    already counted); a rejected credential the pool books is refreshed before its next use."""
    if confirmed:
        lease.confirm(err)
    else:
        lease.failure(err)
    if err.failure is Failure.AUTH_EXPIRED and err.books:
        gw.credentials.mark_stale(lease.account.id, lease.account.record.version)


# Google's 400 for a thought signature it did not issue ("Corrupted thought signature."): one from another
# upstream kind (Gemini API and Code Assist signatures are not interchangeable, reference/codeassist-and-
# gemini-api.md A3), or a stale one; Claude through Antigravity says "Invalid `signature` in `thinking`
# block" or "Thought signature is not valid." (§6.3). reference/antigravity.md §8: drop the signatures and
# retry once (Claude's upstream then drops the unsigned thinking blocks, upstreams/code_assist/claude.py).
_SIGNATURE_REFUSED = re.compile(r"thought.?signature|signature.{0,2} in .{0,2}thinking", re.IGNORECASE)


async def _unsigned_on_refusal(request: dict, call: Callable[[], Awaitable[T]]) -> T:
    """`call()`; when the upstream refuses the request's thought signatures, once more with them replaced by
    the skip sentinel on function calls (and dropped elsewhere), which Google accepts. The history is then
    normalised again: an empty text part that only carried a signature (Gemini 3's closing `{"text": "",
    "thoughtSignature": …}`) is an "empty text parameter" 400 once unsigned, so it goes (and a turn left empty)."""
    try:
        return await call()
    except UpstreamError as err:
        if err.failure is not Failure.BAD_REQUEST or not _SIGNATURE_REFUSED.search(err.message):
            raise
        if not _drop_signatures(request):
            raise
        normalise_history(request)
        log.info("thought signatures refused (%s): retried with the skip sentinel", err.message[:80])
        return await call()


def _drop_signatures(request: dict) -> bool:
    """Replace the thought signatures of the request's history: the sentinel on function calls, none on other
    parts. Whether any was replaced."""
    changed = False
    for content in request.get("contents") or ():
        for part in content.get("parts") or () if isinstance(content, dict) else ():
            if isinstance(part, dict) and part.get("thoughtSignature") not in (None, SKIP_SENTINEL):
                if "functionCall" in part:
                    part["thoughtSignature"] = SKIP_SENTINEL
                else:
                    del part["thoughtSignature"]
                changed = True
    return changed


def _malformed_error() -> UpstreamError:
    return UpstreamError(Failure.MALFORMED, "the model produced a malformed function call")


async def open_stream(
    gw: Gateway,
    spec: ModelSpec,
    request: dict,
    outcome: Outcome,
    started: float,
    prefer: frozenset[str] = frozenset(),
    cut: CutFactory | None = None,
    pinned: str | None = None,
) -> Opened:
    """Start generation and wait for the first chunk, failing over while nothing has been sent (accounts of
    the `prefer` kinds first, the `pinned` account before all, see `with_failover`).

    `started` is the request's arrival (event-loop seconds) for the outcome's ttfb. A first chunk that is a
    malformed function call counts as Failure.MALFORMED. Thoughts are passed on as they come; when the
    generation then ends in MALFORMED_FUNCTION_CALL before any answer part (gemini-cli capture
    context-compress-interactive.compress.responses: thoughts, then that finish with no content), the
    stream goes on with a new generation on another account (`_continued`). Every attempt's chunks go through
    a fresh `cut(kind applies stop sequences)` (`_through`). Raises GatewayError as `with_failover` does.
    """
    loop = asyncio.get_running_loop()

    def attempt(upstream: Upstream, lease: Lease) -> Awaitable[Opened]:
        """Open the stream on this account (signatures dropped and tried once more if refused)."""
        return _unsigned_on_refusal(request, lambda: opening(upstream, lease))

    async def opening(upstream: Upstream, lease: Lease) -> Opened:
        """Open the stream on this account; the first chunk must arrive and be usable."""
        chunks = _through(upstream, cut, upstream.stream(lease.account.record, spec.model, request))
        try:
            first = await anext(chunks)
            if malformed_call(first):
                raise _malformed_error()
        except BaseException:
            await chunks.aclose()
            raise
        if outcome.ttfb is None:
            outcome.ttfb = loop.time() - started
        return Opened(first, chunks, lease)

    def reopen() -> Awaitable[Opened]:
        """A new generation of the same request, with failover (after a malformed call mid-way)."""
        return with_failover(gw, spec, Capability.GENERATE, outcome, attempt, prefer, pinned)

    opened = await reopen()
    return Opened(opened.first, _continued(opened, reopen, outcome, gw.settings.max_attempts), opened.lease)


async def _continued(
    opened: Opened, reopen: Callable[[], Awaitable[Opened]], outcome: Outcome, max_attempts: int
) -> AsyncIterator[dict]:
    """The rest of a stream. The latest usage goes to the outcome and a failure mid-way is booked on the
    account serving it. A MALFORMED_FUNCTION_CALL finish before any answer part (only thoughts were sent)
    is booked as Failure.MALFORMED and the stream continues with a new generation, first chunk included,
    while the request has attempts left (`max_attempts` in all); then it is raised as an UpstreamError.
    The client has had the thoughts once: a new generation's own thoughts are left out until its answer
    starts, so the stream shows what the non-streaming answer shows (one generation's thoughts)."""
    current = opened
    answered = any(is_answer_part(part) for _, part in walk(current.first))
    resumed = False
    while True:
        usage = current.first.get("usageMetadata")
        again = False
        try:
            async for chunk in current.rest:
                usage = chunk.get("usageMetadata") or usage
                if not answered:
                    if malformed_call(chunk):
                        current.lease.failure(_malformed_error())
                        if outcome.attempts >= max_attempts:
                            raise _malformed_error()
                        again = True
                        break
                    answered = any(is_answer_part(part) for _, part in walk(chunk))
                    if resumed:
                        chunk = without_thoughts(chunk)
                        if chunk is None:
                            continue
                yield chunk
        except UpstreamError as err:
            if err.failure is not Failure.MALFORMED:
                current.lease.failure(err)
            raise
        finally:
            outcome.tokens_from(usage_tokens(usage))
            await current.rest.aclose()
        if not again:
            return
        current = await reopen()
        resumed = True
        answered = any(is_answer_part(part) for _, part in walk(current.first))
        first = without_thoughts(current.first)
        if first is not None:
            yield first


async def generate_whole(
    gw: Gateway, spec: ModelSpec, request: dict, outcome: Outcome, prefer: frozenset[str] = frozenset(),
    cut: CutFactory | None = None,
    pinned: str | None = None,
) -> dict:
    """A complete Gemini GenerateContentResponse for a non-streaming caller (the stream, through the attempt's
    `cut` as a streamed answer's is, folded by `aggregate`); any failure, even mid-stream, tries another
    account (of the `prefer` kinds first, the `pinned` one before all). Raises GatewayError as `with_failover`."""

    def attempt(upstream: Upstream, lease: Lease) -> Awaitable[dict]:
        """The whole answer from this account (signatures dropped and tried once more if refused)."""
        return _unsigned_on_refusal(request, lambda: folded(upstream, lease))

    async def folded(upstream: Upstream, lease: Lease) -> dict:
        """The whole stream from this account, folded; a malformed answer counts as a failure."""
        chunks = _through(upstream, cut, upstream.stream(lease.account.record, spec.model, request))
        response = aggregate([c async for c in chunks])
        if malformed_call(response):
            raise _malformed_error()
        outcome.tokens_from(usage_tokens(response.get("usageMetadata")))
        return response

    return await with_failover(gw, spec, Capability.GENERATE, outcome, attempt, prefer, pinned)


def _through(upstream: Upstream, cut: CutFactory | None, chunks: AsyncIterator[dict]) -> AsyncIterator[dict]:
    """One attempt's upstream chunks through a fresh ChunkCut, if `cut` makes one for this kind; else as they
    are (no cost per chunk when the request needs no cut)."""
    hook = cut(upstream.applies_stop_sequences) if cut is not None else None
    return chunks if hook is None else _cut(chunks, hook)


async def _cut(chunks: AsyncIterator[dict], hook: ChunkCut) -> AsyncIterator[dict]:
    """`chunks` through `hook`, closing the upstream stream as soon as the hook says to stop, before the last
    chunk is passed on: the connection closes and the model generates (and bills) no more. The usage then
    is the last usageMetadata the upstream sent, on or before the cut chunk (it counts the tokens generated
    up to that chunk, the sequence and any text after it in the chunk included; what Google generated after
    it, before it saw the connection close, is never reported to us). The stream and the fold of a whole
    answer both come through here, so both give the same figures."""
    try:
        async for chunk in chunks:
            out, stop = hook(chunk)
            if stop:
                await chunks.aclose()
                yield out
                return
            yield out
        last = hook.end()
        if last is not None:
            yield last
    finally:
        await chunks.aclose()
