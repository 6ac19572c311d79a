"""How fast Stop stops: the time from the stop request to the run's last trained batch, and to its "stopped" status.

Runs train as the dashboard trains them (the local backend's warm worker processes, ``JobManager``); each measured
run is stopped a random moment after it began training, and its own record says when its last batch ended
(``Snapshot.last_batch_at``). ``--busy N`` keeps N other runs submitted (all but the free slots wait in the queue,
as ten sessions training on a two-core server do) and a sweep of six runs queued behind them. The browser's share
(click to "Stopped" on the page) is measured by ``tests/browser/test_browser.py``'s Stop test.

    python -m benchmarks.stop_latency [--stops 10] [--busy 0] [--variant deep] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time

import numpy as np

from aecore.jobs.manager import open_backend
from aecore.runs.snapshots import ENDED
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig

#: a run far longer than the measurement: it is always stopped, never finished
LONG_EPOCHS = 200


def wait_for(predicate, timeout: float = 300.0, interval: float = 0.01) -> float:
    """Poll until ``predicate()`` holds; returns the time it did (``time.time``)."""
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise TimeoutError("the run did not get there in time")
        time.sleep(interval)
    return time.time()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stops", type=int, default=10, help="how many runs to start and stop (default 10)")
    parser.add_argument("--busy", type=int, default=0, help="other runs submitted meanwhile, plus a queued sweep")
    parser.add_argument("--variant", default="deep")
    parser.add_argument("--dataset", default="mnist-5k")
    parser.add_argument("--seed", type=int, default=0, help="of the random moments at which Stop is pressed")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    chance = random.Random(args.seed)
    store = RunStore(tempfile.mkdtemp(prefix="aecore-stop-"))
    manager = open_backend("local", store=store, warm_dataset=args.dataset)
    manager.wait_ready()
    config = RunConfig(dataset=args.dataset).with_changes(
        model={"variant": args.variant}, training={"epochs": LONG_EPOCHS}
    )
    others = [manager.submit(config, name=f"busy {index}", group=f"session-{index}") for index in range(args.busy)]
    if args.busy:
        for index in range(6):
            manager.submit(config.with_changes(training={"seed": index}), name=f"sweep {index}", group="sweep")
    to_batch, to_status = [], []
    for index in range(args.stops):
        if others:  # free a slot: the measured run trains beside the other sessions' runs, the rest still queued
            manager.stop(others.pop(0).job_id)
        job = manager.submit(config, name=f"measured {index}", group="measured")
        wait_for(lambda job=job: (manager.snapshot(job.job_id).batch or 0) > 0)
        time.sleep(chance.uniform(0.5, 2.0))
        clicked = time.time()
        manager.stop(job.job_id)
        stopped = wait_for(lambda job=job: manager.snapshot(job.job_id).status in ENDED)
        snapshot = manager.snapshot(job.job_id)
        to_batch.append(max(0.0, (snapshot.last_batch_at or clicked) - clicked))
        to_status.append(stopped - clicked)
    for job in others:
        manager.stop(job.job_id)
    manager.close()
    result = {
        "variant": args.variant,
        "busy": args.busy,
        "stops": args.stops,
        "last_batch_after_stop_s": {"p50": percentile(to_batch, 50), "p95": percentile(to_batch, 95),
                                    "max": max(to_batch)},
        "stopped_status_after_stop_s": {"p50": percentile(to_status, 50), "p95": percentile(to_status, 95),
                                        "max": max(to_status)},
    }  # fmt: skip
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
