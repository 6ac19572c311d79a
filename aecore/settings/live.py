"""Settings a run may change while it trains: the learning rate, β, ρ, λ, α and the noise level.

The compiled steps read them from variables (``aecore.models.base.LiveSettings``), so a change applies at the next
call of steps, with no new trace. Each change is a ``LiveChange`` in the run's history: the batch it first
applied to, the setting, its old and new values. ``config.json`` keeps the settings the run started with;
``in_force`` gives the ones in force after its changes (what a resume continues with). Everything else (the
architecture, the dataset, the batch size) makes a new model, and so applies to the next run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from aecore.errors import AecoreError
from aecore.settings.config import RunConfig
from aecore.settings.parameters import PARAMETERS
from aecore.settings.variants import VARIANTS

LIVE_SETTINGS = ("learning_rate", "beta", "rho", "lam", "alpha", "noise_level")


@dataclass(frozen=True)
class LiveChange:
    """One change during a run: from batch ``batch`` on (1 = the first), ``name`` went from ``old`` to ``new``."""

    batch: int
    name: str
    old: float
    new: float

    def label(self, variant: str) -> str:
        """``β 2 → 8``: what the loss chart writes beside the change's line."""
        symbol = VARIANTS[variant].parameter(self.name).label.split(" (")[0]
        return f"{symbol} {self.old:g} → {self.new:g}"


def setting_value(config: RunConfig, name: str) -> Any:
    parameter = PARAMETERS[name]
    return getattr(getattr(config, parameter.section), parameter.field)


def live_settings(config: RunConfig) -> tuple[str, ...]:
    """The settings of this run that can change while it trains: those its variant uses of ``LIVE_SETTINGS``.
    The noise level only for a run that started with noise: without it the steps were compiled without any
    corruption, and adding one would change the run's random draws."""
    variant = VARIANTS[config.model.variant]
    values = {name: setting_value(config, name) for name in variant.settings}
    names = [name for name in LIVE_SETTINGS if name in variant.settings and variant.applies(name, values)]
    return tuple(name for name in names if name != "noise_level" or config.noise.level > 0)


def checked_change(config: RunConfig, name: str, value: float) -> float:
    """``value`` as a live change of ``name`` may set it (raises ``AecoreError`` naming what to change)."""
    if name not in live_settings(config):
        allowed = ", ".join(live_settings(config)) or "none"
        raise AecoreError(f"'{name}' cannot change while this run trains (these can: {allowed}).")
    parameter = PARAMETERS[name]
    value = float(value)
    low, high = parameter.minimum, parameter.maximum
    if name == "noise_level" and config.noise.kind != "gaussian":
        high = 1.0  # a fraction of the pixels
    if not math.isfinite(value) or not low <= value <= high:
        raise AecoreError(f"{parameter.label} must lie from {low:g} to {high:g} (got {value:g}).")
    return value


def in_force(config: RunConfig, changes: list[LiveChange]) -> RunConfig:
    """The settings in force after ``changes``: the last value of each setting changed."""
    sections: dict[str, dict[str, Any]] = {}
    for change in changes:
        parameter = PARAMETERS[change.name]
        sections.setdefault(parameter.section, {})[parameter.field] = change.new
    return config.with_changes(**sections) if sections else config
