"""The Train page's own data: a stored upload is offered beside the built-in datasets, a link can name it, and its
Remove button is refused while a run needs it. The upload itself (a file picked in the browser) is in
``tests/browser/test_browser_upload.py``: AppTest cannot pick a file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from page_support import texts
from streamlit.testing.v1 import AppTest

from aecore.settings.config import RunConfig

TRAIN_PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "train.py")


def npz_file() -> bytes:
    buffer = io.BytesIO()
    images = np.random.default_rng(5).integers(0, 256, (30, 10, 10), dtype=np.uint8)
    np.savez(buffer, x=images, y=np.arange(30) % 3)
    return buffer.getvalue()


def train_page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_stored_upload_is_offered_named_by_a_link_and_removed_only_when_no_run_needs_it(page_store):
    page_store.add_dataset("shapes.npz", npz_file())
    at = train_page({"dataset": "upload:shapes"})
    box = next(widget for widget in at.selectbox if widget.label == "Dataset")
    assert "upload:shapes" in box.options and box.value == "upload:shapes"
    assert "Your data: 30 images of 10×10, 3 classes" in texts(at.caption)

    folder, lock = page_store.create(RunConfig(dataset="upload:shapes").with_changes(training={"epochs": 1}))
    lock.release()
    next(widget for widget in at.button if widget.label == "Remove upload:shapes").click().run()
    assert f"1 run trained on upload:shapes ({folder.run_id})" in texts(at.error)
    assert page_store.datasets.find("shapes") is not None

    page_store.delete(folder.run_id)
    next(widget for widget in at.button if widget.label == "Remove upload:shapes").click().run()
    assert page_store.datasets.find("shapes") is None
    box = next(widget for widget in at.selectbox if widget.label == "Dataset")
    assert "upload:shapes" not in box.options and box.value == "mnist-5k"
    assert "Removed **upload:shapes**" in texts(at.success)
