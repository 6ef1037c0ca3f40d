"""A background response's kept state is read, changed and written by several parties (the run's heartbeat and
end, a client's cancel): on one instance they go in turn, so a cancel answered `cancelled` stays cancelled even
when its writes interleave with the run's. The store here yields on every write, as a real one does."""

from __future__ import annotations

import asyncio

from gemgate.dialects.base import LocalState, ParseInput, RenderContext
from gemgate.dialects.openai.responses_reply import Echo, ResponsesReply
from gemgate.dialects.openai.responses_store import parse_cancel
from gemgate.errors import GatewayError
from gemgate.gemini.names import ToolNameMap
from gemgate.gemini.signatures import SignatureStore


class SlowStore:
    """ttl_values in memory; every write waits a moment first (the window a real store's write leaves)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def put_values(self, namespace: str, items: dict[str, str], ttl: float) -> None:
        await asyncio.sleep(0.01)
        self.values.update({f"{namespace}/{k}": v for k, v in items.items()})

    async def get_values(self, namespace: str, keys: list[str]) -> dict[str, str]:
        return {k: self.values[f"{namespace}/{k}"] for k in keys if f"{namespace}/{k}" in self.values}

    async def delete_values(self, namespace: str, keys: list[str]) -> int:
        return sum(self.values.pop(f"{namespace}/{k}", None) is not None for k in keys)


def reply(conversation: str | None = None) -> ResponsesReply:
    echo = Echo("gemini-2.5-flash", {}, store=True, summaries=False, carry=False, background=True,
                conversation=conversation)
    return ResponsesReply(echo, ToolNameMap([]), {}, {})


async def test_a_cancel_during_the_runs_first_heartbeat_stays_cancelled():
    ctx = RenderContext(SignatureStore(None), False, store=SlowStore())
    run = reply()
    await run.accepted(ctx)
    beat = asyncio.ensure_future(run.alive(ctx))  # reads `queued`, then writes its beat and `in_progress`
    await asyncio.sleep(0)
    cancel = parse_cancel(ParseInput(None, {"response_id": run.id}))
    answered = await cancel.answer(LocalState(None, ctx))
    assert answered["status"] == "cancelled"
    await beat
    assert await run.alive(ctx) is False  # the run's next heartbeat stops it
    stored = await ctx.kept("resp").get(run.id)
    assert stored["response"]["status"] == "cancelled"


async def test_a_cancel_during_the_runs_end_stays_cancelled():
    """The run's end reads `in_progress`, adds its items to its conversation, then keeps `completed`: a cancel
    answered in between is what stays."""
    ctx = RenderContext(SignatureStore(None), False, store=SlowStore())
    await ctx.kept("conv").put("conv_1", {"conversation": {"id": "conv_1"}, "segments": []})
    run = reply("conv_1")
    await run.accepted(ctx)
    assert await run.alive(ctx)
    whole = {"candidates": [{"content": {"role": "model", "parts": [{"text": "done"}]}, "finishReason": "STOP"}]}
    end = asyncio.ensure_future(run.whole(whole, ctx))
    await asyncio.sleep(0)
    cancel = parse_cancel(ParseInput(None, {"response_id": run.id}))
    try:
        answered = (await cancel.answer(LocalState(None, ctx)))["status"]
    except GatewayError as err:  # the end came first: "Cannot cancel a response with status 'completed'"
        assert err.status == 400
        answered = "completed"
    await end
    stored = await ctx.kept("resp").get(run.id)
    assert stored["response"]["status"] == answered  # what the client was told is what is kept
