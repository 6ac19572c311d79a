"""The job backends end to end in Chromium: a classroom queue on one slot, and training on a local Ray.

Three tabs press Train on a server that trains one run at a time: the later two show their place in the
queue, and all three finish. A server started with ``AECORE_BACKEND=ray`` trains from the browser exactly as
the default does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from browser_support import (  # noqa: E402  (only once Playwright is known to be there)
    BROWSER_MARKS,
    PATIENCE_MS,
    assert_no_exception,
    batches_shown,
    button,
    choose,
    dashboard_server,
    screenshot,
    type_number,
    wait_idle,
)

pytestmark = BROWSER_MARKS

FINISHED = re.compile(r"Finished · Epoch (\d+)/\1")


def open_tab(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(PATIENCE_MS)
    tab.goto(url)
    button(tab, "Train").wait_for()
    wait_idle(tab)
    expect(button(tab, "Train")).to_be_enabled(timeout=60_000)  # once the server's warm-up is done
    return context, tab


def small_dense_run(tab) -> None:
    choose(tab, "Variant", "undercomplete")
    type_number(tab, "Epochs", 2)


@pytest.fixture
def one_slot_server(tmp_path) -> Iterator[str]:
    with dashboard_server(tmp_path / "runs", "queue-server", slots=1) as url:
        yield url


#: in a tab: keep the first queue notice it shows (a waiting tab's notice goes away as soon as its run starts, and
#: short runs can all be done before the test could read one)
WATCH_QUEUE_NOTICE = """() => {
  const look = () => {
    const notice = [...document.querySelectorAll("[data-testid='stAlert']")]
      .map(alert => alert.innerText).find(text => text.includes('in the queue'));
    if (notice) { window.queueNotice = notice; return; }
    requestAnimationFrame(look);
  };
  look();
}"""


def test_three_sessions_on_one_slot_queue_and_all_finish(browser, one_slot_server: str) -> None:
    tabs = [open_tab(browser, one_slot_server) for _ in range(3)]
    try:
        for _, tab in tabs:
            small_dense_run(tab)
            tab.evaluate(WATCH_QUEUE_NOTICE)
        for _, tab in tabs:
            button(tab, "Train").click()
        for _, tab in tabs:
            tab.get_by_text(FINISHED).first.wait_for(timeout=180_000)
            assert batches_shown(tab) > 0
            assert_no_exception(tab)
        notices = [tab.evaluate("window.queueNotice || null") for _, tab in tabs]
        shown = [notice for notice in notices if notice]
        assert shown, "with one slot and three runs, some tab must have shown its place in the queue"
        assert re.search(r"position \d in the queue", shown[0]), shown[0]
        assert "1 run trains at once on this server" in shown[0], shown[0]
        screenshot(tabs[-1][1], "queue-all-finished")
    finally:
        for context, _ in tabs:
            context.close()


@pytest.fixture
def ray_server(tmp_path) -> Iterator[str]:
    pytest.importorskip("ray", reason="ray is not installed: pip install -r requirements-ray.txt")
    with dashboard_server(tmp_path / "runs", "ray-server", {"AECORE_BACKEND": "ray"}, slots=2) as url:
        yield url


def test_the_ray_backend_trains_from_the_browser(browser, ray_server: str) -> None:
    context, tab = open_tab(browser, ray_server)
    try:
        small_dense_run(tab)
        pressed = time.monotonic()
        button(tab, "Train").click()
        tab.get_by_text(FINISHED).first.wait_for(timeout=180_000)
        print(f"Ray: a 2-epoch run finished {time.monotonic() - pressed:.1f} s after Train")
        assert batches_shown(tab) > 0
        tab.get_by_text("Probe images").first.wait_for()
        tab.get_by_text("After training").first.wait_for()
        expect(tab.get_by_text(re.compile(r"Ray cluster: \d+ training"))).to_have_count(1)
        assert_no_exception(tab)
        screenshot(tab, "ray-finished")
    finally:
        context.close()
