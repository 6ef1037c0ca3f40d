"""An attempt's answer as the pipeline reads it: streams opened with failover until their first chunk
(`open_stream`), continued on another account while nothing reached the client, or folded whole
(`generate_whole`); thought signatures an upstream refuses dropped and tried once more; chunks cut by the
request's stop sequences (`_cut`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from .catalog import ModelSpec
from .dialects.base import ChunkCut, CutFactory
from .errors import Failure, UpstreamError
from .gateway import Gateway
from .gemini.aggregate import aggregate
from .gemini.normalise import normalise_history
from .gemini.parts import is_answer_part, malformed_call, usage_tokens, walk, without_thoughts
from .gemini.signatures import SKIP_SENTINEL
from .outcome import Outcome
from .failover import with_failover
from .pool import Lease
from .upstreams.base import Capability, Upstream


T = TypeVar("T")
log = logging.getLogger("gemgate.pipeline")


@dataclass(slots=True)
class Opened:
    """A stream whose first chunk has arrived: that chunk, the rest, and the lease that serves it."""

    first: dict
    rest: AsyncIterator[dict]
    lease: Lease


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
