"""Cost of keeping thought signatures in the store (SQLite) versus carrying them in the tool-call id.

Prints figures; asserts nothing. Signature sizes come from the captures in ../shared/fixtures (or a
spread of typical sizes when they are absent): measured 98 to 5489 characters, median 917.

    python benchmarks/bench_signatures.py [--n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from gemgate.gemini.signatures import SignatureStore
from gemgate.store.crypto import SecretBox, load_master_key
from gemgate.store.sqlite import SQLiteStore

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def signature_sizes() -> list[int]:
    sizes = []
    if FIXTURES.is_dir():
        for path in FIXTURES.rglob("*"):
            if path.is_file() and path.stat().st_size < 5_000_000:
                text = path.read_text(errors="replace")
                sizes += [len(m) for m in re.findall(r'"thoughtSignature": ?"([^"]*)"', text)]
    return sizes or [100, 900, 5500]


async def run(n: int) -> None:
    sizes = signature_sizes()
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "b.db", SecretBox(load_master_key("bench", Path(tmp) / "k")))
        await store.open()
        sigs = SignatureStore(store)
        values = [base64.b64encode(os.urandom(sizes[i % len(sizes)] * 3 // 4)).decode() for i in range(n)]
        put, get_cold = [], []
        for i, value in enumerate(values):
            t = time.perf_counter()
            await sigs.put(f"call_{i}", value)
            put.append(time.perf_counter() - t)
        cold = SignatureStore(store)  # another instance: nothing in memory
        for i in range(n):
            t = time.perf_counter()
            await cold.get_many([f"call_{i}"])
            get_cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(n):
            await sigs.get_many([f"call_{i}"])
        warm = (time.perf_counter() - t) / n
        db_bytes = sum(p.stat().st_size for p in Path(tmp).glob("b.db*"))
        await store.close()

    def ms(xs: list[float]) -> str:
        xs = sorted(xs)
        return f"p50 {statistics.median(xs) * 1000:.3f} ms, p99 {xs[int(len(xs) * 0.99)] * 1000:.3f} ms"

    print(f"signatures: {len(sizes)} captured sizes, min {min(sizes)}, median {statistics.median(sizes):.0f}, max {max(sizes)} chars")
    print(f"store put (SQLite, awaited before the tool call is sent): {ms(put)}")
    print(f"store get, another instance (cold memory):                 {ms(get_cold)}")
    print(f"get from the in-memory front:                              {warm * 1e6:.2f} us")
    print(f"database size for {n} signatures: {db_bytes / 1024:.0f} KiB ({db_bytes / n:.0f} bytes each)")
    med = statistics.median(sizes)
    print(
        f"carried in the tool-call id instead: +{med:.0f} chars per call id at the median, up to +{max(sizes)}; "
        "every later request repeats each id twice (assistant tool_calls and tool_call_id)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000)
    asyncio.run(run(p.parse_args().n))


if __name__ == "__main__":
    main()
