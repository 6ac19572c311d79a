"""The latency a person feels, measured in Chromium (Debian's):

* the first page of a just-started server: from ``streamlit run app.py`` to the Train button shown, against a
  one-line Streamlit app started the same way, in the same run (``--starts`` times each, medians);
* the first page of a just-started, healthy server: from opening its address in a fresh tab to the page's first
  element drawn in the main area, against the one-line app measured the same way (the same starts, medians);
* on a warm server (its workers have TensorFlow loaded), for every variant: from pressing Train to the first
  loss point drawn in the loss chart (its points counted in the browser), then Stop.

    python -m benchmarks.latency [--starts 3] [--variants conv_denoising,vae] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))  # the browser tests' server and page helpers

from browser_support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    button,
    choose,
    dashboard_server,
    type_number,
    wait_idle,
    wait_until_warm,
)

from aecore.settings.variants import VARIANTS  # noqa: E402

ONE_LINE_APP = 'import streamlit as st\nst.write("Hello")\n'


def first_page_seconds(browser, app: Path | None, shown: str) -> float:
    """From starting the server to ``shown`` visible in a fresh tab (server start-up included)."""
    store = Path(tempfile.mkdtemp(prefix="aecore-latency-")) / "runs"
    started = time.monotonic()
    with dashboard_server(store, "latency-start", app=app) as url:
        tab = browser.new_page()
        tab.goto(url)
        tab.get_by_text(shown, exact=True).first.wait_for(timeout=120_000)
        seconds = time.monotonic() - started
        tab.close()
    return seconds


#: the first element a page draws in its main area with a size of its own (the one-line app's "Hello", the Train
#: page's title; not the empty container of a style sheet)
FIRST_DRAWN = """() => [...document.querySelectorAll(
  "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']")]
  .some(e => e.getBoundingClientRect().height > 0)"""


def workers_left() -> int:
    """Training workers still alive: a stopped server's workers finish importing TensorFlow before they see it gone,
    and would take the CPU from the next start's measurement."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            count += b"aecore.jobs.worker" in status.read_bytes()
        except OSError:
            continue
    return count


def wait_for_quiet(limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while workers_left() and time.monotonic() < deadline:
        time.sleep(0.5)


def first_drawn_seconds(browser, app: Path | None) -> float:
    """From opening the address of a just-started server, once healthy, to the page's first element drawn (the
    machine quiet first: no other server's workers still starting)."""
    wait_for_quiet()
    store = Path(tempfile.mkdtemp(prefix="aecore-latency-")) / "runs"
    with dashboard_server(store, "latency-open", app=app) as url:
        tab = browser.new_page()
        started = time.monotonic()
        tab.goto(url, wait_until="commit")
        tab.wait_for_function(FIRST_DRAWN, timeout=120_000, polling="raf")
        seconds = time.monotonic() - started
        tab.close()
    return seconds


#: in the tab: the time Train is pressed, then the first animation frame in which the loss chart has a point
#: (counted in plotly's ``calcdata``: plotly 6+ sends the arrays themselves base64-encoded)
WATCH_LOSS_POINTS = """() => {
  const train = [...document.querySelectorAll("[data-testid='stMainBlockContainer'] button")]
    .find(b => b.innerText.trim().endsWith('Train'));
  train.addEventListener('click', () => { window.trainPressed = performance.now(); }, {capture: true});
  const points = () => [...document.querySelectorAll('.js-plotly-plot')]
    .filter(g => g._fullLayout && g._fullLayout.yaxis.title.text === 'loss' && g.calcdata)
    .reduce((n, g) => n + g.calcdata.reduce((m, trace) => m + trace.filter(p => p.y !== undefined).length, 0), 0);
  const look = () => {
    if (window.trainPressed !== undefined && points() > 0) { window.firstLossPoint = performance.now(); return; }
    requestAnimationFrame(look);
  };
  look();
}"""


def first_point_seconds(browser, url: str, variant: str) -> float:
    """A new tab (a new session, no earlier run on its page) trains ``variant``; seconds to its first point."""
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    tab.set_default_timeout(120_000)
    tab.goto(url)
    wait_idle(tab)
    choose(tab, "Variant", variant)
    type_number(tab, "Epochs", 50)
    expect(button(tab, "Train")).to_be_enabled(timeout=120_000)
    tab.evaluate(WATCH_LOSS_POINTS)
    button(tab, "Train").click()
    tab.wait_for_function("() => window.firstLossPoint !== undefined", timeout=120_000, polling="raf")
    seconds = tab.evaluate("() => (window.firstLossPoint - window.trainPressed) / 1000")
    button(tab, "Stop").click()
    tab.get_by_text("the model trained so far is kept").first.wait_for(timeout=120_000)
    tab.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--starts-only", action="store_true", help="only the first-page measurements")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    hello = Path(tempfile.mkdtemp(prefix="aecore-hello-")) / "hello.py"
    hello.write_text(ONE_LINE_APP)
    result: dict = {"first_point_seconds": {}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ours, plain, ours_drawn, plain_drawn = [], [], [], []
        for _ in range(args.starts):  # alternated, so a busy moment of the machine hits both alike
            plain.append(first_page_seconds(browser, hello, "Hello"))
            ours.append(first_page_seconds(browser, None, "Train"))
            plain_drawn.append(first_drawn_seconds(browser, hello))
            ours_drawn.append(first_drawn_seconds(browser, None))
        result.update(
            first_page_seconds=statistics.median(ours),
            one_line_app_seconds=statistics.median(plain),
            ratio=statistics.median(ours) / statistics.median(plain),
            first_element_seconds=statistics.median(ours_drawn),
            one_line_app_first_element_seconds=statistics.median(plain_drawn),
            first_element_ratio=statistics.median(ours_drawn) / statistics.median(plain_drawn),
            first_element_each={"ours": ours_drawn, "one_line_app": plain_drawn},
        )
        if args.starts_only:
            print(json.dumps(result) if args.json else json.dumps(result, indent=1))
            return
        store = Path(tempfile.mkdtemp(prefix="aecore-latency-")) / "runs"
        with dashboard_server(store, "latency-warm") as url:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.set_default_timeout(120_000)
            tab.goto(url)
            wait_until_warm(tab)  # the "server whose TensorFlow is already loaded" of the issue
            tab.close()
            for variant in args.variants.split(","):
                result["first_point_seconds"][variant] = first_point_seconds(browser, url, variant)
                print(variant, f"{result['first_point_seconds'][variant]:.2f} s", file=sys.stderr, flush=True)
        browser.close()
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
