"""Runs saved before aecore moved into subpackages still import, list, open and resume.

``tests/fixtures`` holds two runs exported by the flat layout's code (one epoch on scikit-learn's digits, a
32-wide layer and an 8-unit code, seed 3): a sparse autoencoder and an adversarial one (its discriminator and
two optimizers make the richest checkpoint). Nothing in a run folder may name a module of aecore.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aecore.explore.stored_model import TrainedRun
from aecore.jobs.run_jobs import resumed_job
from aecore.runs.archive import import_archive
from aecore.runs.store import RunStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("variant", ["sparse", "aae"])
def test_a_run_saved_before_the_move_imports_lists_opens_and_resumes(tmp_path, variant):
    store = RunStore(tmp_path / "runs")
    run_id = import_archive(store, (FIXTURES / f"{variant}-before-the-move.zip").read_bytes())

    (record,) = store.list()
    assert (record.id, record.variant, record.dataset, record.status) == (run_id, variant, "digits", "finished")
    assert (record.epochs_done, record.parameters["latent_dim"], record.parameters["hidden"]) == (1, 8, (32,))
    assert record.metrics["test_psnr"] > 5.0

    trained = TrainedRun.load(store.folder(run_id), store.record(run_id))
    codes = trained.encode(trained.test_images[:16])
    assert codes.shape == (16, 8) and np.isfinite(codes).all()
    assert trained.decode(codes).shape == trained.test_images[:16].shape

    job = resumed_job(store, run_id, 1)
    job.run()
    snapshot = job.snapshot()
    assert snapshot.status == "finished", snapshot.message
    assert store.record(run_id).epochs_done == 2 and len(snapshot.epoch_history) == 2
