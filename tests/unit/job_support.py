"""What the tests of a job trained in this process share: start it in a thread, wait for what it publishes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout: float = 60.0, interval: float = 0.01) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def start(job) -> threading.Thread:
    """Train ``job`` (a ``TrainingJob``) in a thread of its own, as a job manager's slot would."""
    thread = threading.Thread(target=job.run, daemon=True)
    thread.start()
    return thread
