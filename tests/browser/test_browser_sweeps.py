"""A sweep from the browser: start a small one on the Sweeps page, see its rows appear while it runs, see the plot."""

from __future__ import annotations

import re

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from browser_support import (  # noqa: E402  (only once Playwright is known to be there)
    BROWSER_MARKS,
    PATIENCE_MS,
    assert_no_exception,
    button,
    dashboard_server,
    screenshot,
    wait_idle,
)

pytestmark = BROWSER_MARKS
DONE = re.compile(r"(\d+) of 4 runs done")


def runs_done(page) -> int:
    return int(DONE.search(page.get_by_text(DONE).first.inner_text()).group(1))


def test_a_sweep_started_in_the_browser_fills_its_table_as_runs_finish(browser, tmp_path) -> None:
    with dashboard_server(tmp_path / "store", "sweeps-server", slots=1) as url:
        page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
        page.set_default_timeout(PATIENCE_MS)
        page.goto(f"{url}/?variant=sparse&dataset=digits&epochs=2&latent_dim=8")  # the Train page's settings
        wait_idle(page)
        page.get_by_label("ρ (target activation)").first.wait_for()  # the Train page took the link's settings
        page.get_by_role("link", name="Sweeps").first.click()
        wait_idle(page)
        # on failure the message names the base the page did show
        base = page.get_by_text(re.compile("^Base: ")).first
        expect(base).to_contain_text("Base: sparse on digits", timeout=PATIENCE_MS)
        field = page.get_by_label("Values of ρ (target activation)")
        field.fill("0.1, 0.4")
        field.press("Enter")
        wait_idle(page)
        page.get_by_text("2 settings × 2 seeds = 4 runs").wait_for()
        button(page, "Start the sweep").click()
        page.get_by_text(DONE).first.wait_for()
        page.get_by_text("Results").first.wait_for(timeout=120_000)  # rows appear as runs finish
        assert runs_done(page) < 4, "the table shows results while the sweep still runs"
        expect(page.get_by_text("4 of 4 runs done")).to_have_count(1, timeout=180_000)
        wait_idle(page)
        page.locator(".js-plotly-plot").first.wait_for()
        points = page.evaluate("() => document.querySelector('.js-plotly-plot').calcdata[0].length")
        assert points == 2, "one point per setting, with its error bar"
        brush_an_axis(page)
        assert_no_exception(page)
        screenshot(page, "sweeps-finished")


#: the sweep's parallel coordinates: the plot whose trace is a parcoords
PARCOORDS = (
    "[...document.querySelectorAll('.js-plotly-plot')].find(p => p._fullData && p._fullData[0].type === 'parcoords')"
)


def brush_an_axis(page) -> None:
    """Drag along the first axis of the parallel coordinates, as a person keeps a range of lines: plotly records the
    range on that dimension (its lines outside it fade), every run's line drawn before."""
    page.get_by_text("Every run").first.wait_for()
    page.wait_for_function(  # one line per run
        f"() => {{ const plot = {PARCOORDS}; return plot && plot._fullData[0].dimensions[0].values.length === 4; }}"
    )
    brushed = (
        f"() => {{ const plot = {PARCOORDS}; return !!(plot.data[0].dimensions[0].constraintrange"
        " || plot._fullData[0].dimensions[0].constraintrange); }"
    )
    for _ in range(3):  # a rerun that redraws the chart between the scroll and the drag takes the drag with it
        axis = page.locator(".js-plotly-plot .parcoords .axis-brush").first
        axis.scroll_into_view_if_needed()
        box = axis.bounding_box()
        middle = box["x"] + box["width"] / 2
        page.mouse.move(middle, box["y"] + 8)
        page.mouse.down()
        page.mouse.move(middle, box["y"] + box["height"] * 0.6, steps=10)
        page.mouse.up()
        if page.evaluate(brushed):
            return
        page.wait_for_timeout(1000)
    raise AssertionError("dragging along the first axis kept no range of lines")
