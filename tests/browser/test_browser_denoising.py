"""The Denoising page in Chromium: moving the noise slider changes the PSNR shown, and a mask painted on the canvas
is filled in by the model."""

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


def metric_value(page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=label).first
    metric.wait_for()
    return metric.get_by_test_id("stMetricValue").inner_text()


def wait_for_new_metric(page, label: str, old: str) -> None:
    page.wait_for_function(
        "([label, old]) => [...document.querySelectorAll('[data-testid=stMetric]')].some(m =>"
        " m.innerText.includes(label) && !m.querySelector('[data-testid=stMetricValue]').innerText.includes(old))",
        arg=[label, old],
    )


def test_the_denoising_page_in_the_browser(browser, tmp_path) -> None:
    store = RunStore(tmp_path / "store")
    config = RunConfig(
        dataset="mnist-5k", model=ModelConfig(variant="conv_denoising"), training=TrainingConfig(epochs=1)
    )
    job = new_job(config, store, name="denoiser to explore")
    job.run()
    assert job.snapshot().status == "finished", job.snapshot().message
    with dashboard_server(store.root, "denoising-server", slots=1) as url:
        page = browser.new_context(viewport={"width": 1600, "height": 1100}).new_page()
        page.set_default_timeout(PATIENCE_MS)
        page.goto(f"{url}/denoising")
        wait_idle(page)
        page.get_by_text("PSNR versus noise level").wait_for()
        page.get_by_text("this run was trained on gaussian noise, σ = 0.2").wait_for()

        label = "PSNR of the noisy input"
        start = metric_value(page, label)
        slider = page.get_by_test_id("stSlider").filter(has_text="Noise level").first.get_by_role("slider")
        slider.focus()
        for _ in range(10):  # 0.20 -> 0.30: more noise, a lower PSNR
            slider.press("ArrowRight")
        wait_idle(page)
        wait_for_new_metric(page, label, start)
        stronger = metric_value(page, label)
        assert float(stronger.split()[0]) < float(start.split()[0]), (start, stronger)
        slider.press("Home")  # level 0: the input is the clean image
        wait_idle(page)
        wait_for_new_metric(page, label, stronger)
        assert metric_value(page, label) == "∞ dB"

        page.get_by_text("Draw", exact=True).click()
        wait_idle(page)
        page.get_by_text("Paint on the canvas").wait_for()
        canvas = page.locator("canvas").last
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + 60, box["y"] + 100)
        page.mouse.down()
        for step in range(1, 21):  # a stroke across the middle of the digit
            page.mouse.move(box["x"] + 60 + step * 5, box["y"] + 100 + step * 2)
        page.mouse.up()
        page.get_by_text("pixels hidden in each of the 8 images").wait_for()
        assert metric_value(page, "Output in the mask").endswith("dB")
        assert_no_exception(page)
        screenshot(page, "denoising")
