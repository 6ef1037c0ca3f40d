"""In-process benchmark of gemgate's own translation work per request, without sockets. Prints figures.

What one request costs in gemgate's code alone: parsing the client's body, preparing the Gemini request
(model name effects, history normalisation), and rendering the upstream's answer whole and as a stream, for
a few representative requests in each dialect. Network, HTTP parsing and the event loop are left out (see
bench_gateway.py for the whole path), so figures are steady on a shared machine and show regressions in the
translation itself.

    python benchmarks/bench_translate.py [--seconds 1.0] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import orjson

from gemgate.catalog import Catalog
from gemgate.config import Settings
from gemgate.dialects.base import ParseInput, RenderContext
from gemgate.dialects.gemini_native.request import parse_model_action
from gemgate.dialects.openai.chat_request import parse_chat
from gemgate.gemini.aggregate import aggregate
from gemgate.gemini.signatures import SignatureStore
from gemgate.http.media import MediaFetcher
from gemgate.pipeline import prepare

MODEL = "gemini-2.5-flash"
TOOLS = [{"type": "function", "function": {"name": f"tool_{i}", "description": "Does a thing.", "parameters": {
    "type": "object", "properties": {"path": {"type": "string"}, "limit": {"type": "integer", "minimum": 1}},
    "required": ["path"]}}} for i in range(8)]
AGENT_HISTORY = [{"role": "system", "content": "You are a coding agent."}]
for turn in range(10):
    AGENT_HISTORY += [
        {"role": "user", "content": f"step {turn}: read the file"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{turn}", "type": "function", "function": {"name": "tool_1", "arguments": '{"path": "a.py"}'}}]},
        {"role": "tool", "tool_call_id": f"call_{turn}", "content": "print('hello')\n" * 20},
    ]

CHAT = {
    "openai-hello": {"model": MODEL, "messages": [{"role": "user", "content": "hello world"}]},
    "openai-agent-20turns-8tools": {"model": MODEL, "messages": AGENT_HISTORY, "tools": TOOLS},
}
NATIVE = {
    "gemini-hello": {"contents": [{"role": "user", "parts": [{"text": "hello world"}]}]},
}
ANSWER = [
    {"candidates": [{"content": {"role": "model", "parts": [{"text": f"word{i} "}]}, "index": 0}],
     "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3}, "modelVersion": MODEL, "responseId": "r"}
    for i in range(8)
] + [{"candidates": [{"content": {"role": "model", "parts": [{"text": "end."}]}, "finishReason": "STOP", "index": 0}],
      "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 9, "totalTokenCount": 12},
      "modelVersion": MODEL, "responseId": "r"}]


def _catalog() -> Catalog:
    catalog = Catalog()
    catalog.replace({"gemini-api": {MODEL: {"name": f"models/{MODEL}", "outputTokenLimit": 65536}}})
    return catalog


async def _rest(chunks):
    for chunk in chunks:
        yield chunk


async def _measure(seconds: float, step, rounds: int = 7) -> float:
    """Microseconds per call of the coroutine function `step`: the best of `rounds` runs sharing about
    `seconds` (CPU time of this process, and the best run: the one least disturbed by other work on a shared machine)."""
    for _ in range(50):
        await step()
    best = float("inf")
    for _ in range(rounds):
        n, start = 0, time.process_time()
        while time.process_time() - start < seconds / rounds:
            for _ in range(20):
                await step()
            n += 20
        best = min(best, (time.process_time() - start) / n * 1e6)
    return best


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="measuring time per figure (seconds)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    args = parser.parse_args()
    catalog, media = _catalog(), MediaFetcher(Settings())
    ctx = RenderContext(SignatureStore(None), False)
    figures: dict[str, dict[str, float]] = {}

    def parse(name: str):
        if name in CHAT:
            raw = orjson.dumps(CHAT[name])
            return lambda: parse_chat(ParseInput(orjson.loads(raw), {}, {}, {}))
        raw = orjson.dumps(NATIVE[name])
        return lambda: parse_model_action(ParseInput(orjson.loads(raw), {"rest": f"{MODEL}:generateContent"}, {}, {}))

    for name in [*CHAT, *NATIVE]:
        make = parse(name)
        work = make()  # a reply renders any number of answers: one is enough to time rendering

        async def parse_only():
            make()

        async def parse_prepare():
            await prepare(make(), catalog, media, ctx.signatures)

        async def render_whole():
            await work.reply.whole(aggregate(ANSWER), ctx)

        async def render_stream():
            async for _ in work.reply.stream(ANSWER[0], _rest(ANSWER[1:]), ctx):
                pass

        figures[name] = {
            "parse_us": await _measure(args.seconds, parse_only),
            "request_us": await _measure(args.seconds, parse_prepare),
            "whole_us": await _measure(args.seconds, render_whole),
            "stream_9_chunks_us": await _measure(args.seconds, render_stream),
        }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"gemgate translation benchmark (in process, no sockets; best of 7 runs in {args.seconds:g} s per figure)")
    print(f"{'request':30} {'parse µs':>9} {'+prepare µs':>12} {'whole µs':>9} {'stream µs':>10}")
    for name, f in figures.items():
        print(f"{name:30} {f['parse_us']:9.1f} {f['request_us']:12.1f} {f['whole_us']:9.1f} {f['stream_9_chunks_us']:10.1f}")
    print("parse = the client's body to a Gemini request; +prepare = that and pipeline.prepare (model effects,")
    print("history rules); whole = fold of a 9-chunk answer rendered whole; stream = the 9 chunks rendered as a stream.")


if __name__ == "__main__":
    asyncio.run(main())
