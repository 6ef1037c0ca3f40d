"""Running client programs (the npm SDKs and CLIs in tests/clients/node) as subprocesses.

Each runs with a throwaway HOME, stdin closed, under a timeout; its whole process group is killed when
the timeout hits and when it ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "clients" / "node"
NODE_MODULES = NODE_DIR / "node_modules"
GEMINI_BIN = NODE_MODULES / ".bin" / "gemini"


@dataclass
class Completed:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.argv)}\nexit {self.returncode} after {self.seconds:.1f}s\n"
            f"--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-6000:]}"
        )


def run_process(argv: list[str], *, env: dict, cwd: Path, timeout: float = 60) -> Completed:
    """Run a client program in its own process group with stdin closed; kill the group on timeout."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        done = Completed(argv, -9, out, err, time.monotonic() - started)
        pytest.fail(f"client timed out after {timeout}s\n{done.describe()}")
    finally:
        # Children the client left behind (e.g. shell tools) share the group; don't leak them.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return Completed(argv, proc.returncode, out, err, time.monotonic() - started)


def base_env(home: Path, **extra: str) -> dict:
    """A minimal environment: PATH only, plus a throwaway HOME and TMPDIR (CLIs write reports there)."""
    tmp = home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
    }
    env.update(extra)
    return env


def require_node_modules(*packages: str) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    for package in packages:
        if not (NODE_MODULES / package / "package.json").is_file():
            pytest.skip(f"npm package {package!r} is not installed: run `npm install` in {NODE_DIR}")


def cli_dirs(tmp_path: Path, package: str, binary: Path, config_dir: str) -> tuple[Path, Path]:
    """(a throwaway HOME with its `config_dir` made, an empty workspace) for an npm CLI; skips the test when the
    package or its binary is not installed."""
    require_node_modules(package)
    if not binary.exists():
        pytest.skip(f"{package} binary missing at {binary}")
    home = tmp_path / "home"
    (home / config_dir).mkdir(parents=True)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    return home, workspace


def spawn_gemgate(args: list[str], env: dict, ready: str, timeout: float = 20):
    """Start `python -m gemgate ARGS` in its own session; return (process, output lines) once a line holds
    `ready`. Raises AssertionError with the output when it does not get there within `timeout` seconds."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gemgate", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if ready in line:
            return proc, lines
    os.killpg(proc.pid, signal.SIGTERM)
    raise AssertionError("did not start:\n" + "".join(lines))
