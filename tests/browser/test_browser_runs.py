"""Runs that last, in the browser: train three runs, restart the server, find them on the Runs page, compare two,
resume one for two more epochs, and load its downloaded ``model.keras`` in a Python with Keras alone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from browser_support import (  # noqa: E402  (only once Playwright is known to be there)
    BROWSER_MARKS,
    ROOT,
    assert_no_exception,
    button,
    choose,
    dashboard_server,
    explained,
    new_tab,
    screenshot,
    type_number,
    wait_for_text,
    wait_idle,
)

pytestmark = BROWSER_MARKS
BETAS = (1, 4, 2)
#: the row height of Streamlit's data grid, and the width of its selection column, in pixels
ROW_HEIGHT, MARKER_X = 35, 15


def select_rows(page, rows: tuple[int, ...]) -> None:
    """Tick rows of the runs table (1 = the first row under the header) in its selection column."""
    grid = page.get_by_test_id("stDataFrame").first
    box = None
    for _ in range(100):  # a rerun may redraw the grid between its showing and its measuring: measure again
        grid.wait_for()
        box = grid.bounding_box()
        if box is not None:
            break
        page.wait_for_timeout(100)
    assert box is not None, "the runs table never stayed on the page long enough to be clicked"
    for row in rows:
        before = selected_count(page)
        for _ in range(3):  # a click the grid took while a rerun redrew it is lost: the count says so
            page.mouse.click(box["x"] + MARKER_X, box["y"] + ROW_HEIGHT * row + ROW_HEIGHT / 2)
            wait_idle(page)
            deadline = time.monotonic() + 5
            while selected_count(page) == before and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            if selected_count(page) != before:
                break
        assert selected_count(page) != before, f"row {row} of the runs table would not toggle"


def selected_count(page) -> int:
    """How many rows of the runs table are selected, from the page's Delete button ("Delete run 'x'", "Delete 2
    runs"; none without a selection)."""
    delete = page.get_by_test_id("stMainBlockContainer").get_by_role("button", name=re.compile("^Delete "))
    if not delete.count():
        return 0
    counted = re.search(r"Delete (\d+) runs", delete.first.inner_text())
    return int(counted.group(1)) if counted else 1


def plotted_line_traces(page, chart_index: int) -> list[int]:
    """How many points each line trace of a chart draws (plotly 6 sends arrays base64-encoded: read calcdata)."""
    return page.evaluate(
        """(index) => {
            const chart = document.querySelectorAll('.js-plotly-plot')[index];
            return chart.calcdata.filter(trace => trace[0].trace.mode === 'lines').map(trace => trace.length);
        }""",
        chart_index,
    )


def test_runs_outlive_the_server_compare_resume_and_load_in_plain_keras(browser, tmp_path) -> None:
    store = tmp_path / "store"
    with dashboard_server(store, "runs-server-before-restart", slots=1) as url:
        page = new_tab(browser, url)
        for beta in BETAS:  # each from a shared link: the settings come from the address bar
            page.goto(f"{url}/?variant=sparse&dataset=digits&epochs=2&beta={beta}")
            wait_idle(page)
            expect(page.get_by_label("Epochs", exact=True)).to_have_value("2")
            expect(button(page, "Train")).to_be_enabled()
            button(page, "Train").click()
            wait_for_text(page, "After training", timeout_ms=120_000)
            wait_idle(page)
        assert_no_exception(page)
        assert "beta=2" in page.url and "run=" in page.url, "the settings and the run stay in the address bar"
        choose(page, "Variant", "vae")
        page.wait_for_url(lambda address: "variant=vae" in address)  # the rerun writes it, a moment after the pick
        assert "rho=" not in page.url, "the address bar follows the controls"

    with dashboard_server(store, "runs-server-after-restart", slots=1) as url:
        page = new_tab(browser, f"{url}/runs")  # straight to the Runs page of a just-started server
        page.get_by_role("heading", name="Runs").wait_for()
        page.get_by_text("3 of 3 runs").wait_for()
        expect(page.get_by_role("link", name="Train")).to_be_visible()  # the app's navigation, not a bare page
        select_rows(page, (1, 2))  # newest first: β = 2 and β = 4
        page.get_by_text("Compare 2 runs").wait_for()
        page.get_by_text("Settings that differ").wait_for()
        expect(page.get_by_role("table").filter(has_text="regularisation.beta")).to_have_count(1)
        page.locator(".js-plotly-plot").first.wait_for()
        page.wait_for_function("() => document.querySelector('.js-plotly-plot').calcdata !== undefined")
        curves = plotted_line_traces(page, 0)
        assert len(curves) == 2 and min(curves) > 10, f"one curve per run, each with its batches: {curves}"
        assert_no_exception(page)
        screenshot(page, "runs-compare")

        select_rows(page, (1, 2, 3))  # leaves the β = 1 run selected alone
        button(page, "Open in Train").click()
        page.get_by_role("heading", name="Train").first.wait_for()
        # the summary loads the model: in a server just started, after its own TensorFlow import (slow when busy)
        wait_for_text(page, "After training", timeout_ms=180_000)
        wait_idle(page)

        # the Train page shows the opened run's settings: the address bar follows a moment after the rerun
        def shows_the_run(address: str) -> bool:
            return bool(re.search(r"[?&]beta=1(&|$)", address)) and "variant=sparse" in address

        explained(page, lambda: page.wait_for_url(shows_the_run))
        page.get_by_role("link", name="Runs").first.click()
        page.get_by_role("heading", name="Runs").wait_for()
        page.get_by_text("3 of 3 runs").wait_for()  # the runs table, not a grid the Train page left behind
        wait_idle(page)
        select_rows(page, (2,))  # the β = 4 run alone
        page.get_by_text("Compare 2 runs").wait_for(state="detached")
        type_number(page, "More epochs", 2)
        button(page, "Resume").click()
        page.get_by_role("heading", name="Train").first.wait_for()
        wait_for_text(page, "After training", timeout_ms=120_000)
        wait_idle(page)
        expect(page.get_by_text(re.compile(r"Finished · Epoch 4/4"))).to_have_count(1)
        assert_no_exception(page)
        screenshot(page, "train-resumed")

        with page.expect_download() as download:
            button(page, "Model (.keras)").click()
        model_file = tmp_path / "downloaded.keras"
        download.value.save_as(model_file)

    from aecore.data.registry import load_dataset

    np.save(tmp_path / "images.npy", load_dataset("digits").x_test[:8])
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    checked = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "unit" / "plain_keras_check.py"), str(model_file), "images.npy"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert checked.stdout.split()[-3:] == ["ok", "(8,", "64)"]
