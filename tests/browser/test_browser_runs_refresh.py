"""The Runs page shows a run started elsewhere (the CLI, another tab, a sweep) without a reload."""

from __future__ import annotations

import time

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from browser_support import BROWSER_MARKS, PATIENCE_MS, dashboard_server, wait_idle  # noqa: E402

from aecore.runs.store import RunStore  # noqa: E402
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig  # noqa: E402
from aecore.settings.validation import validate  # noqa: E402

pytestmark = BROWSER_MARKS


def stored_run(store: RunStore, name: str) -> None:
    """A finished run in the store, as another process would leave it (no training needed here)."""
    config = RunConfig(dataset="digits", model=ModelConfig(variant="sparse"), training=TrainingConfig(epochs=1))
    config = validate(config)
    folder, lock = store.create(config, name=name)
    folder.write_json("metrics.json", {"test_mse": 0.05, "test_psnr": 13.0})
    store.save(folder, status="finished", ended=time.time(), epochs_done=1)
    lock.release()


def test_a_run_added_elsewhere_appears_without_a_reload(browser, tmp_path):
    store = RunStore(tmp_path / "runs")
    stored_run(store, "first")
    with dashboard_server(store.root, "runs-refresh-server", slots=1) as url:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(PATIENCE_MS)
        page.goto(f"{url}/runs")
        wait_idle(page)
        expect(page.get_by_text("1 of 1 runs")).to_be_visible()
        stored_run(store, "started from the command line")  # no run of the page is training
        caption = page.get_by_text("2 of 2 runs")
        caption.wait_for(timeout=15_000)  # the table reads the store every 3 s; no reload happens here
        assert caption.is_visible() and page.get_by_text("1 of 1 runs").count() == 0
        assert "runs" in page.url and page.locator("[data-testid='stException']").count() == 0
