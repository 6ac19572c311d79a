"""What the screen says about a code is true: a sparse code is sparse, every variant learns visibly in a short run.

The trainings here are the fast ones; ``python -m benchmarks.short_runs`` trains all seven variants for 3 epochs.
"""

from __future__ import annotations

import numpy as np
import pytest

from aecore.analysis.pixels import changed_images
from aecore.data.registry import load_dataset
from aecore.explore import latent
from aecore.figures.latent import unit_activity
from aecore.settings.config import RunConfig
from aecore.settings.presets import PRESETS
from aecore.settings.validation import validate
from aecore.training.engine import TrainingJob
from aecore.training.evaluation import mean_image_psnr

#: every variant at its defaults must reach this test PSNR in a newcomer's first, 3-epoch run (the mean image: 11.9)
SHORT_RUN_PSNR = 13.0


def trained(**changes) -> tuple[TrainingJob, RunConfig]:
    config = validate(RunConfig().with_changes(**changes))
    job = TrainingJob(config)
    job.run()
    assert job.snapshot().status == "finished", job.snapshot().message
    return job, config


def test_units_all_sitting_at_rho_are_not_a_sparse_code_and_selective_units_are():
    rho, images, units = 0.05, 2000, 64
    flat = np.full((images, units), rho)  # the mean and the units near ρ pass; nothing is ever on
    figures = latent.sparsity(flat, rho)
    assert figures.mean_rho_hat == pytest.approx(rho) and figures.units_near_rho == units
    assert figures.on_fraction == 0.0 and not figures.is_sparse

    rng = np.random.default_rng(0)
    selective = np.where(rng.random((images, units)) < rho, 0.95, 0.0)  # each unit on for about 5 % of images
    figures = latent.sparsity(selective, rho)
    assert figures.is_sparse and figures.on_fraction == pytest.approx(rho, abs=0.005)
    assert latent.active_units(selective[0]) == int(np.sum(selective[0] > latent.ON_THRESHOLD))


@pytest.mark.parametrize("rho", [None, 0.05])  # the variant's defaults, and the textbook ρ with every other default
def test_the_sparse_variant_learns_a_sparse_code_in_its_default_epochs(rho):
    job, config = trained(model={"variant": "sparse"}, regularisation={} if rho is None else {"rho": rho})
    dataset = load_dataset(config.dataset)
    figures = latent.sparsity(np.asarray(job.model.encode(dataset.x_test)), config.regularisation.rho)
    assert figures.is_sparse, figures
    assert job.snapshot().test_metrics["test_psnr"] >= mean_image_psnr(dataset) + 1.5


def test_the_seed_sparse_preset_pins_what_it_depends_on_and_a_preset_shows_sparsity():
    seed = PRESETS["seed-sparse"].config
    assert (seed.training.learning_rate, seed.training.batch_size, seed.model.init) == (3e-3, 32, "glorot_uniform")
    assert (seed.regularisation.beta, seed.model.reduction) == (2.0, "sum"), "the seed's own settings"
    assert PRESETS["sparse-code"].config.regularisation.rho == 0.05


@pytest.mark.parametrize("variant", ["contractive", "vae", "aae"])  # those that stayed under 13 dB in 3 epochs
def test_a_three_epoch_run_learns_visibly(variant):
    job, config = trained(model={"variant": variant}, training={"epochs": 3})
    assert job.snapshot().test_metrics["test_psnr"] >= SHORT_RUN_PSNR
    if variant in ("vae", "aae"):
        assert config.model.latent_dim == 2, "the 2-D code a VAE and an AAE are there to show stays"


def test_units_of_two_codes_each_get_their_own_axis():
    figure = unit_activity({"sparse": np.linspace(0, 1, 8), "plain": np.linspace(-10, 10, 8)})
    assert len(figure.data) == 2 and figure.data[1].yaxis == "y2"
    assert figure.layout.yaxis2.matches is None and figure.layout.yaxis2.anchor == "x2"


def test_an_image_the_noise_left_alone_is_not_a_changed_image():
    clean = np.zeros((3, 4, 4, 1), dtype=np.float32)
    noisy = clean.copy()
    noisy[1, 0, 0] = 1.0
    assert changed_images(clean, noisy).tolist() == [False, True, False]
