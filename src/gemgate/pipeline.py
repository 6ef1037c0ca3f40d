"""The path of a request: acquire an account → call the upstream → on a retryable failure before the
first byte, try the next account → hand the stream to the dialect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import GatewayError, UpstreamError
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


async def open_stream(gw: Gateway, spec: ModelSpec, request: dict) -> Opened:
    """Start generation and wait for the first chunk, failing over while nothing has been sent."""

    async def attempt(upstream: Upstream, lease: Lease) -> Opened:
        chunks = upstream.stream(lease.account.record, spec.model, request)
        try:
            first = await anext(chunks)
        except BaseException:
            await chunks.aclose()
            raise
        return Opened(first, _reporting(chunks, lease), lease)

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


async def collect(opened: Opened) -> list[dict]:
    chunks = [opened.first]
    async for chunk in opened.rest:
        chunks.append(chunk)
    return chunks
