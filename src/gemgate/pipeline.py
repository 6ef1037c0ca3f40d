"""The path of a request: acquire an account → call the upstream → on a retryable failure before the
first byte, try the next account → hand the stream to the dialect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from .aggregate import aggregate
from .errors import GatewayError, UpstreamError, UpstreamKind
from .gateway import Gateway
from .models import ModelSpec
from .pool import Lease
from .upstreams.base import Upstream

T = TypeVar("T")


async def with_failover(gw: Gateway, spec: ModelSpec, attempt: Callable[[Upstream, Lease], Awaitable[T]]) -> T:
    """Run `attempt` on one account after another until one succeeds or a limit is reached."""
    tried: list[str] = []
    last: UpstreamError | None = None
    for _ in range(max(1, gw.settings.max_attempts)):
        try:
            lease = gw.pool.acquire(spec, tried)
        except GatewayError as err:
            if last is not None and err.status != 429:
                raise last.to_gateway() from None
            raise
        tried.append(lease.account.id)
        try:
            result = await attempt(gw.upstreams[lease.account.kind], lease)
        except UpstreamError as err:
            lease.failure(err)
            last = err
            if not err.retryable:
                raise err.to_gateway() from None
            continue
        lease.success()
        return result
    assert last is not None
    raise last.to_gateway()


@dataclass
class Opened:
    first: dict
    rest: AsyncIterator[dict]
    lease: Lease


def _malformed_call(chunk: dict) -> bool:
    """Gemini sometimes ends with MALFORMED_FUNCTION_CALL and nothing usable; another try usually works."""
    cands = chunk.get("candidates") or ()
    return bool(cands) and all(
        c.get("finishReason") == "MALFORMED_FUNCTION_CALL"
        and not any(
            "functionCall" in p or ("text" in p and not p.get("thought"))
            for p in (c.get("content") or {}).get("parts") or ()
        )
        for c in cands
    )


def _malformed_error() -> UpstreamError:
    return UpstreamError(UpstreamKind.MALFORMED, "the model produced a malformed function call")


async def open_stream(gw: Gateway, spec: ModelSpec, request: dict) -> Opened:
    """Start generation and wait for the first chunk, failing over while nothing has been sent."""

    async def attempt(upstream: Upstream, lease: Lease) -> Opened:
        chunks = upstream.stream(lease.account.record, spec.model, request)
        try:
            first = await anext(chunks)
            if _malformed_call(first):
                raise _malformed_error()
        except BaseException:
            await chunks.aclose()
            raise
        return Opened(first, _reporting(chunks, lease), lease)

    return await with_failover(gw, spec, attempt)


async def generate_whole(gw: Gateway, spec: ModelSpec, request: dict) -> dict:
    """A complete response for a non-streaming caller: any failure, even mid-stream, tries another account."""

    async def attempt(upstream: Upstream, lease: Lease) -> dict:
        response = aggregate([c async for c in upstream.stream(lease.account.record, spec.model, request)])
        if _malformed_call(response):
            raise _malformed_error()
        return response

    return await with_failover(gw, spec, attempt)


async def _reporting(chunks: AsyncIterator[dict], lease: Lease) -> AsyncIterator[dict]:
    """The rest of a stream; an error mid-way is still booked against the account."""
    try:
        async for chunk in chunks:
            yield chunk
    except UpstreamError as err:
        lease.failure(err)
        raise
    finally:
        await chunks.aclose()
