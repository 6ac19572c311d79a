"""The command line contract: JSON listings, training with a falling loss, exit code 2 on bad input."""

import json
import subprocess
import sys

import pytest

from aecore.__main__ import main
from aecore.runs import load_run
from aecore.variants import VARIANTS


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


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
    assert ("test_psnr_noisy_input" in result) == (variant == "conv_denoising")  # only it has noise by default
    assert ("test_elbo" in result) == (variant == "vae")
    assert "epoch 2/2" in err  # the progress bar went to stderr


def test_train_with_noise_reports_the_noisy_input_psnr_and_saves_a_run(capsys, tmp_path):
    code, out, _ = run_cli(
        capsys, "train", "--variant", "undercomplete", "--epochs", "1", "--noise-kind", "masking",
        "--noise-level", "0.3", "--hidden", "64", "--latent-dim", "8", "--out", str(tmp_path), "--json",
    )  # fmt: skip
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0
    assert result["test_psnr_noisy_input"] < result["test_psnr"] + 20
    saved = load_run(tmp_path)
    assert saved.config.model.hidden == (64,) and saved.config.noise.level == 0.3
    assert saved.metrics["test_mse"] == pytest.approx(result["test_mse"])
    assert len(saved.history) == 1 and saved.load_model().encode(saved_probe(saved)).shape == (2, 8)


def saved_probe(saved):
    from aecore.data import load_dataset

    return load_dataset(saved.config.dataset).probe_images[:2]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["train", "--variant", "sparse", "--rho", "1.5"], "ρ (target activation) must lie strictly between 0 and 1"),
        (["train", "--variant", "sparse", "--device", "gpu"], "No GPU is visible"),
        (["train", "--variant", "vae", "--dataset", "nope"], "Unknown dataset"),
        (["train", "--variant", "nope"], "invalid choice"),
        (["train", "--variant", "vae", "--hidden", "12,abc"], "whole numbers"),
    ],
)
def test_invalid_arguments_exit_2_with_one_clear_line(args, says):
    process = subprocess.run([sys.executable, "-m", "aecore", *args], capture_output=True, text=True, timeout=120)
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, process.stderr
    assert says in lines[0] and "Traceback" not in process.stderr
