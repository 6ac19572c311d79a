"""What mattered in a set of runs: per setting, its rank correlation with a metric and its permutation importance in
a random forest, beside the importance of a dummy setting of random values refitted many times.

A setting "mattered" when its importance exceeds the dummy's 95th percentile: a setting that only rides the
seed-to-seed spread scores like random numbers do. So "β mattered, ρ did not" is a sentence backed by the runs.
(W&B's parameter importance shows correlation and a forest's importance; the dummy is what says when either is
more than noise.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from aecore.errors import AecoreError
from aecore.runs.index import RunRecord
from aecore.sweeps.table import runs_table

#: how many times the forest is refitted, each with fresh dummy values
DUMMY_FITS = 20
#: the forests are small: a sweep has tens of runs, and the page waits for them
TREES = 50
PERMUTATIONS = 5
#: fewer runs than this say nothing a reader could trust
MIN_RUNS = 6


@dataclass(frozen=True)
class SettingImportance:
    name: str
    rank_correlation: float
    importance: float
    mattered: bool


@dataclass(frozen=True)
class Importance:
    metric: str
    runs: int
    settings: tuple[SettingImportance, ...]
    dummy_p95: float

    def to_dict(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "runs": self.runs,
            "dummy_p95": self.dummy_p95,
            "settings": [asdict(setting) for setting in self.settings],
        }

    def sentence(self, labels: dict[str, str] | None = None) -> str:
        """ "β mattered; ρ did not, beyond the spread a random setting shows." in the settings' own labels."""
        labels = labels or {}
        mattered = [labels.get(s.name, s.name) for s in self.settings if s.mattered]
        others = [labels.get(s.name, s.name) for s in self.settings if not s.mattered]
        spread = "beyond the spread a random setting shows across these runs"
        if not mattered:
            return f"No setting mattered {spread} ({', '.join(others)})."
        if not others:
            return f"{' and '.join(mattered)} mattered {spread}."
        return f"{' and '.join(mattered)} mattered; {' and '.join(others)} did not, {spread}."


def encoded(values: Sequence[object]) -> np.ndarray:
    """A setting's values as numbers: numbers as they are, anything else (a choice, hidden widths) by its rank."""
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values):
        return np.asarray(values, dtype=np.float64)
    order = {value: index for index, value in enumerate(sorted({str(value) for value in values}))}
    return np.asarray([order[str(value)] for value in values], dtype=np.float64)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Rank correlation; NaN for a setting that does not vary."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)


def setting_importance(
    settings: dict[str, np.ndarray], metric: np.ndarray, metric_name: str = "metric", seed: int = 0
) -> Importance:
    """Each setting's rank correlation with ``metric`` and its mean permutation importance over ``DUMMY_FITS`` forests,
    each fitted with a fresh dummy column; the dummy's importances give the 95th percentile to beat."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance

    names = [name for name, values in settings.items() if np.ptp(values) > 0]
    finite = np.isfinite(metric)
    if len(names) == 0:
        raise AecoreError("No setting varies across these runs: there is nothing to rank.")
    if finite.sum() < MIN_RUNS:
        found = int(finite.sum())
        raise AecoreError(f"What mattered needs at least {MIN_RUNS} finished runs with the metric (got {found}).")
    y = metric[finite]
    columns = np.column_stack([settings[name][finite] for name in names])
    rng = np.random.default_rng(seed)
    found = np.zeros((DUMMY_FITS, len(names)))
    dummy = np.zeros(DUMMY_FITS)
    for fit in range(DUMMY_FITS):
        features = np.column_stack([columns, rng.random(len(y))])
        forest = RandomForestRegressor(n_estimators=TREES, random_state=fit, min_samples_leaf=2)
        forest.fit(features, y)
        scores = permutation_importance(forest, features, y, n_repeats=PERMUTATIONS, random_state=fit)
        found[fit], dummy[fit] = scores.importances_mean[:-1], scores.importances_mean[-1]
    p95 = float(np.percentile(dummy, 95))
    means = found.mean(axis=0)
    ranked = sorted(
        (
            SettingImportance(name, spearman(columns[:, index], y), float(means[index]), bool(means[index] > p95))
            for index, name in enumerate(names)
        ),
        key=lambda setting: -setting.importance,
    )
    return Importance(metric_name, int(finite.sum()), tuple(ranked), p95)


def runs_importance(records: Sequence[RunRecord], metric: str, seed: int = 0) -> Importance:
    """What mattered among stored runs: the settings that differ between them (``table.runs_table``: the seed left
    out, it is the spread itself), against one of their test metrics."""
    table = runs_table(records)
    varying = {name: encoded(values) for name, values in table.settings.items()}
    values = np.asarray([record.metrics.get(metric, math.nan) for record in records], dtype=np.float64)
    return setting_importance(varying, values, metric, seed)
