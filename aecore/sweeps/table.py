"""A set of runs as columns to look across: the settings that vary between them (not the seed: that is the
spread) and their test metrics, with the range filters the Sweeps page's table applies per column.

Plotly's brushing on a parallel-coordinates chart filters its lines but does not reach Python, so the table below
the chart filters with the same columns' ranges (``within``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aecore.runs.index import RunRecord

#: the metrics a run records, as the views name them
METRIC_LABELS = {
    "test_reconstruction": "reconstruction loss",
    "test_mse": "test MSE",
    "test_psnr": "test PSNR (dB)",
    "test_ssim": "test SSIM",
    "test_elbo": "test ELBO (nats)",
}


@dataclass(frozen=True)
class RunsTable:
    """``settings[name]`` and ``metrics[name]`` hold one value per run, in ``run_ids``' order."""

    run_ids: tuple[str, ...]
    settings: dict[str, list[object]]
    metrics: dict[str, np.ndarray]

    def numeric(self, name: str) -> bool:
        values = self.metrics.get(name)
        if values is not None:
            return True
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in self.settings[name])

    def column(self, name: str) -> list[object] | np.ndarray:
        return self.metrics[name] if name in self.metrics else self.settings[name]


def runs_table(records: Sequence[RunRecord]) -> RunsTable:
    names = sorted({name for record in records for name in record.parameters} - {"seed"})
    settings = {
        name: [record.parameters.get(name) for record in records]
        for name in names
        if len({str(record.parameters.get(name)) for record in records}) > 1
    }
    metrics = {
        metric: np.asarray([record.metrics.get(metric, math.nan) for record in records], dtype=np.float64)
        for metric in METRIC_LABELS
    }
    metrics = {metric: values for metric, values in metrics.items() if np.isfinite(values).any()}
    return RunsTable(tuple(record.id for record in records), settings, metrics)


def within(table: RunsTable, ranges: dict[str, tuple[float, float] | list[object]]) -> np.ndarray:
    """Which runs pass every filter: a (low, high) range for a number column, a list of kept values otherwise."""
    keep = np.ones(len(table.run_ids), dtype=bool)
    for name, allowed in ranges.items():
        values = table.column(name)
        if isinstance(allowed, tuple):
            low, high = allowed
            numbers = np.asarray(values, dtype=np.float64)
            keep &= (numbers >= low) & (numbers <= high)
        else:
            keep &= np.asarray([str(value) in {str(kept) for kept in allowed} for value in values])
    return keep
