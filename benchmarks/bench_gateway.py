"""Load benchmark of the gemgate gateway against the fake Gemini API. Prints figures; asserts nothing about speed.

Three processes on 127.0.0.1: the fake Gemini API (benchmarks/fake_upstream.py), a real `gemgate serve`
seeded with two gemini-api accounts pointing at the fake, and this load generator (one aiohttp session).

Scenarios (each at concurrency 1 and at --concurrency, after a warm-up):
  direct-gemini-sse   POST /v1beta/models/M:streamGenerateContent?alt=sse straight to the fake (baseline)
  gw-gemini-sse       the same request through the gateway
  gw-openai           POST /v1/chat/completions through the gateway, non-streaming
  gw-openai-stream    the same with "stream": true

Usage (from the repository root, venv active):
  python benchmarks/bench_gateway.py              # default run, about a minute
  python benchmarks/bench_gateway.py --quick      # smoke run, ~15 s
  python benchmarks/bench_gateway.py --json       # machine-readable figures on stdout

Exit status: 0 = ran; 1 = some scenario's error rate exceeded --max-error-rate; 2 = setup failed;
130 = interrupted. Never non-zero because of speed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import aiohttp
import psutil

try:
    import orjson

    def _loads(data: bytes) -> Any:
        return orjson.loads(data)
except ImportError:  # pragma: no cover - gemgate depends on orjson
    def _loads(data: bytes) -> Any:
        return json.loads(data)


HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
MODEL = "gemini-2.5-flash"
CLIENT_KEY = "bench-key"
UPSTREAM_KEYS = ("bench-upstream-key-1", "bench-upstream-key-2")
PROMPT = "hello world"
EXPECTED_TEXT = "echo: hello world"


class SetupError(RuntimeError):
    """The benchmark could not get its processes running; exit status 2."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# child processes


def _die_with_parent() -> None:
    """Runs in the child before exec: get SIGTERM if this benchmark dies without cleaning up (Linux only)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort
        pass


class Children:
    """Every process this benchmark starts; all are stopped on exit, whatever the reason."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], *, env: dict[str, str], stdout: Any, stderr: Any) -> subprocess.Popen:
        proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            # Own session: a Ctrl-C in the terminal reaches only us, and we stop the children in order.
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        self.procs.append((name, proc))
        return proc

    def stop_all(self) -> None:
        # Gateway first (started last), then the fake it talks to.
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
        deadline = time.monotonic() + 8
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} (pid {proc.pid}) ignored SIGTERM; killing it")
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=3)
        self.procs.clear()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_fake(children: Children, workdir: Path) -> tuple[subprocess.Popen, str]:
    argv = [sys.executable, str(HERE / "fake_upstream.py"), "--host", HOST, "--port", "0"]
    for key in UPSTREAM_KEYS:
        argv += ["--api-key", key]
    log_path = workdir / "fake.log"
    with open(log_path, "wb") as err:
        proc = children.start("fake upstream", argv, env=dict(os.environ), stdout=subprocess.PIPE, stderr=err)
    assert proc.stdout is not None
    # The helper prints one JSON line once it listens.
    box: dict[str, Any] = {}
    reader = threading.Thread(target=lambda: box.setdefault("line", proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=30)
    line = box.get("line", b"")
    if not line:
        raise SetupError(f"fake upstream did not start (exit {proc.poll()}):\n{tail(log_path)}")
    url = json.loads(line)["url"]
    proc.stdout.close()  # it prints nothing else
    return proc, url


def gateway_env(workdir: Path, fake_url: str, log_level: str) -> dict[str, str]:
    config = workdir / "config.toml"
    config.write_text("# empty: the benchmark configures gemgate through the environment only\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEMGATE_")}
    env.update(
        GEMGATE_CONFIG_FILE=str(config),  # never read the user's own config
        GEMGATE_DATA_DIR=str(workdir / "data"),
        GEMGATE_MASTER_KEY="bench",
        GEMGATE_CLIENT_KEYS=json.dumps([CLIENT_KEY]),
        GEMGATE_UPSTREAMS__GEMINI_API__BASE_URL=fake_url,
        GEMGATE_LOG_LEVEL=log_level,
    )
    return env


def gemgate_cli(env: dict[str, str], *args: str) -> None:
    argv = [sys.executable, "-m", "gemgate", *args]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise SetupError(f"`gemgate {' '.join(args[:2])}` failed ({done.returncode}):\n{done.stdout}{done.stderr}")


async def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                async with session.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return True
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.05)
    return False


def start_gateway(children: Children, workdir: Path, fake_url: str, log_level: str) -> tuple[subprocess.Popen, str]:
    env = gateway_env(workdir, fake_url, log_level)
    (workdir / "data").mkdir(exist_ok=True)
    for i, key in enumerate(UPSTREAM_KEYS, 1):
        gemgate_cli(env, "accounts", "add-apikey", key, "--name", f"a{i}", "--skip-format-check")
    log_path = workdir / "gateway.log"
    for attempt in range(3):  # a picked free port can be taken before the gateway binds it
        port = free_port()
        url = f"http://{HOST}:{port}"
        with open(log_path, "wb") as out:
            proc = children.start(
                "gateway",
                [sys.executable, "-m", "gemgate", "serve", "--host", HOST, "--port", str(port)],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        if asyncio.run(wait_healthy(url, proc)):
            return proc, url
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=5)
        if "address already in use" not in tail(log_path).lower():
            break
    raise SetupError(f"gateway did not answer /healthz (exit {proc.poll()}):\n{tail(log_path)}")


# ---------------------------------------------------------------------------------------------------------------
# scenarios


def _gemini_sse_ok(body: bytes) -> bool:
    text = []
    for line in body.split(b"\n"):
        if line.startswith(b"data:"):
            chunk = _loads(line[5:])
            for cand in chunk.get("candidates") or ():
                text.extend(p.get("text", "") for p in (cand.get("content") or {}).get("parts") or ())
    return "".join(text) == EXPECTED_TEXT


def _openai_ok(body: bytes) -> bool:
    return _loads(body)["choices"][0]["message"]["content"] == EXPECTED_TEXT


def _openai_stream_ok(body: bytes) -> bool:
    text = []
    done = False
    for line in body.split(b"\n"):
        if not line.startswith(b"data:"):
            continue
        data = line[5:].strip()
        if data == b"[DONE]":
            done = True
            continue
        for choice in _loads(data).get("choices") or ():
            text.append((choice.get("delta") or {}).get("content") or "")
    return done and "".join(text) == EXPECTED_TEXT


SCENARIO_NAMES = ("direct-gemini-sse", "gw-gemini-sse", "gw-openai", "gw-openai-stream")


@dataclass(frozen=True)
class Scenario:
    name: str
    target: str  # "direct" or "gateway"
    url: str
    headers: dict[str, str]
    body: bytes
    stream: bool
    validate: Callable[[bytes], bool]


def build_scenarios(fake_url: str, gateway_url: str) -> list[Scenario]:
    gemini_body = json.dumps({"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}).encode()
    openai = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]}
    sse_path = f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
    json_ct = {"Content-Type": "application/json"}
    bearer = {**json_ct, "Authorization": f"Bearer {CLIENT_KEY}"}
    return [
        Scenario("direct-gemini-sse", "direct", fake_url + sse_path,
                 {**json_ct, "x-goog-api-key": UPSTREAM_KEYS[0]}, gemini_body, True, _gemini_sse_ok),
        Scenario("gw-gemini-sse", "gateway", gateway_url + sse_path,
                 {**json_ct, "x-goog-api-key": CLIENT_KEY}, gemini_body, True, _gemini_sse_ok),
        Scenario("gw-openai", "gateway", gateway_url + "/v1/chat/completions",
                 bearer, json.dumps(openai).encode(), False, _openai_ok),
        Scenario("gw-openai-stream", "gateway", gateway_url + "/v1/chat/completions",
                 bearer, json.dumps({**openai, "stream": True}).encode(), True, _openai_stream_ok),
    ]


# ---------------------------------------------------------------------------------------------------------------
# load generation


@dataclass
class Sample:
    latency: float
    ttfc: float | None  # time to first chunk
    ok: bool
    error: str | None = None


async def one_request(session: aiohttp.ClientSession, sc: Scenario) -> Sample:
    t0 = time.perf_counter()
    ttfc = None
    try:
        async with session.post(sc.url, data=sc.body, headers=sc.headers) as resp:
            buf = bytearray()
            async for piece in resp.content.iter_any():
                buf += piece
                # A stream's first chunk is the first body bytes holding an event; otherwise any body bytes.
                if ttfc is None and (not sc.stream or b"data:" in buf):
                    ttfc = time.perf_counter() - t0
            latency = time.perf_counter() - t0
            if resp.status != 200:
                return Sample(latency, ttfc, False, f"HTTP {resp.status}: {bytes(buf[:200])!r}")
        try:
            valid = sc.validate(bytes(buf))
        except Exception as exc:  # noqa: BLE001 - any unreadable body is an error
            valid, buf = False, bytearray(f"{type(exc).__name__}: {exc}; body {bytes(buf[:160])!r}".encode())
        if not valid:
            return Sample(latency, ttfc, False, f"unexpected body: {bytes(buf[:200])!r}")
        return Sample(latency, ttfc, True)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        return Sample(time.perf_counter() - t0, ttfc, False, f"{type(exc).__name__}: {exc}")


async def drive(session: aiohttp.ClientSession, sc: Scenario, concurrency: int, *,
                requests: int | None, duration: float | None) -> tuple[list[Sample], float]:
    """`concurrency` workers issue requests back to back until `requests` are sent or `duration` has passed."""
    samples: list[Sample] = []
    issued = 0
    start = time.perf_counter()
    deadline = start + duration if duration is not None else None

    async def worker() -> None:
        nonlocal issued
        while True:
            if requests is not None:
                if issued >= requests:
                    return
                issued += 1
            elif time.perf_counter() >= deadline:
                return
            samples.append(await one_request(session, sc))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples, time.perf_counter() - start


class ProcessWatch:
    """Samples the RSS of the watched processes on a thread; CPU time is read at run boundaries."""

    def __init__(self, procs: dict[str, psutil.Process], interval: float = 0.05) -> None:
        self.procs = procs
        self.interval = interval
        self.peak: dict[str, int] = {name: 0 for name in procs}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        for name, proc in self.procs.items():
            with contextlib.suppress(psutil.Error):
                self.peak[name] = max(self.peak[name], proc.memory_info().rss)

    def reset_peaks(self) -> None:
        self.peak = {name: 0 for name in self.procs}
        self.sample()

    def cpu_seconds(self) -> dict[str, float]:
        out = {}
        for name, proc in self.procs.items():
            with contextlib.suppress(psutil.Error):
                t = proc.cpu_times()
                out[name] = t.user + t.system
        # Busy time of the whole machine, to tell how much went to processes other than these three.
        total = psutil.cpu_times()
        out["machine"] = sum(total) - total.idle - getattr(total, "iowait", 0.0)
        return out

    def rss(self) -> dict[str, int]:
        out = {}
        for name, proc in self.procs.items():
            with contextlib.suppress(psutil.Error):
                out[name] = proc.memory_info().rss
        return out

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)


def summarise(sc: Scenario, concurrency: int, samples: list[Sample], wall: float,
              peak: dict[str, int], cpu: dict[str, float]) -> dict[str, Any]:
    ok = [s for s in samples if s.ok]
    errors = [s for s in samples if not s.ok]
    lat = [s.latency for s in ok]
    ttfc = [s.ttfc for s in ok if s.ttfc is not None]
    first_errors: dict[str, int] = {}
    for s in errors:
        first_errors[s.error or "?"] = first_errors.get(s.error or "?", 0) + 1
    return {
        "scenario": sc.name,
        "target": sc.target,
        "concurrency": concurrency,
        "requests": len(samples),
        "errors": len(errors),
        "error_rate": (len(errors) / len(samples)) if samples else 0.0,
        "error_kinds": dict(sorted(first_errors.items(), key=lambda kv: -kv[1])[:5]),
        "seconds": round(wall, 3),
        "rps": round(len(samples) / wall, 1) if wall > 0 else 0.0,
        "latency_ms": {"p50": ms(pct(lat, 50)), "p99": ms(pct(lat, 99)), "max": ms(max(lat) if lat else None)},
        "ttfc_ms": {"p50": ms(pct(ttfc, 50)), "p99": ms(pct(ttfc, 99))},
        "peak_rss_mb": {name: round(v / 2**20, 1) for name, v in peak.items()},
        # CPU use during the measured window, as % of one core (200 = both cores of a 2-core box).
        "cpu_percent": {name: round(100 * v / wall, 1) for name, v in cpu.items()} if wall > 0 else {},
        # CPU milliseconds spent per request: unlike req/s, barely moved by other load on the machine.
        "cpu_ms_per_request": {name: round(1000 * v / len(samples), 3) for name, v in cpu.items()
                               if name != "other"} if samples else {},
    }


async def run_all(args: argparse.Namespace, fake_url: str, gateway_url: str, watch: ProcessWatch) -> dict[str, Any]:
    scenarios = build_scenarios(fake_url, gateway_url)
    if args.scenarios:
        scenarios = [s for s in scenarios if s.name in args.scenarios]
    levels = sorted({1, args.concurrency}) if args.low_load else [args.concurrency]
    connector = aiohttp.TCPConnector(limit=0, force_close=False, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    results: list[dict[str, Any]] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, skip_auto_headers=("User-Agent",)) as session:
        # Correctness first: one request per scenario must succeed or the numbers mean nothing.
        for sc in scenarios:
            probe = await one_request(session, sc)
            if not probe.ok:
                raise SetupError(f"{sc.name}: the first request failed: {probe.error}")
        for concurrency in levels:
            for sc in scenarios:
                if args.warmup > 0:
                    await drive(session, sc, concurrency, requests=None, duration=args.warmup)
                n = args.requests if args.requests is not None else None
                if n is not None and concurrency == 1 and args.low_load_requests is not None:
                    n = args.low_load_requests
                log(f"  {sc.name:<18} c={concurrency:<3} "
                    + (f"{n} requests" if n is not None else f"{args.duration:g} s") + " ...")
                watch.reset_peaks()
                cpu0 = watch.cpu_seconds()
                samples, wall = await drive(session, sc, concurrency, requests=n,
                                            duration=None if n is not None else args.duration)
                cpu1 = watch.cpu_seconds()
                watch.sample()
                cpu = {k: cpu1[k] - cpu0[k] for k in cpu1 if k in cpu0}
                if "machine" in cpu:
                    mine = sum(v for k, v in cpu.items() if k != "machine")
                    cpu["other"] = max(0.0, cpu.pop("machine") - mine)
                results.append(summarise(sc, concurrency, samples, wall, dict(watch.peak), cpu))
    return {"results": results, "comparisons": compare(results)}


def compare(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each gateway scenario against the direct baseline at the same concurrency."""
    out = []
    direct = {r["concurrency"]: r for r in results if r["target"] == "direct"}
    for r in results:
        base = direct.get(r["concurrency"])
        if r["target"] != "gateway" or base is None:
            continue
        gp50, dp50 = r["latency_ms"]["p50"], base["latency_ms"]["p50"]
        gt50, dt50 = r["ttfc_ms"]["p50"], base["ttfc_ms"]["p50"]
        out.append({
            "scenario": r["scenario"],
            "concurrency": r["concurrency"],
            "added_p50_latency_ms": round(gp50 - dp50, 3) if gp50 is not None and dp50 is not None else None,
            "added_p50_ttfc_ms": round(gt50 - dt50, 3) if gt50 is not None and dt50 is not None else None,
            "throughput_ratio": round(r["rps"] / base["rps"], 3) if base["rps"] else None,
        })
    return out


# ---------------------------------------------------------------------------------------------------------------
# output


def _f(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(report: dict[str, Any]) -> None:
    env = report["environment"]
    print(f"gemgate gateway benchmark  (python {env['python']}, {env['cpus']} CPUs, {env['platform']}, "
          f"load average before: {env['loadavg_1m_before']})")
    mode = f"{report['settings']['requests']} requests" if report["settings"]["requests"] else \
        f"{report['settings']['duration']:g} s"
    print(f"model {MODEL}, prompt {PROMPT!r}; per run: warm-up {report['settings']['warmup']:g} s, then {mode}")
    print(f"gateway RSS: {report['gateway_rss_mb']['after_start']} MB after start, "
          f"{report['gateway_rss_mb']['at_end']} MB at end, peak {report['gateway_rss_mb']['peak']} MB")
    print()
    head = (f"{'scenario':<18} {'conc':>4} {'reqs':>6} {'err':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'ttfc50':>8} {'ttfc99':>8} {'gw RSS MB':>9} {'CPU ms/req gw':>13} {'CPU% gw/fake/client/other':>25}")
    print(head)
    print("-" * len(head))
    last_c = None
    for r in report["results"]:
        if last_c is not None and r["concurrency"] != last_c:
            print()
        last_c = r["concurrency"]
        cpu = r["cpu_percent"]
        gw_ms = r["cpu_ms_per_request"].get("gateway")
        per_req = "-" if r["target"] != "gateway" or gw_ms is None else f"{gw_ms:.3f}"
        cpu_text = "/".join(f"{cpu.get(k, 0):.0f}" for k in ("gateway", "fake", "client", "other"))
        print(f"{r['scenario']:<18} {r['concurrency']:>4} {r['requests']:>6} {r['errors']:>4} {r['rps']:>8.1f} "
              f"{_f(r['latency_ms']['p50']):>8} {_f(r['latency_ms']['p99']):>8} "
              f"{_f(r['ttfc_ms']['p50']):>8} {_f(r['ttfc_ms']['p99']):>8} "
              f"{r['peak_rss_mb'].get('gateway', 0):>9.1f} {per_req:>13} {cpu_text:>25}")
    if report["comparisons"]:
        print()
        print("gateway vs direct (same concurrency):")
        head2 = f"{'scenario':<18} {'conc':>4} {'+p50 latency ms':>16} {'+p50 ttfc ms':>13} {'throughput ratio':>17}"
        print(head2)
        print("-" * len(head2))
        for c in report["comparisons"]:
            print(f"{c['scenario']:<18} {c['concurrency']:>4} {_f(c['added_p50_latency_ms']):>16} "
                  f"{_f(c['added_p50_ttfc_ms']):>13} {_f(c['throughput_ratio'], 3):>17}")
    bad = [r for r in report["results"] if r["errors"]]
    if bad:
        print()
        print("errors:")
        for r in bad:
            for kind, n in r["error_kinds"].items():
                print(f"  {r['scenario']} c={r['concurrency']}: {n} x {kind[:160]}")
    print()
    print("ttfc = time to first chunk (first body bytes holding 'data:' for streams, first body bytes otherwise).")
    print(f"CPU% = share of one core during the run ({env['cpus']} cores in all); 'other' = the rest of the machine,"
          " i.e. noise.")
    print("CPU ms/req gw = gateway CPU time per request; steadier than req/s when the machine is shared.")


# ---------------------------------------------------------------------------------------------------------------
# main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Benchmark gemgate against the fake Gemini API (prints figures).")
    p.add_argument("--concurrency", "-c", type=int, help="concurrent requests in the loaded run (16; 4 with --quick)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--requests", "-n", type=int, help="requests per scenario and concurrency level")
    group.add_argument("--duration", "-d", type=float, help="seconds per scenario and concurrency level (default 6)")
    p.add_argument("--low-load-requests", type=int, help="with --requests: a different count for concurrency 1")
    p.add_argument("--warmup", type=float, help="warm-up seconds before each measured run (default 1)")
    p.add_argument("--no-low-load", dest="low_load", action="store_false", help="skip the concurrency-1 runs")
    p.add_argument("--scenarios", help=f"comma list of: {','.join(SCENARIO_NAMES)} (all)")
    p.add_argument("--quick", action="store_true", help="short smoke run: 1 s per run, 0.3 s warm-up, concurrency 4")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout instead of the table")
    p.add_argument("--max-error-rate", type=float, default=0.01, help="exit 1 above this error rate (0.01)")
    p.add_argument("--request-timeout", type=float, default=30.0, help="per-request timeout, seconds (30)")
    p.add_argument("--gateway-log-level", default="warning", help="gemgate log level (warning)")
    p.add_argument("--keep-dir", action="store_true", help="keep the temp dir (gateway/fake logs, data dir)")
    args = p.parse_args(argv)
    if args.quick:
        if args.duration is None and args.requests is None:
            args.duration = 1.0
        if args.warmup is None:
            args.warmup = 0.3
        if args.concurrency is None:
            args.concurrency = 4
    if args.concurrency is None:
        args.concurrency = 16
    if args.duration is None and args.requests is None:
        args.duration = 6.0
    if args.warmup is None:
        args.warmup = 1.0
    if args.scenarios:
        args.scenarios = {name.strip() for name in args.scenarios.split(",") if name.strip()}
        unknown = args.scenarios - set(SCENARIO_NAMES)
        if unknown:
            p.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if args.concurrency < 1 or (args.requests is not None and args.requests < 1) or \
            (args.duration is not None and args.duration <= 0):
        p.error("--concurrency, --requests and --duration must be positive")
    return args


def run(args: argparse.Namespace) -> int:
    children = Children()
    workdir = Path(tempfile.mkdtemp(prefix="gemgate-bench-"))
    load_before = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    try:
        log(f"setting up in {workdir} ...")
        fake_proc, fake_url = start_fake(children, workdir)
        log(f"  fake Gemini API  {fake_url}  (pid {fake_proc.pid})")
        gw_proc, gw_url = start_gateway(children, workdir, fake_url, args.gateway_log_level)
        log(f"  gateway          {gw_url}  (pid {gw_proc.pid})")
        procs = {"gateway": psutil.Process(gw_proc.pid), "fake": psutil.Process(fake_proc.pid),
                 "client": psutil.Process()}
        with ProcessWatch(procs) as watch:
            rss_start = watch.rss().get("gateway", 0)
            overall_peak = 0
            runner = _event_loop_runner()
            body = runner(run_all(args, fake_url, gw_url, watch))
            for r in body["results"]:
                overall_peak = max(overall_peak, int(r["peak_rss_mb"].get("gateway", 0) * 2**20))
            rss_end = watch.rss().get("gateway", 0)
        if gw_proc.poll() is not None:
            raise SetupError(f"the gateway exited during the run:\n{tail(workdir / 'gateway.log')}")
        report = {
            "environment": {"python": platform.python_version(), "cpus": os.cpu_count(),
                            "platform": f"{platform.system()} {platform.machine()}",
                            "loadavg_1m_before": load_before},
            "settings": {"concurrency": args.concurrency, "low_load": args.low_load, "requests": args.requests,
                         "duration": args.duration, "warmup": args.warmup, "model": MODEL, "prompt": PROMPT},
            "gateway_rss_mb": {"after_start": round(rss_start / 2**20, 1), "at_end": round(rss_end / 2**20, 1),
                               "peak": round(max(overall_peak, rss_end) / 2**20, 1)},
            **body,
        }
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_table(report)
        too_many = [r for r in report["results"] if r["error_rate"] > args.max_error_rate]
        for r in too_many:
            log(f"error rate {r['error_rate']:.2%} above {args.max_error_rate:.2%}: {r['scenario']} "
                f"c={r['concurrency']}")
        return 1 if too_many else 0
    except SetupError as exc:
        log(f"setup failed: {exc}")
        return 2
    finally:
        children.stop_all()
        if args.keep_dir:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _event_loop_runner() -> Callable[[Any], Any]:
    try:
        import uvloop

        return uvloop.run
    except ImportError:
        return asyncio.run


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # unwinds through run()'s cleanup

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    try:
        return run(args)
    except KeyboardInterrupt:
        log("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
