"""Comparing stored runs: which settings differ, which run is best at each test metric, curves on one axis."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aecore.runs.folder import TENSORBOARD_DIR
from aecore.settings.config import RunConfig
from aecore.settings.parameters import PARAMETERS
from aecore.settings.variants import VARIANTS

#: test metrics and whether more is better (PSNR, SSIM and ELBO) or less (MSE); None: not a result of the run (the
#: noisy input's PSNR and SSIM are the baseline its denoising is measured against)
METRIC_DIRECTIONS = {
    "test_reconstruction": "min",
    "test_mse": "min",
    "test_psnr": "max",
    "test_psnr_noisy_input": None,
    "test_ssim": "max",
    "test_ssim_noisy_input": None,
    "test_elbo": "max",
    "test_nll": "min",
}
MAX_COMPARED = 6


def _test_noise(config: RunConfig) -> str:
    noise = config.noise
    return f"{noise.kind} {noise.level:g}" if noise.level > 0 else "none"


#: the settings that give a test metric its meaning, as (what several of them are called, the run's value)
MEANING_SETTINGS: dict[str, tuple[str, Callable[[RunConfig], str]]] = {
    "dataset": ("datasets", lambda config: config.dataset),
    "loss": ("losses", lambda config: config.model.loss),
    "noise": ("test noise", _test_noise),
}

#: what each ranked metric's number depends on besides the model: runs are ranked only where all of these agree.
#: Every test metric is per image or per pixel whatever the batch reduction or size (aecore.training.evaluation),
#: so neither is here. The reconstruction loss is in its loss's units and the ELBO in its likelihood's
#: (``ELBO_MEANINGS``); MSE, PSNR and SSIM compare across losses. All but the ELBO (taken on clean test images)
#: reconstruct the run's noisy test input.
METRIC_MEANINGS = {
    "test_reconstruction": ("dataset", "loss", "noise"),
    "test_mse": ("dataset", "noise"),
    "test_psnr": ("dataset", "noise"),
    "test_ssim": ("dataset", "noise"),
    "test_elbo": ("dataset", "loss"),
    "test_nll": ("dataset", "loss"),
}


@dataclass(frozen=True)
class Best:
    """The run best at one test metric, or None and why no run is (``no best: …``)."""

    run: str | None
    why_none: str = ""


def flat_settings(config: RunConfig) -> dict[str, Any]:
    """``{"regularisation.beta": 2.0, ...}``: every setting of a config under one dotted name."""
    flat: dict[str, Any] = {"dataset": config.dataset}
    for section, values in config.to_dict().items():
        if isinstance(values, dict):
            flat.update({f"{section}.{name}": value for name, value in values.items()})
    return flat


def config_differences(configs: dict[str, RunConfig]) -> dict[str, list[Any]]:
    """Only the settings whose values are not the same in every config: ``{setting: [value per config]}``."""
    flats = [flat_settings(config) for config in configs.values()]
    names = list(dict.fromkeys(name for flat in flats for name in flat))
    differences = {}
    for name in names:
        values = [flat.get(name) for flat in flats]
        if any(value != values[0] for value in values[1:]):
            differences[name] = [list(value) if isinstance(value, tuple) else value for value in values]
    return differences


def meaning_differences(metric: str, configs: list[RunConfig]) -> str:
    """``losses (bce, mse) and datasets (digits, mnist-5k)``: the settings that give ``metric`` another meaning in
    some of ``configs``, with their values; empty when its numbers mean the same in all of them."""
    parts = []
    for setting in METRIC_MEANINGS[metric]:
        plural, value_of = MEANING_SETTINGS[setting]
        values = list(dict.fromkeys(value_of(config) for config in configs))
        if len(values) > 1:
            parts.append(f"{plural} ({', '.join(values)})")
    return " and ".join(parts)


def best_runs(metrics: dict[str, dict[str, float]], configs: dict[str, RunConfig]) -> dict[str, Best]:
    """For each test metric some run has: the run best at it among runs whose numbers mean the same (ties go to the
    first listed), or why none is. ``metrics`` and ``configs`` are keyed by the same run labels."""
    best = {}
    for metric, direction in METRIC_DIRECTIONS.items():
        values = {run: values[metric] for run, values in metrics.items() if np.isfinite(values.get(metric, np.nan))}
        if not values:
            continue
        if direction is None:
            best[metric] = Best(None, "no best: it scores the noisy input, the baseline a denoiser must beat")
            continue
        if len(values) < 2:
            best[metric] = Best(None, "no best: only one of these runs has it")
            continue
        differences = meaning_differences(metric, [configs[run] for run in values])
        if differences:
            best[metric] = Best(None, f"no best: these runs use different {differences}")
        else:
            pick = min if direction == "min" else max
            best[metric] = Best(pick(values, key=values.get))
    return best


def epoch_axis(batch_count: int, batches_per_epoch: int) -> np.ndarray:
    """Batch numbers as fractional epochs (1/n … N), so runs with other batch sizes share one x axis."""
    return np.arange(1, batch_count + 1) / max(batches_per_epoch, 1)


def per_image(values: np.ndarray, config: RunConfig) -> np.ndarray:
    """A term the run combined over each batch with ``Autoencoder.batch_reduced`` (the reconstruction loss; not the
    sparsity KL, which is a whole batch's) as the value of an average image, the test metrics' scale:
    ``reduction="sum"`` multiplied it by the training batch size, for validation batches too."""
    values = np.asarray(values, dtype=float)
    return values / config.training.batch_size if config.model.reduction == "sum" else values


def settings_summary(variant: str, parameters: dict[str, Any]) -> str:
    """``code 64 · ρ 0.2 · β 2 · α 0.3``: the hyperparameters that matter for the run's variant, in one cell
    (those the registry gives a short name: the variant's own, then weight decay and noise)."""
    own = [name for name in VARIANTS[variant].hyperparameters if PARAMETERS[name].short] + ["alpha", "noise_level"]
    parts = []
    for name in dict.fromkeys(own):
        value = parameters.get(name)
        if value is None or (name == "noise_level" and not value):
            continue
        if isinstance(value, (list, tuple)):
            text = "-".join(str(width) for width in value) or "none"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            text = f"{value:g}"
        else:
            text = str(value)
        parts.append(f"{PARAMETERS[name].short} {text}")
    return " · ".join(parts)


#: the version of runs made before runs recorded theirs
EARLIER_VERSION = "earlier"


def seed_group_key(config: RunConfig, meta: dict[str, Any], changed_live: bool, run_id: str) -> tuple:
    """Runs with equal keys are seeds of one experiment: the same settings but the seed, trained by the same version
    of the code into the same store format. A run whose settings changed while it trained groups with none."""
    if changed_live:
        return ("changed live", run_id)
    unseeded = config.with_changes(training={"seed": 0}).to_json()
    return (meta.get("version", EARLIER_VERSION), meta.get("store_format", 1), unseeded)


def seed_groups(keys: dict[str, tuple]) -> list[list[str]]:
    """The runs (by label) grouped by their ``seed_group_key``, in the order each group's first run comes."""
    groups: dict[tuple, list[str]] = {}
    for label, key in keys.items():
        groups.setdefault(key, []).append(label)
    return list(groups.values())


def mean_and_spread(curves: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The mean and sample standard deviation of several runs' curves, over the steps all of them reached."""
    length = min(len(curve) for curve in curves)
    stacked = np.stack([np.asarray(curve[:length], dtype=np.float64) for curve in curves])
    return stacked.mean(axis=0), stacked.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros(length)


def tensorboard_command(root: Path, run_ids: list[str]) -> str:
    """The command that opens these runs' TensorBoard events (every run writes them: per batch and per epoch, the
    probe grid each epoch), named by their ids when there are several."""
    folders = [Path(root).absolute() / run_id / TENSORBOARD_DIR for run_id in run_ids]
    if len(folders) == 1:
        return f"tensorboard --logdir {shlex.quote(str(folders[0]))}"
    spec = ",".join(f"{run_id}:{folder}" for run_id, folder in zip(run_ids, folders, strict=True))
    return f"tensorboard --logdir_spec {shlex.quote(spec)}"


def seeds_metrics(found: list[dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """The mean of each test metric over a group of seeds' runs, and its sample standard deviation (only with two
    runs or more that have it)."""
    names = {name for values in found for name in values}
    columns = {name: [values[name] for values in found if name in values] for name in names}
    means = {name: float(np.mean(column)) for name, column in columns.items()}
    sds = {name: float(np.std(column, ddof=1)) for name, column in columns.items() if len(column) > 1}
    return means, sds
