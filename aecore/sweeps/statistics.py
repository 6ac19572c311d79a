"""Statistics over a sweep's runs: mean and spread over seeds, the clear best point, and grids for heatmaps."""

from __future__ import annotations

import itertools
import math
import statistics
from typing import Any

import numpy as np

from aecore.runs.store import RunStore
from aecore.sweeps.plans import SweepPlan, SweepPoint, finished_points


def mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 with one value): the spread a reader compares differences with."""
    values = [value for value in values if value is not None and math.isfinite(value)]
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


SUMMARY_METRICS = ("test_reconstruction", "test_mse", "test_psnr", "test_elbo")


def summarise(store: RunStore, plan: SweepPlan) -> list[dict[str, Any]]:
    """One row per setting of the grid: its values, how many seeds finished, and mean / sd of each test metric.

    ``reconstruction`` is the test set's reconstruction loss on the training loss's scale (summed over an
    image's pixels, averaged over images); ``test_mse`` and PSNR are per pixel.
    """
    finished = finished_points(store, plan)
    rows = []
    names = list(plan.parameters)
    for combination in itertools.product(*(plan.parameters[name] for name in names)):
        values = dict(zip(names, combination, strict=True))
        keys = [
            SweepPoint(values, seed, plan.base).key
            for seed in range(plan.base.training.seed, plan.base.training.seed + plan.seeds)
        ]
        records = [finished[key] for key in keys if key in finished]
        row: dict[str, Any] = {**values, "seeds": len(records), "run_ids": [record.id for record in records]}
        for metric in SUMMARY_METRICS:
            mean, sd = mean_sd([record.metrics.get(metric, math.nan) for record in records])
            short = "reconstruction" if metric == "test_reconstruction" else metric
            row[f"{short}_mean"], row[f"{short}_sd"] = mean, sd
        rows.append(row)
    return rows


def clear_best(rows: list[dict[str, Any]], metric: str = "reconstruction", lower_is_better: bool = True) -> int | None:
    """The row whose mean is best, but only if it beats the runner-up by more than their spreads together
    (mean ± sd bars that do not overlap); None when the difference is within the noise."""
    scored = [(index, row) for index, row in enumerate(rows) if row["seeds"] and math.isfinite(row[f"{metric}_mean"])]
    if len(scored) < 2:
        return None
    sign = 1 if lower_is_better else -1
    scored.sort(key=lambda item: sign * item[1][f"{metric}_mean"])
    (best_index, best), (_, second) = scored[0], scored[1]
    if best["seeds"] < 2 or second["seeds"] < 2:
        return None  # one seed has no spread to compare with
    gap = abs(second[f"{metric}_mean"] - best[f"{metric}_mean"])
    return best_index if gap > best[f"{metric}_sd"] + second[f"{metric}_sd"] else None


def grid_matrix(rows: list[dict[str, Any]], plan: SweepPlan, column: str) -> np.ndarray:
    """A two-setting sweep's ``column`` as a matrix: rows follow the second setting's values, columns the first's."""
    first, second = list(plan.parameters)
    matrix = np.full((len(plan.parameters[second]), len(plan.parameters[first])), np.nan)
    for row in rows:
        matrix[plan.parameters[second].index(row[second]), plan.parameters[first].index(row[first])] = row[column]
    return matrix
