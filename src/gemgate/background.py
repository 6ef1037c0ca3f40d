"""Generations run in the background (OpenAI Responses `background: true`): answered at once, run by a task of
this instance, their state kept by the dialect's Reply (`accepted`, `alive`, `whole`, `failed`).

Bounded: at most `PER_OWNER` runs at a time per client key (`ClientIdentity.owner`); one more is a 429. Each
run's request stays in the budget of bodies in flight (`http.budget`) until the run ends (`ended`). Nothing
survives a restart: a gateway stopping cancels its runs, which keep themselves failed (`stop`); one that could
not (a crash, a kill) leaves a heartbeat, renewed every `BEAT_SECONDS` while its task runs, and a reader finding
a queued/in-progress run whose heartbeat is older than `STALE_BEATS` beats marks it failed (`responses_store`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable

from .errors import GatewayError
from .http.budget import LEDGER

log = logging.getLogger("gemgate.background")

PER_OWNER = 16  # runs at a time per client key: a client polls, so more in flight is a runaway loop
BEAT_SECONDS = 20.0  # how often a running run's kept state is renewed
STALE_BEATS = 3  # heartbeats missed before a run counts as lost (its instance stopped)


class BackgroundRuns:
    """The background runs of this instance: owner -> {run id: task}."""

    def __init__(self, per_owner: int | None = None) -> None:
        self.per_owner = PER_OWNER if per_owner is None else per_owner
        self._runs: dict[str, dict[str, asyncio.Task]] = {}
        self.stopping = False  # set by `stop`: a run cancelled now keeps itself failed, not cancelled

    def start(self, owner: str, run_id: str, run: Awaitable[None], alive: Callable[[], Awaitable[bool]],
              ended: Callable[[], None] = lambda: None) -> None:
        """Run `run` as a task, calling `alive()` every BEAT_SECONDS while it runs (False: cancel it); `run`
        calls it once first itself (before anything else can be kept). `ended()` is called once the task is
        done, however it ended (also cancelled before its first step). Raises GatewayError 429 when `owner` has
        PER_OWNER runs already (`run` is closed unstarted, `ended` not called)."""
        try:
            self.admit(owner)
        except GatewayError:
            getattr(run, "close", lambda: None)()
            raise
        mine = self._runs.setdefault(owner, {})
        # The run outlives the request that started it, whose share of the body budget is then given back:
        # what the run and its heartbeat read is not counted on that request's ledger.
        context = contextvars.copy_context()
        context.run(LEDGER.set, None)
        loop = asyncio.get_running_loop()
        task = loop.create_task(run, context=context)
        mine[run_id] = task
        beat = loop.create_task(self._beat(task, alive), context=context)

        def done(_: asyncio.Task) -> None:
            ended()
            beat.cancel()
            mine.pop(run_id, None)
            if not mine:
                self._runs.pop(owner, None)

        task.add_done_callback(done)

    def admit(self, owner: str) -> None:
        """Raise GatewayError 429 when `owner` has PER_OWNER runs here already."""
        if self.count(owner) >= self.per_owner:
            raise GatewayError(429, f"Too many background responses in progress for this key (at most "
                               f"{self.per_owner}); wait for one to finish or cancel one", code="rate_limit_exceeded")

    @staticmethod
    async def _beat(task: asyncio.Task, alive: Callable[[], Awaitable[bool]]) -> None:
        """`alive()` every BEAT_SECONDS until the task ends (the run itself calls it first); cancel the task
        when it says False."""
        while not task.done():
            await asyncio.sleep(BEAT_SECONDS)
            try:
                if not await alive():
                    task.cancel()
                    return
            except Exception:
                log.exception("renewing a background run's heartbeat")

    def cancel(self, owner: str, run_id: str) -> bool:
        """Cancel the run if it runs here; whether it did."""
        task = self._runs.get(owner, {}).get(run_id)
        if task is None:
            return False
        task.cancel()
        return True

    async def stop(self, grace: float = 10.0) -> None:
        """Cancel every run (the gateway is stopping) and wait up to `grace` seconds for them to keep their
        failure (the store is still open)."""
        self.stopping = True
        tasks = [task for mine in self._runs.values() for task in mine.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)

    def count(self, owner: str) -> int:
        """How many runs `owner` has on this instance."""
        return len(self._runs.get(owner, {}))
