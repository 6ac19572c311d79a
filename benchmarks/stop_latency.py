"""How fast Stop stops: the time from the stop request to the run's last trained batch, and to its "stopped" status.

Runs train as the dashboard trains them (the local backend's warm worker processes, ``JobManager``); each measured
run is stopped a random moment after it began training, and its own record says when its last batch ended
(``Snapshot.last_batch_at``). ``--busy N`` stands for N sessions training on a two-core server: another session's
run trains on the other slot, and N - 1 sessions' runs and a sweep of six runs wait in the queue while Stop is
pressed. ``--browser`` measures what a person sees instead: in Chromium, with one tab on a dashboard server, from
the click on Stop to "Stopped" on the Train page (the "stopped, saving" notice counts: no batch trains after it).
The first stop of a fresh server is reported on its own: it falls in the seconds when the server imports
TensorFlow for its own pages (once per server), which slows every page of that server, Stop's included.

    python -m benchmarks.stop_latency [--stops 10] [--busy 0] [--variant deep] [--browser] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from aecore.jobs.manager import open_backend
from aecore.runs.snapshots import ENDED
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig

#: a run far longer than the measurement: it is always stopped, never finished
LONG_EPOCHS = 200
STOPPED_TEXT = re.compile(r"Stopped (during|after) epoch \d+")


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


def browser_stops(stops: int, variant: str, chance: random.Random) -> list[float]:
    """Seconds from the click on Stop to "Stopped" on the Train page, one tab, a run started from the page each time
    (``stops`` + 1 runs: the first is the fresh server's)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
    from browser_support import CHROMIUM, CHROMIUM_ARGS, batches_grow, button, dashboard_server, wait_idle
    from playwright.sync_api import sync_playwright

    seconds = []
    with sync_playwright() as playwright, dashboard_server(Path(tempfile.mkdtemp()), "stop-latency") as url:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(180_000)
        page.goto(f"{url}/?variant={variant}&epochs={LONG_EPOCHS}")
        wait_idle(page)
        for _ in range(stops + 1):
            button(page, "Train").click()
            page.get_by_text(STOPPED_TEXT).first.wait_for(state="detached")
            batches_grow(page, than=0)
            page.wait_for_timeout(chance.uniform(2000, 5000))
            clicked = time.monotonic()
            button(page, "Stop").click()
            page.get_by_text(STOPPED_TEXT).first.wait_for()
            seconds.append(time.monotonic() - clicked)
            wait_idle(page)
        browser.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stops", type=int, default=10, help="how many runs to start and stop (default 10)")
    parser.add_argument("--busy", type=int, default=0, help="other runs submitted meanwhile, plus a queued sweep")
    parser.add_argument("--variant", default="deep")
    parser.add_argument("--dataset", default="mnist-5k")
    parser.add_argument("--seed", type=int, default=0, help="of the random moments at which Stop is pressed")
    parser.add_argument("--browser", action="store_true", help="measure click to 'Stopped' in Chromium, one tab")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    chance = random.Random(args.seed)
    if args.browser:
        first, *seconds = browser_stops(args.stops, args.variant, chance)
        result = {"variant": args.variant, "stops": args.stops, "first_stop_of_a_fresh_server_s": first,
                  "stopped_shown_after_click_s": {
                      "p50": percentile(seconds, 50), "p95": percentile(seconds, 95), "max": max(seconds)}}  # fmt: skip
        print(json.dumps(result) if args.json else json.dumps(result, indent=2))
        return
    store = RunStore(tempfile.mkdtemp(prefix="aecore-stop-"))
    manager = open_backend("local", store=store, warm_dataset=args.dataset)
    manager.wait_ready()
    config = RunConfig(dataset=args.dataset).with_changes(
        model={"variant": args.variant}, training={"epochs": LONG_EPOCHS}
    )
    if args.busy:  # another session's run trains beside each measured one, on the other slot
        beside = manager.submit(config, name="another session", group="session-0")
        wait_for(lambda: (manager.snapshot(beside.job_id).batch or 0) > 0)
    to_batch, to_status = [], []
    for index in range(args.stops):
        job = manager.submit(config, name=f"measured {index}", group="measured")
        wait_for(lambda job=job: (manager.snapshot(job.job_id).batch or 0) > 0)
        # the rest of the room and a sweep wait in the queue behind them while Stop is pressed
        queued = [manager.submit(config, name=f"session {n}", group=f"session-{n}") for n in range(1, args.busy)]
        if args.busy:
            queued += [manager.submit(config.with_changes(training={"seed": n}), group="sweep") for n in range(6)]
        time.sleep(chance.uniform(0.5, 2.0))
        clicked = time.time()
        manager.stop(job.job_id)
        stopped = wait_for(lambda job=job: manager.snapshot(job.job_id).status in ENDED)
        snapshot = manager.snapshot(job.job_id)
        to_batch.append(max(0.0, (snapshot.last_batch_at or clicked) - clicked))
        to_status.append(stopped - clicked)
        for waiting in queued:  # the slot is free for the next measured run
            manager.stop(waiting.job_id)
        for waiting in queued:
            wait_for(lambda waiting=waiting: manager.snapshot(waiting.job_id).status in ENDED)
    if args.busy:
        manager.stop(beside.job_id)
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
