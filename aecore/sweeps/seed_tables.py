"""The seed report's hyperparameter tables (its Figs. 11-13): what the Sweeps page's "Reproduce the seed" runs.

The report trains the sparse autoencoder with ρ = 0.2, β = 2, α = 0.3, varies one of them over seven values and
gives one "reconstruction loss over entire training" per value, about 2,900-3,300, from single runs. Its loss is
summed over a batch's images (a per-image sum is about a hundred times smaller), so ours, summed over an image's
pixels and averaged over images, is multiplied by the batch size to be put beside it. The preset these sweeps start
from also trains with that summed loss (reduction "sum"), so its α and β weigh as the report's did.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from aecore.settings.presets import PRESETS
from aecore.sweeps.plans import SweepPlan, format_value
from aecore.sweeps.statistics import clear_best

#: the preset with the report's chosen values, the base every table varies one value of
BASE_PRESET = "seed-sparse"


@dataclass(frozen=True)
class SeedTable:
    parameter: str
    title: str
    figure: str
    published: dict[float, float]
    published_best: tuple[float, ...]


SEED_TABLES = {
    table.parameter: table
    for table in (
        SeedTable(
            "rho",
            "ρ (target activation)",
            "Fig. 11",
            {0.1: 3211.51, 0.2: 2904.55, 0.3: 3179.76, 0.4: 3287.09, 0.5: 3073.50, 0.6: 2895.69, 0.7: 3115.06},
            (0.2, 0.6),
        ),
        SeedTable(
            "beta",
            "β (sparsity weight)",
            "Fig. 12",
            {1: 3246.08, 2: 2900.48, 3: 3167.50, 4: 3062.56, 5: 3124.51, 6: 3112.30, 7: 3020.83},
            (2,),
        ),
        SeedTable(
            "alpha",
            "α (weight decay)",
            "Fig. 13",
            {0.1: 3025.95, 0.2: 3157.22, 0.3: 3008.36, 0.4: 3085.91, 0.5: 3248.07, 0.6: 3057.85, 0.7: 2943.99},
            (0.3,),
        ),
    )
}


def reproduction_plan(parameter: str, seeds: int, dataset: str = "mnist-5k") -> SweepPlan:
    """The sweep that reproduces one seed table on ``dataset``, the report's other values fixed."""
    table = SEED_TABLES[parameter]
    base = dataclasses.replace(PRESETS[BASE_PRESET].config, dataset=dataset)
    return SweepPlan(
        base,
        {parameter: [float(value) for value in table.published]},
        seeds=seeds,
        name=f"Seed {table.figure} ({table.title.split()[0]})",
        reference=parameter,
    )


def with_published(rows: list[dict[str, Any]], plan: SweepPlan) -> list[dict[str, Any]]:
    """The sweep's rows with the report's number beside ours, ours put on the report's scale (× batch size)."""
    table = SEED_TABLES[plan.reference]
    batch = plan.base.training.batch_size
    result = []
    for row in rows:
        value = row[table.parameter]
        result.append(
            {
                **row,
                "seed_report": table.published.get(value, math.nan),
                "ours_per_batch": row["reconstruction_mean"] * batch,
                "ours_per_batch_sd": row["reconstruction_sd"] * batch,
            }
        )
    return result


def agreement(rows: list[dict[str, Any]], plan: SweepPlan) -> str:
    """One or two plain sentences on what agrees with the report and what does not."""
    table = SEED_TABLES[plan.reference]
    done = [row for row in rows if row["seeds"] and math.isfinite(row["reconstruction_mean"])]
    if len(done) < 2:
        return "Too few settings have finished to compare with the report yet."
    ours_best = min(done, key=lambda row: row["reconstruction_mean"])
    best_value = format_value(ours_best[table.parameter])
    clear = clear_best(rows)
    means = [row["reconstruction_mean"] * plan.base.training.batch_size for row in done]
    published = list(table.published.values())
    spread = (max(published) - min(published)) / min(published)
    sentence = (
        f"The report picks {table.parameter} = {' and '.join(format_value(v) for v in table.published_best)} "
        f"from single runs whose losses differ by up to {spread:.0%}; "
        f"here the lowest mean loss is at {table.parameter} = {best_value} "
        f"({min(means):,.0f} per batch of {plan.base.training.batch_size}). "
    )
    if clear is None:
        sentence += (
            "Our differences between settings are within the spread over seeds, so no setting is clearly best: "
            "the report's choice is not confirmed."
        )
    elif ours_best[table.parameter] in table.published_best:
        sentence += "It beats the next setting by more than the spread over seeds, as the report found."
    else:
        sentence += "It beats the next setting by more than the spread over seeds, unlike the report's choice."
    return sentence
