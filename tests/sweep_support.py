"""What the sweep tests share: a small base run and finished sweep runs stored without training."""

from __future__ import annotations

import time

import numpy as np

from aecore.runs.folder import History
from aecore.runs.store import RunStore
from aecore.settings.config import ModelConfig, RegularisationConfig, RunConfig, TrainingConfig
from aecore.sweeps.plans import SweepPlan

BASE = RunConfig(
    dataset="digits",
    model=ModelConfig(variant="sparse", hidden=(), latent_dim=8),
    regularisation=RegularisationConfig(rho=0.2, beta=2.0),
    training=TrainingConfig(epochs=1, batch_size=64),
)


def fake_finished(store: RunStore, plan: SweepPlan, results: dict[tuple, list[float]]) -> None:
    """Store finished runs with given test reconstruction losses, as if each point had trained: per image in the
    metrics, and as the last epoch's validation loss on the run's own scale (times the batch size when summed)."""
    for point in plan.points():
        losses = results[tuple(point.values.values())]
        if point.seed - plan.base.training.seed >= len(losses):
            continue
        folder, lock = store.create(point.config, sweep=plan.sweep_id, sweep_point=point.key)
        loss = losses[point.seed - plan.base.training.seed]
        folder.write_json("metrics.json", {"test_reconstruction": loss, "test_mse": loss / 100, "test_psnr": 20.0})
        training, model = point.config.training, point.config.model
        batch_reduced = loss * training.batch_size if model.reduction == "sum" else loss
        folder.write_history(
            History(
                {"reconstruction": np.array([batch_reduced])}, [{"epoch": 1.0, "val_reconstruction": batch_reduced}]
            )
        )
        store.save(folder, status="finished", ended=time.time(), epochs_done=1)
        lock.release()
