"""A classroom against one server: N browser sessions press Train at once, and a widget is flipped while they train.

For each N a fresh ``streamlit run app.py`` (its own port and run store, the backend from ``AECORE_BACKEND``)
gets N Chromium tabs (Debian's, one browser, one context per tab: N sessions). Every tab sets the default
model (the convolutional denoiser) to ``--epochs`` epochs of the embedded MNIST and presses Train. While the
runs go, the tabs take turns flipping the loss chart's "Log scale" toggle; the page response is the time from
the click until the toggle shows its new state and the page is idle again. Reported per N: runs finished,
queue wait p50/p95 (from the run store: created to started), page response p50/p95, and the peak resident
memory of the server with its worker processes.

    python -m benchmarks.load --sessions 1,5,10,20,30 [--epochs 2] [--json]
    python -m benchmarks.load --sequential 100        # memory after 5 and after 100 runs, one after another

The browsers run on the same machine as the server, so on a small machine they take their share of its cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))  # the browser tests' server and page helpers

from browser_support import (  # noqa: E402
    BATCH_COUNT,
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    OUTPUT,
    button,
    dashboard_server,
    type_number,
    wait_idle,
    wait_until_warm,
)

from aecore.runs.store import RunStore  # noqa: E402
from benchmarks import print_rows  # noqa: E402

FINISHED = "Finished · Epoch"
#: the caption beside Train and Stop once the tab has a run
RUN_CAPTION = re.compile(r"^Run (\S+) ·")
#: the longest a flip of the toggle is waited for
FLIP_PATIENCE = 15.0
#: how long after every run ended in the store the tabs that still do not show it are waited for
STUCK_PATIENCE = 120.0


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (the server and its worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


class PeakMemory(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            time.sleep(0.5)


def server_pid(port: int) -> int:
    """The pid of the streamlit process listening on ``port`` (the helper's Popen object is not handed out)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(command) and str(port).encode() in command:
                return int(entry.name)
    raise RuntimeError(f"no streamlit process on port {port}")


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def flip_log_scale(tab) -> float | None:
    """Click the loss chart's toggle; seconds until it shows the new state and the page is idle.

    None when there is no chart, or when the run ended meanwhile (its last rerun redraws the page); a flip that
    takes longer than ``FLIP_PATIENCE`` counts as that long."""
    toggle = tab.get_by_role("switch", name="Log scale")
    try:
        before = toggle.first.is_checked(timeout=1_000)
        clicked = time.monotonic()
        tab.get_by_text("Log scale", exact=True).first.click(timeout=1_000)  # the switch's label takes the click
    except PlaywrightTimeoutError:  # no chart, or the run ended and its last rerun took the chart away
        return None
    while time.monotonic() < clicked + FLIP_PATIENCE:
        try:  # a short timeout: a toggle redrawn between count() and is_checked() would hold the loop 120 s
            if toggle.count() and toggle.first.is_checked(timeout=1_000) != before and tab.locator(IDLE).count():
                return time.monotonic() - clicked
        except PlaywrightTimeoutError:
            pass
        tab.wait_for_timeout(20)
    return None if tab.get_by_text(FINISHED).count() else FLIP_PATIENCE


def describe_stuck(tab, index: int, sessions: int) -> dict:
    """What a tab shows whose run ended but which does not say so: its status line, script state, a screenshot."""
    OUTPUT.mkdir(exist_ok=True)
    tab.screenshot(path=str(OUTPUT / f"load-{sessions}-stuck-tab-{index}.png"))
    progress = tab.locator("[data-testid='stProgress']")
    run = tab.get_by_text(RUN_CAPTION)
    return {
        "tab": index,
        "run": RUN_CAPTION.search(run.first.inner_text(timeout=2_000)).group(1) if run.count() else None,
        "status": progress.first.inner_text(timeout=2_000) if progress.count() else None,
        "alerts": [alert.inner_text(timeout=2_000) for alert in tab.locator("[data-testid='stAlert']").all()],
        "train_enabled": button(tab, "Train").is_enabled(timeout=2_000),
        "script_state": tab.locator("[data-testid='stApp']").get_attribute("data-test-script-state", timeout=2_000),
    }


class BrowserClient:
    """How the load round reads and uses a Chromium tab."""

    @staticmethod
    def finished(tab) -> bool:
        return bool(tab.get_by_text(FINISHED).count())

    @staticmethod
    def training(tab) -> bool:
        return bool(tab.get_by_text(BATCH_COUNT).count())

    flip = staticmethod(flip_log_scale)
    describe = staticmethod(describe_stuck)

    @staticmethod
    def errors(tab) -> int:
        return tab.locator("[data-testid='stException']").count()


class ProtocolClient:
    """How the load round reads and uses a ``StreamSession`` (Streamlit's protocol, no browser)."""

    @staticmethod
    def finished(tab) -> bool:
        return tab.shows(f"^{FINISHED}")

    @staticmethod
    def training(tab) -> bool:
        return tab.batches > 0 and "Log scale" in tab.widgets

    @classmethod
    def flip(cls, tab) -> float | None:
        seconds = tab.flip("Log scale", FLIP_PATIENCE)
        return seconds if seconds is not None or cls.finished(tab) else FLIP_PATIENCE

    @staticmethod
    def describe(tab, index: int, sessions: int) -> dict:
        return {"tab": index, "url_query": tab.query, "texts": sorted(set(tab.texts.values()))[:12]}

    @staticmethod
    def errors(tab) -> int:
        return tab.exceptions


def follow_round(tabs: list, client, store: Path, epochs: int) -> tuple[list[float], set[int], float]:
    """Flip the toggle on the training tabs in turn until every tab shows its run finished; the page responses,
    the tabs that showed it, and the seconds since Train was pressed. Ends early 120 s after every run ended in
    the store (the tabs that do not show it by then are stuck)."""
    sessions = len(tabs)
    started = time.monotonic()
    responses: list[float] = []
    deadline = started + 120 + 30 * sessions * epochs
    finished: set[int] = set()
    turn, reported, all_ended_at = 0, started, None
    while len(finished) < sessions and time.monotonic() < deadline:
        if time.monotonic() - reported > 60:  # a long round says where it stands
            reported = time.monotonic()
            print(f"  {sessions} sessions, +{reported - started:.0f} s: {len(finished)} tabs show Finished, "
                  f"{len(responses)} flips measured", file=sys.stderr, flush=True)  # fmt: skip
            runs = RunStore(store).list()
            # a press that started no run within STUCK_PATIENCE never will: the runs there are are all
            every_run = len(runs) == sessions or reported - started > STUCK_PATIENCE
            if all_ended_at is None and runs and every_run and all(run.ended for run in runs):
                all_ended_at = reported
        if all_ended_at is not None and time.monotonic() - all_ended_at > STUCK_PATIENCE:
            break  # every run ended long ago: the tabs that do not show it are stuck
        for index, tab in enumerate(tabs):
            if index not in finished and client.finished(tab):
                finished.add(index)
        training = [index for index in range(sessions) if index not in finished and client.training(tabs[index])]
        if not training:
            time.sleep(0.2)
            continue
        seconds = client.flip(tabs[training[turn % len(training)]])  # the tabs take turns
        turn += 1
        if seconds is not None:
            responses.append(seconds)
    return responses, finished, time.monotonic() - started


def round_result(tabs: list, client, store: Path, epochs: int, memory: PeakMemory) -> dict:
    """Follow a round whose tabs just pressed Train, and what it measured."""
    responses, finished, wall = follow_round(tabs, client, store, epochs)
    sessions = len(tabs)
    errors = sum(client.errors(tab) for tab in tabs)
    stuck = [client.describe(tab, index, sessions) for index, tab in enumerate(tabs) if index not in finished]
    memory.running = False
    runs = RunStore(store).list()
    waits = [
        json.loads((store / run.id / "run.json").read_text()).get("started", 0) - run.created
        for run in runs
        if run.status == "finished"
    ]
    return {
        "sessions": sessions,
        "runs_started": len(runs),
        "finished": sum(run.status == "finished" for run in runs),
        "failed": sum(run.status == "failed" for run in runs),
        "errors_on_pages": errors,
        "tabs_showing_finished": len(finished),
        "stuck_tabs": stuck,
        "wall_seconds": round(wall, 1),
        "queue_wait_p50": percentile(waits, 50),
        "queue_wait_p95": percentile(waits, 95),
        "page_response_p50": percentile(responses, 50),
        "page_response_p95": percentile(responses, 95),
        "responses_measured": len(responses),
        "peak_memory_gb": memory.peak / 1e9,
    }


def browser_round(browser, sessions: int, epochs: int) -> dict:
    store = Path(tempfile.mkdtemp(prefix="aecore-load-")) / "runs"
    with dashboard_server(store, f"load-{sessions}") as url:
        memory = PeakMemory(server_pid(int(url.rsplit(":", 1)[1])))
        memory.start()
        contexts, tabs = [], []
        for _ in range(sessions):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            tab = context.new_page()
            tab.set_default_timeout(120_000)
            tab.goto(url)
            button(tab, "Train").wait_for()
            wait_idle(tab)
            contexts.append(context)
            tabs.append(tab)
        wait_until_warm(tabs[0])  # a server that has been up a while, not one still loading TensorFlow
        for tab in tabs:
            type_number(tab, "Epochs", epochs)
        for tab in tabs:  # the class presses Train within a few seconds
            expect(button(tab, "Train")).to_be_enabled(timeout=120_000)
        for tab in tabs:
            button(tab, "Train").click()
        result = round_result(tabs, BrowserClient, store, epochs, memory)
        for context in contexts:
            context.close()
    return result


def protocol_round(sessions: int, epochs: int, class_view: bool = False) -> dict:
    """The same round with ``StreamSession``s for tabs: the server's work without Chromium's beside it. With
    ``class_view`` a teacher's session shows the Class page all along (it polls every run of the server); its
    browser, on the projector's machine in a classroom, is left out like the students'."""
    from benchmarks.stream_client import StreamSession

    store = Path(tempfile.mkdtemp(prefix="aecore-load-")) / "runs"
    with dashboard_server(store, f"load-protocol-{sessions}") as url:
        memory = PeakMemory(server_pid(int(url.rsplit(":", 1)[1])))
        memory.start()
        settings = f"epochs={epochs}"  # the Train page reads its settings from the URL, as a shared link
        first = StreamSession(url, settings)
        deadline = time.monotonic() + 180
        # a server that has been up a while, not one still loading TensorFlow (the page says so until a rerun)
        while not first.wait_for(lambda tab: "Train" in tab.widgets and not tab.shows("TensorFlow is starting"), 5):
            assert time.monotonic() < deadline, "the server did not load TensorFlow within 180 s"
            first.rerun()
        tabs = [first] + [StreamSession(url, settings) for _ in range(sessions - 1)]
        for tab in tabs:
            ready = tab.wait_for(lambda tab: "Train" in tab.widgets and not tab.widgets["Train"].disabled, 120)
            assert ready, "a session's Train button was not ready within 120 s"
        teacher = StreamSession(url, page="classroom") if class_view else None
        if teacher is not None:
            assert teacher.wait_for(lambda tab: tab.shows("Every run on this server"), 120), "no Class page"
        for tab in tabs:
            tab.press("Train")
        result = round_result(tabs, ProtocolClient, store, epochs, memory)
        if teacher is not None:
            result["class_page_runs"] = teacher.started_runs
            teacher.close()
        for tab in tabs:
            tab.close()
    return {"client": "protocol", "class_view": class_view, **result}


def sequential_memory(count: int) -> dict:
    """Memory of this process with its workers after 5 and after ``count`` runs, one after another."""
    from aecore.jobs.manager import open_backend
    from aecore.runs.store import RunStore
    from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig

    store = RunStore(Path(tempfile.mkdtemp(prefix="aecore-sequential-")))
    manager = open_backend(store=store, warm_dataset="mnist-5k")
    config = RunConfig(
        dataset="mnist-5k", model=ModelConfig(variant="undercomplete"), training=TrainingConfig(epochs=2)
    )
    after = {}
    for index in range(1, count + 1):
        job = manager.submit(config)
        while not manager.snapshot(job.job_id).ended:
            time.sleep(0.05)
        if index in (5, count):
            after[index] = tree_rss_bytes(os.getpid())
    manager.close()
    return {"runs": count, "memory_after_5_gb": after[5] / 1e9, f"memory_after_{count}_gb": after[count] / 1e9,
            "growth_percent": 100 * (after[count] / after[5] - 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,5,10,20,30", help="comma-separated numbers of sessions")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--client",
        choices=("browser", "protocol"),
        default="browser",
        help="the sessions' client: Chromium tabs, or Streamlit's websocket protocol without a browser",
    )
    parser.add_argument("--sequential", type=int, help="instead: train this many runs one after another")
    parser.add_argument("--class-view", action="store_true", help="protocol client: a teacher's tab on the Class page")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("AECORE_OFFLINE", "1")
    counts = [int(text) for text in args.sessions.split(",")]
    if args.sequential:
        rows = [sequential_memory(args.sequential)]
    elif args.client == "protocol":
        rows = []
        for sessions in counts:
            rows.append(protocol_round(sessions, args.epochs, args.class_view))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    else:
        from playwright.sync_api import sync_playwright

        rows = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for sessions in counts:
                rows.append({"client": "browser", **browser_round(browser, sessions, args.epochs)})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
            browser.close()
    print_rows(rows, args.json)


if __name__ == "__main__":
    main()
