"""The run store: runs saved as they train, listed, renamed, tagged, deleted, rebuilt, interrupted, resumed,
exported and imported, and a model that plain Keras loads where aecore is not installed."""

from __future__ import annotations

import io
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from aecore.data.registry import load_dataset
from aecore.errors import AecoreError
from aecore.jobs.run_jobs import new_job, resumed_job
from aecore.runs.archive import export_archive, import_archive
from aecore.runs.checkpoints import load_run_model
from aecore.runs.compare import Best, best_runs, per_image
from aecore.runs.folder import CHECKPOINT_FILE, MODEL_FILE, THUMBNAIL_FILE
from aecore.runs.index import INDEX_FILE
from aecore.runs.store import RunStore
from aecore.runs.view import stored_snapshot
from aecore.settings.config import ModelConfig, RegularisationConfig, RunConfig, TrainingConfig
from aecore.settings.validation import validate

ROOT = Path(__file__).resolve().parents[2]


def small_config(variant: str = "undercomplete", epochs: int = 1, **regularisation) -> RunConfig:
    return RunConfig(
        dataset="digits",
        model=ModelConfig(variant=variant, hidden=(16,), latent_dim=4),
        regularisation=RegularisationConfig(**regularisation),
        training=TrainingConfig(epochs=epochs, batch_size=64),
    )


def trained(store: RunStore, config: RunConfig, name: str | None = None):
    job = new_job(config, store, name=name)
    job.run()
    return job


@pytest.fixture
def store(tmp_path) -> RunStore:
    return RunStore(tmp_path / "runs")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One finished sparse run of 2 epochs, shared by the read-only tests below."""
    store = RunStore(tmp_path_factory.mktemp("store") / "runs")
    job = trained(store, small_config("sparse", epochs=2, rho=0.1, beta=3.0), name="first")
    return store, job


def test_a_trained_run_has_every_file_and_is_listed_with_its_settings_and_metrics(finished):
    store, job = finished
    folder = store.folder(job.run_id)
    for name in ("run.json", "config.json", "history.npz", "metrics.json", "preview.npz", CHECKPOINT_FILE):
        assert folder.file(name).is_file(), name
    assert folder.file(MODEL_FILE).is_file() and folder.file(THUMBNAIL_FILE).read_bytes()[:4] == b"\x89PNG"
    (record,) = store.list()
    assert (record.id, record.name, record.variant, record.dataset) == (job.run_id, "first", "sparse", "digits")
    assert record.status == "finished" and record.epochs_done == 2 and record.epochs == 2
    assert record.parameters["rho"] == 0.1 and record.parameters["beta"] == 3.0
    assert record.metrics == pytest.approx(job.snapshot().test_metrics)
    assert record.config == job.config


def test_the_history_holds_every_batch_and_every_epoch(finished):
    store, job = finished
    history = store.folder(job.run_id).history()
    live = job.snapshot()
    assert set(history.batch_terms) == set(live.batch_terms) >= {"reconstruction", "sparsity_kl", "total"}
    np.testing.assert_array_equal(history.batch_terms["total"], live.batch_terms["total"])
    assert history.epochs == live.epoch_history


def test_a_stored_snapshot_draws_like_the_live_one(finished):
    store, job = finished
    stored, live = stored_snapshot(store, job.run_id), job.snapshot()
    assert stored.status == live.status and stored.epoch == 2 and stored.ended
    np.testing.assert_array_equal(stored.preview.probe_reconstruction, live.preview.probe_reconstruction)
    np.testing.assert_array_equal(stored.preview.code_points, live.preview.code_points)
    assert stored.preview.traversal.row_labels == live.preview.traversal.row_labels
    assert stored.test_metrics == pytest.approx(live.test_metrics) and stored.progress == 1.0


def test_tensorboard_has_every_term_per_batch_and_per_epoch_and_the_probe_grid(finished):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    store, job = finished
    events = EventAccumulator(str(store.folder(job.run_id).file("tensorboard")), size_guidance={"tensors": 0})
    events.Reload()
    tags = set(events.Tags()["tensors"])
    assert {"batch/reconstruction", "batch/sparsity_kl", "batch/total"} <= tags
    assert {"epoch_reconstruction/train", "epoch_reconstruction/val", "probe/clean_over_reconstruction"} <= tags
    assert len(events.Tensors("batch/total")) == len(job.snapshot().batch_terms["total"])
    assert [event.step for event in events.Tensors("epoch_total/val")] == [1, 2]


def test_rename_tag_filter_and_delete(store):
    first = trained(store, small_config())
    second = trained(store, small_config("sparse"))
    store.rename(first.run_id, "  baseline ")
    store.set_tags(first.run_id, ["class demo", " best ", "", "best"])
    assert store.record(first.run_id).name == "baseline"
    assert store.record(first.run_id).tags == ("class demo", "best")
    assert [record.id for record in store.list(tag="best")] == [first.run_id]
    assert [record.id for record in store.list(variant="sparse")] == [second.run_id]
    assert len(store.list(status="finished")) == 2 and store.list(dataset="mnist-5k") == []
    with pytest.raises(AecoreError, match="cannot be empty"):
        store.rename(first.run_id, "   ")
    with pytest.raises(AecoreError, match="without commas"):
        store.set_tags(first.run_id, ["a,b"])
    store.delete(second.run_id)
    assert [record.id for record in store.list()] == [first.run_id]
    assert not (store.root / second.run_id).exists()


def test_the_index_is_rebuilt_from_the_folders(store):
    runs = [trained(store, small_config()).run_id for _ in range(2)]
    store.rename(runs[0], "renamed")
    before = {record.id: record for record in store.list()}
    (store.root / INDEX_FILE).unlink()
    for suffix in ("-wal", "-shm"):
        (store.root / f"{INDEX_FILE}{suffix}").unlink(missing_ok=True)
    assert store.rebuild_index() == 2
    assert {record.id: record for record in store.list()} == before


def test_a_missing_index_is_rebuilt_when_the_store_is_listed(store):
    run_id = trained(store, small_config()).run_id
    (store.root / INDEX_FILE).unlink()
    assert [record.id for record in store.list()] == [run_id]


def test_a_stale_index_row_does_not_turn_a_finished_run_into_an_interrupted_one(store):
    """The index still says running (the run saved its end, then let go of its lock, while a reader looked)."""
    from aecore.runs.index import row_from_files

    job = trained(store, small_config())
    folder = store.folder(job.run_id)
    store.index.upsert(row_from_files(job.run_id, {**folder.meta(), "status": "running"}, job.config, {}))
    record = store.record(job.run_id)
    assert record.status == "finished" and record.metrics


def test_bad_run_ids_and_missing_runs_are_clear_errors(store):
    for bad in ("../x", "/etc", "a/b", ".hidden", ""):
        with pytest.raises(AecoreError, match="is not a run id"):
            store.folder(bad)
    with pytest.raises(AecoreError, match="There is no run 'nope'"):
        store.record("nope")


def test_a_run_cannot_be_deleted_or_resumed_while_it_trains(store):
    job = new_job(small_config(epochs=200), store)
    thread = threading.Thread(target=job.run)
    thread.start()
    try:
        while not store.folder(job.run_id).checkpoint_epochs():
            time.sleep(0.1)
        assert store.record(job.run_id).status == "running"
        with pytest.raises(AecoreError, match="still training"):
            store.delete(job.run_id)
        with pytest.raises(AecoreError, match="already training"):
            resumed_job(store, job.run_id, 1)
    finally:
        job.request_stop()
        thread.join()
    assert store.record(job.run_id).status == "stopped"


def test_resume_continues_the_history_and_the_optimiser(store):
    first = trained(store, small_config(epochs=2))
    iterations = int(first.model.optimizer.iterations)
    batches = len(first.snapshot().batch_steps)
    again = resumed_job(store, first.run_id, 1)
    again.run()
    snapshot = again.snapshot()
    assert snapshot.status == "finished" and snapshot.run_id == first.run_id
    assert [record["epoch"] for record in snapshot.epoch_history] == [1.0, 2.0, 3.0]
    assert snapshot.epoch_history[:2] == first.snapshot().epoch_history
    assert len(snapshot.batch_steps) == batches * 3 // 2
    assert int(again.model.optimizer.iterations) == iterations + batches // 2
    record = store.record(first.run_id)
    assert record.epochs_done == 3 and record.epochs == 3 and record.config.training.epochs == 3


def test_a_killed_training_process_is_listed_as_interrupted_and_resumes(store):
    """kill -9 mid-epoch: the run keeps its finished epochs and no other run is damaged."""
    other = trained(store, small_config())
    command = [sys.executable, "-m", "aecore", "train", "--variant", "undercomplete", "--dataset", "mnist-5k",
               "--hidden", "64", "--latent-dim", "8", "--epochs", "500", "--batch-size", "16"]  # fmt: skip
    env = {**os.environ, "AECORE_RUNS_DIR": str(store.root)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "the training process ended early"
            running = [record for record in store.list() if record.id != other.run_id]
            if running and (store.folder(running[0].id).checkpoint_epochs() or 0) >= 1:
                break
            time.sleep(0.2)
        assert running[0].status == "running"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    record = store.record(running[0].id)
    assert record.status == "interrupted" and record.epochs_done >= 1 and "interrupted" in record.message.lower()
    assert store.record(other.run_id).status == "finished"
    resumed = resumed_job(store, record.id, 1)
    resumed.run()
    history = resumed.snapshot().epoch_history
    assert [round(entry["epoch"]) for entry in history] == list(range(1, record.epochs_done + 2))


def test_the_plain_model_loads_with_keras_alone_and_reconstructs_like_the_trained_model(finished, tmp_path):
    store, job = finished
    images = load_dataset("digits").x_test[:16]
    np.save(tmp_path / "images.npy", images)
    np.save(tmp_path / "expected.npy", job.model(images).numpy())
    assert plain_keras_check(store.folder(job.run_id).file(MODEL_FILE), tmp_path) == "ok (16, 4)"


def plain_keras_check(model_file: Path, folder: Path) -> str:
    """Run tests/plain_keras_check.py in a fresh Python, outside the checkout, where aecore cannot be imported."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    arguments = [str(model_file), "images.npy", *(["expected.npy"] if (folder / "expected.npy").exists() else [])]
    process = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "unit" / "plain_keras_check.py"), *arguments],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr[-2000:]
    return process.stdout.strip().splitlines()[-1]


def test_an_archive_goes_out_and_comes_back_as_a_new_run(finished, tmp_path):
    store, job = finished
    other = RunStore(tmp_path / "elsewhere")
    run_id = import_archive(other, export_archive(store, job.run_id), "run.zip")
    record = other.record(run_id)
    assert run_id != job.run_id and record.name == "first" and record.status == "finished"
    model = load_run_model(other.folder(run_id))
    images = load_dataset("digits").x_test[:8]
    np.testing.assert_allclose(model(images).numpy(), job.model(images).numpy(), atol=1e-6)


def zip_of(files: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16  # a symbolic link
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


GOOD_CONFIG = small_config().to_json().encode()
GOOD_META = json.dumps({"name": "x", "status": "finished", "created": 1.0}).encode()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"not a zip at all", "is not a zip archive"),
        (zip_of({"../config.json": GOOD_CONFIG, "run.json": GOOD_META}), "leaves its folder"),
        (zip_of({"/abs/config.json": GOOD_CONFIG}), "absolute path"),
        (zip_of({"config.json": GOOD_CONFIG, "run.json": GOOD_META}, links=("link",)), "a link"),
        (zip_of({"run.json": GOOD_META}), "has no config.json"),
        (zip_of({"config.json": b'{"model": {"variant": "nope"}}', "run.json": GOOD_META}), "not a valid run config"),
        (zip_of({"config.json": GOOD_CONFIG}), "has no run.json"),
        (zip_of({"config.json": GOOD_CONFIG, "run.json": b'{"created": "yesterday"}'}), "invalid 'created'"),
        (zip_of({"config.json": GOOD_CONFIG, "run.json": b'{"status": "bogus"}'}), "invalid 'status'"),
        (zip_of({"config.json": GOOD_CONFIG, "run.json": GOOD_META, "history.npz": b"junk"}), "damaged run file"),
    ],
    ids=lambda value: value if isinstance(value, str) else "archive",  # the same ids whenever the zips are made
)
def test_a_bad_archive_is_refused_and_nothing_is_written(store, data, says):
    with pytest.raises(AecoreError, match=says):
        import_archive(store, data, "upload.zip")
    assert not store.root.exists() or [path.name for path in store.root.iterdir() if path.name != INDEX_FILE] == []


def test_an_archive_over_the_upload_limit_is_refused(store, monkeypatch):
    from aecore.runs import archive

    monkeypatch.setattr(archive, "MAX_ARCHIVE_BYTES", 100)
    with pytest.raises(AecoreError, match="at most"):
        import_archive(store, zip_of({"config.json": GOOD_CONFIG, "run.json": GOOD_META}), "big.zip")


def test_a_store_that_cannot_be_written_gives_a_clear_error_and_the_run_trains_unsaved(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store should be")
    store = RunStore(blocker / "runs")
    with pytest.raises(AecoreError, match="Could not create a run .* AECORE_RUNS_DIR"):
        store.create(small_config())
    job = new_job(small_config(), store)
    job.run()
    snapshot = job.snapshot()
    assert snapshot.status == "finished" and snapshot.test_metrics
    assert "not being saved" in snapshot.store_error and job.model is not None  # still downloadable


def test_a_disk_that_fills_up_mid_run_leaves_the_index_whole(store, monkeypatch):
    from aecore.runs import folder as folder_module

    job = new_job(small_config(epochs=3), store)
    real_replace = os.replace
    writes = {"count": 0}

    def replace_until_full(source, target):
        writes["count"] += 1
        if writes["count"] > 6:  # the first epoch's files went through; then the disk is full
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(folder_module.os, "replace", replace_until_full)
    job.run()
    monkeypatch.setattr(folder_module.os, "replace", real_replace)
    snapshot = job.snapshot()
    assert snapshot.status == "finished" and len(snapshot.epoch_history) == 3
    assert "the disk is full (no space left on device)" in snapshot.store_error
    record = store.record(job.run_id)
    assert record.status == "interrupted" and record.epochs_done == 1
    with sqlite3.connect(store.root / INDEX_FILE) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not list(store.root.glob(f"{job.run_id}/.*.tmp")), "no temporary files are left behind"


def test_sessions_saving_at_once_never_break_the_index(store):
    folders = [store.create(small_config())[0] for _ in range(4)]
    errors: list[Exception] = []

    def rename_many(index: int) -> None:
        try:
            for round_ in range(15):
                store.rename(folders[index].run_id, f"run {index} round {round_}")
                store.create(small_config())
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=rename_many, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    records = store.list()
    assert len(records) == 4 + 4 * 15
    assert {store.record(folder.run_id).name for folder in folders} == {f"run {i} round 14" for i in range(4)}


def test_a_resume_that_cannot_load_or_is_cancelled_leaves_the_run_as_it_was(store):
    job = trained(store, small_config(epochs=2))
    folder = store.folder(job.run_id)
    files = {name: folder.file(name).read_bytes() for name in (CHECKPOINT_FILE, "history.npz", MODEL_FILE)}

    cancelled = resumed_job(store, job.run_id, 3)
    cancelled.request_stop()  # stopped while it waited in the queue
    cancelled.run()
    record = store.record(job.run_id)
    assert record.status == "stopped" and record.epochs_done == 2 and record.config.training.epochs == 2

    broken = record.config.with_changes(model={"hidden": (32,)})  # a checkpoint that no longer fits the config
    folder.write_config(broken)
    failing = resumed_job(store, job.run_id, 3)
    failing.run()
    assert failing.snapshot().status == "failed"
    record = store.record(job.run_id)
    assert record.status == "failed" and record.epochs_done == 2 and record.config.training.epochs == 2
    assert {name: folder.file(name).read_bytes() for name in files} == files, "nothing the run had is lost"


def test_a_run_saved_before_a_term_existed_resumes_with_that_term_empty_before(store):
    """A VAE run saved before ``beta_kl`` existed: the new term's curve starts at the resume, its earlier batches
    are NaN, so every term keeps one value per batch and the curves still draw."""
    from aecore.figures import curves
    from aecore.runs.folder import History

    first = trained(store, small_config("vae", epochs=1))
    folder = store.folder(first.run_id)
    old = folder.history()
    folder.write_history(History({k: v for k, v in old.batch_terms.items() if k != "beta_kl"}, old.epochs))
    again = resumed_job(store, first.run_id, 1)
    again.run()
    snapshot = again.snapshot()
    assert snapshot.status == "finished", snapshot.message
    lengths = {name: len(values) for name, values in snapshot.batch_terms.items()}
    assert len(set(lengths.values())) == 1, lengths
    assert np.isnan(snapshot.batch_terms["beta_kl"][: old.batch_count]).all()
    assert np.isfinite(snapshot.batch_terms["beta_kl"][old.batch_count :]).all()
    curves.loss_curves(snapshot.batch_steps, snapshot.batch_terms, np.array([1, 2]), {})


def compared_config(loss: str = "bce", reduction: str = "mean", dataset: str = "digits", **changes) -> RunConfig:
    config = RunConfig(dataset=dataset, model=ModelConfig(variant="vae", loss=loss, reduction=reduction))
    return validate(config.with_changes(**changes))


def test_a_best_run_is_marked_only_among_runs_whose_metric_means_the_same():
    configs = {
        "bce summed": compared_config("bce", "sum"),
        "mse": compared_config("mse"),
        "bce": compared_config("bce"),
    }
    metrics = {
        "bce summed": {"test_reconstruction": 150.0, "test_mse": 0.05, "test_psnr": 13.0, "test_elbo": -160.0},
        "mse": {"test_reconstruction": 28.34, "test_mse": 0.04, "test_psnr": 14.0, "test_elbo": -750.0},
        "bce": {"test_reconstruction": 140.0, "test_mse": 0.06, "test_psnr": 12.0, "test_elbo": -150.0},
    }
    best = best_runs(metrics, configs)
    different_losses = "no best: these runs use different losses (bce, mse)"
    assert best["test_reconstruction"] == Best(None, different_losses)
    assert best["test_elbo"] == Best(None, different_losses), "the ELBO's likelihood is the loss's"
    assert best["test_mse"] == Best("mse") and best["test_psnr"] == Best("mse"), "MSE and PSNR compare across losses"
    bce_only = {run: metrics[run] for run in ("bce summed", "bce")}
    assert best_runs(bce_only, configs)["test_reconstruction"] == Best("bce"), "per image whatever the reduction"
    assert best_runs(bce_only, configs)["test_elbo"] == Best("bce")


def test_the_lowest_negative_log_likelihood_and_the_highest_ssim_are_best():
    configs = {"a": compared_config(), "b": compared_config()}
    metrics = {"a": {"test_nll": 90.0, "test_ssim": 0.7}, "b": {"test_nll": 85.0, "test_ssim": 0.6}}
    best = best_runs(metrics, configs)
    assert best["test_nll"] == Best("b") and best["test_ssim"] == Best("a")


def test_no_best_across_datasets_or_test_noise_and_none_for_the_noisy_inputs_baseline():
    configs = {
        "digits": compared_config(),
        "mnist": compared_config(dataset="mnist-5k"),
        "noisy": compared_config(noise={"kind": "gaussian", "level": 0.3}),
    }
    metrics = {
        "digits": {"test_mse": 0.05, "test_elbo": -30.0},
        "mnist": {"test_mse": 0.02, "test_elbo": -100.0},
        "noisy": {"test_mse": 0.06, "test_psnr_noisy_input": 11.0},
    }
    best = best_runs(metrics, configs)
    assert best["test_mse"].why_none == (
        "no best: these runs use different datasets (digits, mnist-5k) and test noise (none, gaussian 0.3)"
    )
    assert best["test_elbo"].why_none == "no best: these runs use different datasets (digits, mnist-5k)"
    assert best["test_psnr_noisy_input"].run is None and "baseline" in best["test_psnr_noisy_input"].why_none
    alone = best_runs({"digits": metrics["digits"], "noisy": {"test_elbo": math.nan}}, configs)
    assert alone["test_elbo"] == Best(None, "no best: only one of these runs has it")
    assert "test_psnr" not in best, "a metric no run has is left out"


def test_a_summed_runs_validation_loss_per_image_is_on_its_test_reconstructions_scale(store):
    """``reduction='sum'`` multiplies the validation loss by the batch size; per image it meets the test metric."""
    config = small_config().with_changes(model={"reduction": "sum"}, training={"xla": False})  # XLA: 2 s to compile
    assert per_image(np.array([640.0, 320.0]), config).tolist() == [10.0, 5.0]
    assert per_image(np.array([640.0]), small_config()).tolist() == [640.0], "a mean-reduced run is per image already"
    snapshot = trained(store, config).snapshot()
    last = snapshot.epoch_history[-1]["val_reconstruction"]
    assert last > 20 * snapshot.test_metrics["test_reconstruction"], "on the batch-summed scale"
    assert per_image(np.array([last]), config)[0] == pytest.approx(
        snapshot.test_metrics["test_reconstruction"], rel=0.1
    )


def test_runs_group_as_seeds_only_with_the_same_settings_version_and_no_live_change():
    from aecore import __version__
    from aecore.runs.compare import mean_and_spread, seed_group_key, seed_groups

    base = RunConfig(dataset="digits")
    now = {"version": __version__, "store_format": 2}
    keys = {
        "seed 0": seed_group_key(base, now, False, "a"),
        "seed 1": seed_group_key(base.with_changes(training={"seed": 1}), now, False, "b"),
        "other rho": seed_group_key(base.with_changes(regularisation={"rho": 0.3}), now, False, "c"),
        "older code": seed_group_key(base.with_changes(training={"seed": 2}), {}, False, "d"),
        "changed live": seed_group_key(base.with_changes(training={"seed": 3}), now, True, "e"),
    }
    assert seed_groups(keys) == [["seed 0", "seed 1"], ["other rho"], ["older code"], ["changed live"]]
    mean, sd = mean_and_spread([np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0])])
    assert mean.tolist() == [2.0, 3.0] and np.allclose(sd, [np.sqrt(2), np.sqrt(2)])


def test_a_new_run_records_the_version_and_store_format_that_made_it(store):
    from aecore import __version__
    from aecore.runs.folder import STORE_FORMAT

    folder, lock = store.create(RunConfig(dataset="digits"))
    lock.release()
    meta = folder.meta()
    assert (meta["version"], meta["store_format"]) == (__version__, STORE_FORMAT)
    assert f'version = "{__version__}"' in (ROOT / "pyproject.toml").read_text(), "one version, in both places"


def test_the_tensorboard_command_names_the_runs_event_folders(finished):
    import shlex

    from aecore.runs.compare import tensorboard_command

    store, run_id = finished[0], finished[1].run_id
    one = shlex.split(tensorboard_command(store.root, [run_id]))
    assert one[:2] == ["tensorboard", "--logdir"] and any(Path(one[2]).glob("**/events.out.tfevents.*"))
    two = shlex.split(tensorboard_command(store.root, [run_id, "20261207-000000-abcdef"]))
    assert two[1] == "--logdir_spec" and two[2].startswith(f"{run_id}:{Path(one[2])},20261207-000000-abcdef:")
