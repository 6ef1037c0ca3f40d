"""Peak resident memory of a process, sampled from a thread (psutil) while a test loads it."""

from __future__ import annotations

import threading
import time

import psutil


class PeakRss(threading.Thread):
    """Samples `pid`'s RSS every 10 ms into `peak` (bytes) until `running` is cleared."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.NoSuchProcess:
                return
            time.sleep(0.01)
