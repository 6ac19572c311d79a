"""The command line contract: JSON listings, training with a falling loss, exit code 2 on bad input."""

import importlib.util
import json
import subprocess
import sys

import pytest
from cli_support import run_cli

from aecore.data.registry import load_dataset
from aecore.runs.checkpoints import load_run_model
from aecore.runs.folder import RunFolder
from aecore.runs.store import RunStore
from aecore.settings.variants import VARIANTS


def test_variants_json_lists_every_variant_with_its_hyperparameters(capsys):
    code, out, _ = run_cli(capsys, "variants", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [row["name"] for row in rows] == list(VARIANTS)
    sparse = next(row for row in rows if row["name"] == "sparse")
    assert {"rho", "beta", "alpha"} <= set(sparse["hyperparameters"])
    assert all(row["description"] for row in rows)


def test_datasets_json_says_what_is_available_and_why_not(capsys):
    code, out, _ = run_cli(capsys, "datasets", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert code == 0
    assert rows["mnist-5k"]["available"] and rows["mnist-5k"]["shape"] == [28, 28, 1]
    assert not rows["mnist"]["available"] and "network" in rows["mnist"]["reason"]
    assert {"name", "available", "reason", "n_train", "n_test", "shape"} <= set(rows["digits"])


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_train_json_for_every_variant_has_a_falling_loss(capsys, variant):
    code, out, err = run_cli(capsys, "train", "--variant", variant, "--dataset", "mnist-5k", "--epochs", "2", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0, err
    assert result["variant"] == variant and result["dataset"] == "mnist-5k" and result["epochs"] == 2
    first, last = result["history"][0], result["history"][-1]
    assert last["val_reconstruction"] < first["val_reconstruction"]
    assert 0 < result["test_mse"] < 0.3 and result["test_psnr"] > 0
    assert result["seconds_per_epoch"] > 0 and result["samples_per_second"] > 0 and result["device"] == "CPU"
    assert result["backend"] == "local"
    assert ("test_psnr_noisy_input" in result) == (variant == "conv_denoising")  # only it has noise by default
    assert ("test_elbo" in result) == (variant == "vae")
    assert "epoch 2/2" in err  # the progress bar went to stderr


def test_train_with_noise_reports_the_noisy_input_psnr_and_saves_a_standalone_run(capsys, tmp_path):
    code, out, _ = run_cli(
        capsys, "train", "--variant", "undercomplete", "--epochs", "1", "--noise-kind", "masking",
        "--noise-level", "0.3", "--hidden", "64", "--latent-dim", "8", "--out", str(tmp_path / "run"), "--json",
    )  # fmt: skip
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0
    assert result["test_psnr_noisy_input"] < result["test_psnr"] + 20
    assert result["run_dir"] == str(tmp_path / "run")
    folder = RunFolder(tmp_path / "run")
    assert folder.config().model.hidden == (64,) and folder.config().noise.level == 0.3
    assert folder.metrics()["test_mse"] == pytest.approx(result["test_mse"])
    assert folder.meta()["status"] == "finished" and len(folder.history().epochs) == 1
    assert not RunStore().has(result["run_id"]), "--out writes a standalone folder, not a run in the store"
    model = load_run_model(folder)
    assert model.encode(load_dataset("mnist-5k").probe_images[:2]).shape == (2, 8)
    code, _, err = run_cli(
        capsys, "train", "--variant", "undercomplete", "--epochs", "1", "--out", str(tmp_path / "run")
    )
    assert code == 2 and "already holds a run" in err, "a second run never overwrites a saved one"


def test_train_saves_into_the_store_and_runs_list_shows_it(capsys):
    code, out, _ = run_cli(capsys, "train", "--variant", "sparse", "--dataset", "digits", "--epochs", "1", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and result["run_id"] and result["run_dir"].endswith(result["run_id"])
    code, out, _ = run_cli(capsys, "runs", "list", "--json")
    listed = {row["id"]: row for row in json.loads(out)}
    row = listed[result["run_id"]]
    assert row["variant"] == "sparse" and row["dataset"] == "digits" and row["status"] == "finished"
    assert row["epochs_done"] == 1 and row["epochs"] == 1 and row["created"] > 0
    assert row["metrics"]["test_mse"] == pytest.approx(result["test_mse"])
    code, out, _ = run_cli(capsys, "runs", "show", result["run_id"], "--json")
    assert code == 0 and json.loads(out)["config"]["model"]["variant"] == "sparse"


def test_resume_extends_the_history_and_runs_export_import_delete(capsys, tmp_path):
    # DEC's training choices, so resuming is shown to restore an SGD optimizer with its momentum too
    code, out, _ = run_cli(capsys, "train", "--variant", "undercomplete", "--dataset", "digits", "--epochs", "1",
                           "--optimizer", "sgd", "--lr", "0.002", "--output", "linear", "--init", "fan_in_uniform",
                           "--json")  # fmt: skip
    run_id = json.loads(out.strip().splitlines()[-1])["run_id"]
    code, out, err = run_cli(capsys, "resume", run_id, "--epochs", "2", "--json")
    resumed = json.loads(out.strip().splitlines()[-1])
    assert code == 0, err
    assert resumed["run_id"] == run_id and resumed["epochs"] == 3
    assert [record["epoch"] for record in resumed["history"]] == [1.0, 2.0, 3.0]
    assert resumed["config"]["training"]["epochs"] == 3
    assert resumed["config"]["training"]["optimizer"] == "sgd"
    assert (resumed["config"]["model"]["output"], resumed["config"]["model"]["init"]) == ("linear", "fan_in_uniform")
    assert resumed["history"][-1]["val_reconstruction"] < resumed["history"][0]["val_reconstruction"]
    archive = tmp_path / "run.zip"
    assert run_cli(capsys, "runs", "export", run_id, "--to", str(archive))[0] == 0
    code, out, _ = run_cli(capsys, "runs", "import", str(archive))
    copy_id = out.split()[-1]
    assert code == 0 and copy_id != run_id and RunStore().record(copy_id).epochs_done == 3
    assert run_cli(capsys, "runs", "delete", copy_id)[0] == 0
    assert not RunStore().has(copy_id)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["train", "--variant", "sparse", "--rho", "1.5"], "ρ (target activation) must lie strictly between 0 and 1"),
        (["train", "--variant", "sparse", "--device", "gpu"], "No GPU is visible"),
        (["train", "--variant", "vae", "--dataset", "nope"], "Unknown dataset"),
        (["train", "--variant", "nope"], "invalid choice"),
        (["train", "--variant", "vae", "--hidden", "12,abc"], "whole numbers"),
        (["runs", "show", "../x"], "is not a run id"),
        (["runs", "show", "no-such-run"], "There is no run 'no-such-run'"),
        (["resume", "no-such-run", "--epochs", "2"], "There is no run 'no-such-run'"),
        (["runs", "import", "/etc/hostname"], "is not a zip archive"),
        (["evaluate", "no-such-run", "--noise-kind", "block", "--noise-level", "0.2"], "There is no run 'no-such-run'"),
        (["evaluate", "no-such-run", "--noise-kind", "speckle", "--noise-level", "0.2"], "invalid choice"),
    ],
)
def test_invalid_arguments_exit_2_with_one_clear_line(args, says):
    process = subprocess.run([sys.executable, "-m", "aecore", *args], capture_output=True, text=True, timeout=120)
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, process.stderr
    assert says in lines[0] and "Traceback" not in process.stderr


def test_a_vae_run_says_which_likelihood_its_elbo_uses_and_what_it_compares_with(capsys):
    code, out, err = run_cli(capsys, "train", "--variant", "vae", "--loss", "cb", "--epochs", "1", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0, err
    assert result["elbo_likelihood"] == "continuous Bernoulli" and "true lower bound" in result["elbo_comparable_with"]
    assert "test_elbo" in result


@pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="ray is not installed: pip install -r requirements-ray.txt"
)
def test_train_on_ray_says_so_and_lands_in_the_store(capsys):
    """``--backend ray`` trains in a Ray actor of a local Ray started by the command; --out needs this machine."""
    import ray

    try:
        code, out, err = run_cli(capsys, "train", "--variant", "undercomplete", "--dataset", "digits", "--epochs", "1",
                                 "--backend", "ray", "--json")  # fmt: skip
    finally:
        ray.shutdown()  # the command started it in this process
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["backend"] == "ray" and result["status"] == "finished" and result["epochs"] == 1
    code, out, _ = run_cli(capsys, "runs", "show", result["run_id"], "--json")
    assert code == 0 and json.loads(out)["status"] == "finished"
    code, _, err = run_cli(capsys, "train", "--variant", "undercomplete", "--backend", "ray", "--out", "somewhere")
    assert code == 2 and "--backend local" in err


def test_sgd_at_a_wrecking_rate_is_cautioned_before_anything_trains(capsys):
    """The caution comes first (a dataset that is not there then stops the command, so nothing trains)."""
    code, _, err = run_cli(
        capsys, "train", "--variant", "deep", "--optimizer", "sgd", "--lr", "0.003", "--dataset", "nope"
    )
    assert code == 2
    assert "aecore: warning: SGD at learning rate 0.003 can wreck the model" in err and "Try 0.0013" in err
    assert "Unknown dataset" in err


def test_evaluate_prints_the_denoising_pages_numbers_for_a_stored_run(capsys, monkeypatch, explore_store):
    """Block noise that misses some digits: the headline leaves them out and says how many, as the page does."""
    from aecore.explore.denoising import denoise
    from aecore.explore.stored_model import TrainedRun

    root, runs = explore_store
    run_id = runs["conv_denoising"]
    monkeypatch.setenv("AECORE_RUNS_DIR", str(root))
    args = ("evaluate", run_id, "--noise-kind", "block", "--noise-level", "0.26", "--images", "64")
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    store = RunStore(root)
    trained = TrainedRun.load(store.folder(run_id), store.record(run_id))
    page = denoise(trained.reconstruct, trained.dataset.x_test[:64], "block", 0.26)
    assert 0 < page.unchanged < 64, "the test needs a draw where the block misses some digits"
    assert result == {
        "run_id": run_id, "variant": "conv_denoising", "dataset": "mnist-5k", "noise_kind": "block",
        "noise_level": 0.26, "images": 64, "unchanged_images": page.unchanged,
        "psnr_noisy_input": pytest.approx(page.psnr_noisy), "psnr_output": pytest.approx(page.psnr_denoised),
        "psnr_gain": pytest.approx(page.psnr_denoised - page.psnr_noisy),
        "ssim_noisy_input": pytest.approx(page.ssim_noisy), "ssim_output": pytest.approx(page.ssim_denoised),
    }  # fmt: skip
    assert result["psnr_noisy_input"] < 40, "untouched digits no longer count as 120 dB"
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and f"psnr_noisy_input: {page.psnr_noisy:.2f} dB" in out
    assert f"ssim_output: {page.ssim_denoised:.3f}" in out
    assert f"{page.unchanged} of 64 images were left unchanged by this noise and are not counted." in out
    code, out, _ = run_cli(capsys, "evaluate", run_id, "--noise-kind", "masking", "--noise-level", "0", "--json")
    clean = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and clean["images"] == 1000 == clean["unchanged_images"], "default: every test image"
    assert clean["psnr_noisy_input"] is None and clean["psnr_gain"] is None and clean["psnr_output"] > 0
    for wrong, says in ((["--noise-level", "1.5"], "must be at most 1"), (["--images", "0"], "at least 1")):
        code, _, err = run_cli(capsys, "evaluate", run_id, "--noise-kind", "masking", "--noise-level", "0.5", *wrong)
        assert code == 2 and len(err.strip().splitlines()) == 1 and says in err, err


def test_a_sweep_of_one_seed_shows_no_spread_in_its_table(capsys, tmp_path, monkeypatch):
    """One seed has no standard deviation: the table says so with a dash, not an sd of 0; two seeds show theirs."""
    from sweep_support import BASE, fake_finished

    from aecore.sweeps.plans import SweepPlan, save_plan

    monkeypatch.setenv("AECORE_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("AECORE_BACKEND", "thread")  # every point is stored already: no worker to start
    shown = {}
    for seeds in (1, 2):
        plan = SweepPlan(BASE, {"rho": [0.1, 0.2]}, seeds=seeds)
        fake_finished(RunStore(), plan, {(0.1,): [10.0, 12.0][:seeds], (0.2,): [12.0, 14.0][:seeds]})
        save_plan(RunStore(), plan)
        code, out, err = run_cli(capsys, "sweep", "--resume", plan.sweep_id)
        assert code == 0, err
        header, *rows = (line.split() for line in out.strip().splitlines())
        shown[seeds] = [row[header.index("reconstruction_sd")] for row in rows]
    assert shown[1] == ["–", "–"]
    assert shown[2] == ["1.414", "1.414"]


def test_runs_show_prints_its_times_as_local_date_times_and_its_json_as_numbers(capsys, tmp_path, monkeypatch):
    import time

    from sweep_support import BASE

    monkeypatch.setenv("AECORE_RUNS_DIR", str(tmp_path / "runs"))
    store = RunStore()
    folder, lock = store.create(BASE, name="timed")
    ended = 1_800_000_000.5
    store.save(folder, status="finished", ended=ended, epochs_done=1)
    lock.release()
    code, out, _ = run_cli(capsys, "runs", "show", folder.run_id)
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    assert code == 0
    assert lines["ended"] == time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ended))
    created = json.loads(run_cli(capsys, "runs", "show", folder.run_id, "--json")[1])["created"]
    assert isinstance(created, float)
    assert lines["created"] == time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created))
