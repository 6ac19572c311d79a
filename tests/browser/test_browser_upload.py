"""A student's own images in the browser: pick a file under Dataset → "Upload your own…", see it previewed, add it,
train on it, and after a restart of the server find it listed and its run explorable; a bad file is refused with
its message and nothing else changes."""

from __future__ import annotations

import re

import numpy as np
import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from browser_support import (  # noqa: E402  (only once Playwright is known to be there)
    BROWSER_MARKS,
    assert_no_exception,
    button,
    dashboard_server,
    new_tab,
    screenshot,
    type_number,
    wait_for_text,
    wait_idle,
)

pytestmark = BROWSER_MARKS


def npz_file(path) -> None:
    rng = np.random.default_rng(7)
    images = np.zeros((60, 12, 12), dtype=np.uint8)
    for index in range(60):  # bright squares at three places: labelled by place
        row = 2 + 3 * (index % 3)
        images[index, row : row + 4, 3:9] = 200 + rng.integers(0, 50)
    np.savez(path, x=images, y=np.array(["top", "middle", "bottom"] * 20))


def pick_file(page, path) -> None:
    page.get_by_role("button", name=re.compile("Upload your own")).click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))


def test_an_uploaded_npz_is_previewed_added_trained_on_and_kept_over_a_restart(browser, tmp_path) -> None:
    with dashboard_server(tmp_path / "store", "upload-server", slots=1) as url:
        page = new_tab(browser, url)
        button(page, "Train").wait_for()

        (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not really")
        pick_file(page, tmp_path / "broken.npz")
        page.get_by_text("is not a readable NumPy file").wait_for()
        assert_no_exception(page)
        page.keyboard.press("Escape")

        npz_file(tmp_path / "squares.npz")
        pick_file(page, tmp_path / "squares.npz")
        page.get_by_text("60 images of 12×12 · 3 labels: bottom, middle, top").wait_for()
        expect(page.get_by_role("img", name="uploaded image 8")).to_have_count(1)
        screenshot(page, "upload-preview")
        page.get_by_role("button", name="Add this dataset").click()
        page.get_by_text("Added upload:squares").wait_for()
        expect(page.get_by_label("Dataset", exact=True)).to_have_value("upload:squares")
        wait_idle(page)
        assert "dataset=upload" in page.url, "a link can name the uploaded dataset"

        type_number(page, "Epochs", 1)
        button(page, "Train").click()
        wait_for_text(page, "After training", timeout_ms=120_000)
        assert_no_exception(page)
        expect(page.get_by_text(re.compile(r"on upload:squares · 1 epochs"))).to_have_count(1)

    with dashboard_server(tmp_path / "store", "upload-server-restarted", slots=1) as url:
        page = new_tab(browser, f"{url}/?dataset=upload:squares")
        expect(page.get_by_label("Dataset", exact=True)).to_have_value("upload:squares")
        page.goto(f"{url}/latent")
        wait_idle(page)
        wait_for_text(page, "Codes of 12 test images", timeout_ms=120_000)  # the run's codes, from its dataset
        assert_no_exception(page)
