"""Comparing stored runs: which settings differ, which run is best at each test metric, curves on one axis."""

from __future__ import annotations

from typing import Any

import numpy as np

from aecore.settings.config import RunConfig
from aecore.settings.parameters import PARAMETERS
from aecore.settings.variants import VARIANTS

#: test metrics and whether more is better (PSNR and ELBO) or less (MSE)
METRIC_DIRECTIONS = {
    "test_reconstruction": "min",
    "test_mse": "min",
    "test_psnr": "max",
    "test_psnr_noisy_input": "max",
    "test_elbo": "max",
}
MAX_COMPARED = 6


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


def best_runs(metrics: dict[str, dict[str, float]]) -> dict[str, str]:
    """For each test metric some run has: the run that is best at it (ties go to the first listed)."""
    best = {}
    for metric, direction in METRIC_DIRECTIONS.items():
        values = {run: values[metric] for run, values in metrics.items() if np.isfinite(values.get(metric, np.nan))}
        if values:
            pick = min if direction == "min" else max
            best[metric] = pick(values, key=values.get)
    return best


def epoch_axis(batch_count: int, batches_per_epoch: int) -> np.ndarray:
    """Batch numbers as fractional epochs (1/n … N), so runs with other batch sizes share one x axis."""
    return np.arange(1, batch_count + 1) / max(batches_per_epoch, 1)


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
