"""The Latent space page in Chromium: hovering a point names its image, a box selection shows the images it holds,
the 3-D scatter renders, a traversal slider redraws the decoded image, and a digit drawn on the canvas comes back
reconstructed."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api")

from browser_support import (  # noqa: E402  (only once Playwright is known to be there)
    BROWSER_MARKS,
    PATIENCE_MS,
    assert_no_exception,
    dashboard_server,
    screenshot,
    wait_idle,
)

from aecore.jobs.run_jobs import new_job  # noqa: E402
from aecore.runs.store import RunStore  # noqa: E402
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig  # noqa: E402

pytestmark = BROWSER_MARKS


def image_source(page, caption: str) -> str:
    """The ``src`` of the ``st.image`` captioned ``caption`` (it changes with the picture)."""
    figure = page.get_by_test_id("stImage").filter(has_text=caption).first
    figure.wait_for()
    return figure.locator("img").get_attribute("src")


#: the 2-D scatter of the codes, and where its first point and its plotting area are on the page
SCATTER = ".st-key-latent_scatter_2 .js-plotly-plot"
PLACES = f"""() => {{ const plot = document.querySelector('{SCATTER}'); const box = plot.getBoundingClientRect();
  const x = plot._fullLayout.xaxis, y = plot._fullLayout.yaxis;
  const trace = plot._fullData.find(t => t.type === 'scattergl' && t.customdata && t.customdata.length);
  return {{point: [box.left + x._offset + x.l2p(trace.x[0]), box.top + y._offset + y.l2p(trace.y[0])],
           index: trace.customdata[0], name: trace.name,
           area: [box.left + x._offset, box.top + y._offset, x._length, y._length]}}; }}"""


def hover_then_select_everything(page) -> None:
    """The pointer on a point shows its class and test image index; a box over the whole plot selects every point,
    and the page shows their images and offers them as CSV."""
    page.locator(SCATTER).scroll_into_view_if_needed()
    page.wait_for_function(f"() => document.querySelector('{SCATTER}')?._fullLayout?.xaxis?._length > 0")
    places = page.evaluate(PLACES)
    page.mouse.move(*places["point"])
    hover = page.locator(f"{SCATTER} .hoverlayer .hovertext").first
    hover.wait_for()
    assert f"{places['name']} · test image {places['index']}" in hover.text_content(), hover.text_content()
    left, top, width, height = places["area"]
    page.mouse.move(left + 2, top + 2)
    page.mouse.down()
    page.mouse.move(left + width - 2, top + height - 2, steps=12)
    page.mouse.up()
    page.get_by_text("1,000 points selected").wait_for()
    page.get_by_role("button", name="Selection (CSV)").wait_for()


def test_the_latent_space_page_in_the_browser(browser, tmp_path) -> None:
    store = RunStore(tmp_path / "store")
    config = RunConfig(dataset="mnist-5k", model=ModelConfig(variant="sparse"), training=TrainingConfig(epochs=1))
    new_job(config, store, name="sparse to explore").run()
    with dashboard_server(store.root, "latent-server", slots=1) as url:
        page = browser.new_context(viewport={"width": 1600, "height": 1100}).new_page()
        page.set_default_timeout(PATIENCE_MS)
        page.goto(f"{url}/latent")
        wait_idle(page)
        page.get_by_text("Codes of 1,000 test images").wait_for()
        hover_then_select_everything(page)

        page.get_by_text("3-D", exact=True).click()
        wait_idle(page)
        page.get_by_text("PCA of its 64-D code").wait_for()
        page.wait_for_function(  # a 3-D scene holding every test image's point (scatter3d keeps its count in _length)
            "() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p._fullLayout && p._fullLayout.scene"
            " && p._fullData.filter(t => t.type === 'scatter3d').reduce((n, t) => n + t._length, 0) === 1000)"
        )

        before = image_source(page, "decoded")
        slider = page.get_by_test_id("stSlider").filter(has_text="z1").first.get_by_role("slider")
        slider.focus()
        for _ in range(15):
            slider.press("ArrowRight")
        wait_idle(page)
        page.wait_for_function(
            "(old) => [...document.querySelectorAll('[data-testid=stImage]')].some(f => f.innerText.includes('decoded')"
            " && f.querySelector('img').src !== old)",
            arg=before,
        )

        canvas = page.locator("canvas").last
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + 110, box["y"] + 40)
        page.mouse.down()
        for step in range(1, 21):  # a vertical stroke: a "1"
            page.mouse.move(box["x"] + 112, box["y"] + 40 + step * 7)
        page.mouse.up()
        page.get_by_text("your digit, centred").wait_for()
        page.get_by_text("Its nearest test images in code space.").wait_for()
        assert image_source(page, "your digit, centred") and image_source(page, "reconstruction")
        page.get_by_role("button", name="Place it on the scatter").click()
        wait_idle(page)
        page.wait_for_function(  # the drawn digit's code is on the scatter, as its own trace
            "() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p._fullData"
            " && p._fullData.some(t => t.name === 'your drawing'))"
        )
        assert_no_exception(page)
        screenshot(page, "latent-space")
