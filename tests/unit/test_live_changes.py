"""Settings changed while a run trains: which can, from which batch they apply, how the run keeps them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_support import run_cli
from job_support import start, wait_until

from aecore.errors import AecoreError
from aecore.jobs.run_jobs import new_job, resumed_job
from aecore.runs.folder import History
from aecore.runs.snapshots import STOPPED
from aecore.runs.store import RunStore
from aecore.runs.view import stored_snapshot
from aecore.settings.config import ModelConfig, NoiseConfig, RegularisationConfig, RunConfig, TrainingConfig
from aecore.settings.live import LiveChange, checked_change, in_force, live_settings
from aecore.settings.variants import resolve
from aecore.training.engine import TrainingJob


def config(variant: str, **sections) -> RunConfig:
    return resolve(RunConfig(dataset="mnist-5k", model=ModelConfig(variant=variant), **sections))


def test_each_variant_changes_live_only_what_its_compiled_steps_read() -> None:
    assert live_settings(config("sparse")) == ("learning_rate", "beta", "rho", "alpha")
    assert live_settings(config("vae")) == ("learning_rate", "beta", "alpha")
    assert live_settings(config("contractive")) == ("learning_rate", "lam", "alpha")
    assert "noise_level" in live_settings(config("conv_denoising"))  # trained with noise
    assert "noise_level" not in live_settings(config("deep")), "steps compiled without noise cannot get some"
    l1 = config("sparse", regularisation=RegularisationConfig(sparsity="l1"))
    assert "lam" in live_settings(l1) and "rho" not in live_settings(l1)


def test_a_change_that_cannot_apply_is_refused_with_what_can() -> None:
    with pytest.raises(AecoreError, match="cannot change while this run trains .*learning_rate"):
        checked_change(config("deep"), "latent_dim", 4)
    with pytest.raises(AecoreError, match="must lie from"):
        checked_change(config("sparse"), "rho", 1.5)
    block = config("conv_denoising", noise=NoiseConfig(kind="block", level=0.3))
    with pytest.raises(AecoreError, match="to 1"):
        checked_change(block, "noise_level", 1.5)
    assert checked_change(config("sparse"), "beta", "8") == 8.0


def test_the_settings_in_force_take_each_last_change() -> None:
    first = config("sparse")
    changes = [LiveChange(10, "beta", 3.0, 8.0), LiveChange(40, "rho", 0.2, 0.05), LiveChange(90, "beta", 8.0, 1.0)]
    now = in_force(first, changes)
    assert now.regularisation.beta == 1.0 and now.regularisation.rho == 0.05
    assert now.training == first.training and in_force(first, []) == first


def test_a_history_keeps_its_changes_and_a_checkpoints_history_keeps_those_made_after_it() -> None:
    changes = [LiveChange(3, "alpha", 0.0, 0.5), LiveChange(12, "learning_rate", 0.001, 0.01)]
    history = History({"total": np.arange(14.0)}, [{"epoch": 1.0, "batches": 7.0}, {"epoch": 2.0, "batches": 14.0}])
    history.live_changes = changes
    again = History.from_arrays(dict(np.load(__import__("io").BytesIO(history.to_npz()))))
    assert again.live_changes == changes
    assert again.truncated(1).live_changes == [changes[0], LiveChange(8, "learning_rate", 0.001, 0.01)]


def test_a_change_applies_from_the_next_call_and_is_recorded_at_that_batch(tmp_path, capsys, monkeypatch) -> None:
    store = RunStore(tmp_path)
    settings = RunConfig(
        dataset="mnist-5k",
        model=ModelConfig(variant="undercomplete", hidden=(32,), latent_dim=4),
        training=TrainingConfig(epochs=300, batch_size=64),
    )
    job = new_job(settings, store)
    thread = start(job)
    wait_until(lambda: len(job.snapshot().batch_steps) >= 5)
    job.change_setting("alpha", 0.5)
    wait_until(lambda: job.snapshot().live_changes and job.snapshot().epoch_history)  # a checkpoint to resume from
    job.request_stop()
    thread.join(60)
    snapshot = job.snapshot()
    (change,) = snapshot.live_changes
    assert (change.name, change.old, change.new) == ("alpha", 0.0, 0.5)
    decay = snapshot.batch_terms["weight_decay"]
    assert np.all(decay[: change.batch - 1] == 0) and np.all(decay[change.batch - 1 :] > 0), "from that batch on"
    assert job.model.live_value("alpha") == 0.5
    with pytest.raises(AecoreError):
        job.change_setting("batch_size", 8)

    # the store keeps the change; config.json the settings the run started with; a resume goes on with 0.5
    assert stored_snapshot(store, job.run_id).live_changes == [change]
    assert store.record(job.run_id).config.regularisation.alpha == 0.0
    again = resumed_job(store, job.run_id, 1)
    again.run()
    resumed = again.snapshot()
    assert resumed.status != STOPPED and again.model.live_value("alpha") == 0.5
    assert [c.name for c in resumed.live_changes] == ["alpha"]
    assert np.all(resumed.batch_terms["weight_decay"][-3:] > 0)

    monkeypatch.setenv("AECORE_RUNS_DIR", str(tmp_path))  # ``runs show`` prints the change
    code, out, _ = run_cli(capsys, "runs", "show", job.run_id)
    assert code == 0 and f"changed while training: alpha 0 -> 0.5 from batch {change.batch}" in out
    code, out, _ = run_cli(capsys, "runs", "show", job.run_id, "--json")
    assert json.loads(out)["live_changes"] == [{"batch": change.batch, "name": "alpha", "old": 0.0, "new": 0.5}]


def test_a_live_learning_rate_keeps_the_adversarial_optimisers_in_ratio() -> None:
    job = TrainingJob(config("aae", training=TrainingConfig(epochs=1)))
    from aecore.models.build import build_model

    model = build_model(job.config, (28, 28, 1))
    rates = [float(o.learning_rate.numpy()) for o in model.optimizers]
    model.set_live("learning_rate", rates[0] * 4)
    assert [float(o.learning_rate.numpy()) for o in model.optimizers] == pytest.approx([r * 4 for r in rates])
