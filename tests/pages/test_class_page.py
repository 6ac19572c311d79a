"""The Class page (AppTest): every run of the server by student, one chart, a strip each, a lesson filter."""

from __future__ import annotations

import json
import time
from pathlib import Path

from page_support import texts
from streamlit.testing.v1 import AppTest

from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig
from pages import _ui as ui

ROOT = Path(__file__).resolve().parents[2]
CLASS_PAGE = str(ROOT / "pages" / "classroom.py")
TIMEOUT = 120


def finished_run(student: str, lesson: str, tab: str) -> str:
    """A short run started as a tab would start it, with its student's name and lesson; its run id."""
    manager = ui.job_manager()
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="undercomplete", hidden=(), latent_dim=4),
        training=TrainingConfig(epochs=1, batch_size=128),
    )
    job = manager.submit(config)
    ui.run_registry().add(job.run_id, job.job_id, tab, manager, student, lesson)
    deadline = time.monotonic() + 120
    while not manager.snapshot(job.job_id).ended:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return job.run_id


def test_the_class_view_shows_every_students_run_and_filters_by_lesson() -> None:
    ana = finished_run("Ana", "Sparse codes", "tab-ana")
    unnamed = finished_run("", "Sparse codes", "tab-unnamed")
    other = finished_run("Bo", "Denoising", "tab-bo")
    at = AppTest.from_file(CLASS_PAGE, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    names = [trace["name"] for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    for student, run_id in (("Ana", ana), ("Bo", other)):
        assert f"{student} · {run_id[-6:]}" in names
    assert any(name.startswith("Student ") and name.endswith(unnamed[-6:]) for name in names), "unnamed: numbered"
    shown = texts(at.markdown)
    assert "**Ana**" in shown and "**Bo**" in shown
    assert len(at.get("image")) >= 3, "each run has its strip of reconstructions"

    at.selectbox(key="class_lesson").select("Denoising").run()
    names = [trace["name"] for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert names == [f"Bo · {other[-6:]}"]
