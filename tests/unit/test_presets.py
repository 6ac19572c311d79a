"""Every preset learns what it is meant to show, and the command line lists and trains them by id."""

import json

import numpy as np
import pytest
from cli_support import run_cli

from aecore.data.registry import list_datasets, load_dataset
from aecore.settings.config import RunConfig
from aecore.settings.presets import PRESETS
from aecore.settings.validation import validate
from aecore.training.engine import TrainingJob
from aecore.training.evaluation import mean_image_psnr

#: what every preset must gain over a model that outputs the average training image, in dB of test PSNR
REQUIRED_GAIN_DB = 1.5
#: presets trained for fewer epochs here than their own: the tutorial denoiser's five epochs on Fashion-MNIST take
#: 70 s (benchmarks/denoising.py trains them, against the tutorial's figure); one epoch already clears the bar
SUITE_EPOCHS = {"tf-tutorial-denoiser": 1}


def available(dataset: str) -> bool:
    return any(info.name == dataset and info.available for info in list_datasets())


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_every_preset_beats_the_mean_image_and_shows_its_structure(preset_id):
    """Trained for its default epochs: the seed report's sparse preset once sat exactly at the mean image."""
    preset = PRESETS[preset_id]
    if not available(preset.config.dataset):
        pytest.skip(f"{preset.config.dataset} is not installed here")
    epochs = SUITE_EPOCHS.get(preset_id, preset.config.training.epochs)
    job = TrainingJob(preset.config.with_changes(training={"epochs": epochs}))
    job.run()
    snapshot = job.snapshot()
    assert snapshot.status == "finished", snapshot.message
    baseline = mean_image_psnr(load_dataset(preset.config.dataset))
    assert snapshot.test_metrics["test_psnr"] >= baseline + REQUIRED_GAIN_DB, (snapshot.test_metrics, baseline)
    preview = snapshot.preview
    rho_hat = preview.mean_activation
    if preset_id == "seed-sparse":  # the units spread out instead of all sitting at one value
        assert rho_hat.std() > 0.01 and rho_hat.max() - rho_hat.min() > 0.1
    if preset_id == "sparse-code":  # the units' mean activations gather at ρ (tests/unit/test_sparsity.py: and fire)
        rho = preset.config.regularisation.rho
        assert abs(rho_hat.mean() - rho) <= 0.03 and np.sum(np.abs(rho_hat - rho) <= 0.05) >= rho_hat.size / 2
    if preset.config.model.variant == "vae":  # a manifold of different digits, not one blur
        tiles = preview.manifold.reshape(-1, preview.manifold[0, 0].size).astype(float)
        assert np.mean(np.abs(tiles - tiles.mean(axis=0))) > 15
    if preset.config.model.variant == "aae":  # codes spread over the prior's cloud, not collapsed to a point
        assert np.all(preview.code_points.std(axis=0) > 0.5)


def test_the_sparse_preset_works_on_the_seed_reports_loss_scale():
    """The report's losses, about 2,900-3,300, are sums over a batch: the preset's summed loss is on that scale."""
    config = validate(PRESETS["seed-sparse"].config.with_changes(training={"epochs": 1}))
    assert config.model.reduction == "sum"
    job = TrainingJob(config)
    job.run()
    reconstruction = job.snapshot().epoch_history[-1]["val_reconstruction"]
    assert 1_000 < reconstruction < 10_000


def test_presets_json_lists_every_preset_with_its_config(capsys):
    code, out, _ = run_cli(capsys, "presets", "--json")
    rows = json.loads(out)
    assert code == 0 and [row["id"] for row in rows] == list(PRESETS)
    for row in rows:
        assert {"id", "title", "source", "expect", "config"} <= set(row)
        assert RunConfig.from_dict(row["config"]) == PRESETS[row["id"]].config
    code, out, _ = run_cli(capsys, "presets")
    assert code == 0 and all(preset_id in out for preset_id in PRESETS)


def test_train_with_a_preset_takes_its_settings_and_lets_options_override_them(capsys):
    code, out, err = run_cli(capsys, "train", "--preset", "seed-sparse", "--epochs", "1", "--beta", "3", "--json")
    assert code == 0, err
    config = json.loads(out.strip().splitlines()[-1])["config"]
    assert config["model"]["reduction"] == "sum" and config["regularisation"]["rho"] == 0.2
    assert config["regularisation"]["beta"] == 3.0 and config["training"]["epochs"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("train", "--preset", "nope"), "Unknown preset 'nope'"),
        (("train", "--preset", "seed-sparse", "--variant", "vae"), "is a sparse model"),
        (("train",), "--variant"),
    ],
)
def test_a_wrong_preset_is_an_argument_error(capsys, args, message):
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and message in err
