"""``python -m aecore sweep``: a grid of runs trained headless, with a progress bar on stderr and the table at the end.

``--json`` prints, as the last stdout line, ``{"sweep_id", "parameters", "backend", "results": [...], "importance"}``
with one result per setting: its values, how many seeds finished, mean and sd of the reconstruction loss, test
MSE, PSNR (and ELBO for the VAE) and the run ids; ``importance`` says what mattered for the reconstruction loss
(``aecore.sweeps.importance``), or why it cannot be said. Ctrl-C stops the sweep; ``--resume SWEEP_ID``
finishes it later.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aecore.cli.tables import text_table
from aecore.errors import AecoreError
from aecore.settings.config import RunConfig
from aecore.settings.validation import validate

if TYPE_CHECKING:
    from aecore.sweeps.plans import SweepProgress

#: names people type for a setting, beside the registry's own (``latent_dim``) and its dashed form
ALIASES = {"lr": "learning_rate", "code": "latent_dim", "code_size": "latent_dim", "noise": "noise_level"}


def parse_parameters(texts: list[str], variant: str) -> dict[str, list[Any]]:
    from aecore.sweeps.plans import parse_values

    if not texts:
        raise AecoreError("Give the settings to sweep with --param, like --param rho=0.1:0.7:0.1.")
    if len(texts) > 2:
        raise AecoreError(f"A sweep varies one or two settings; got {len(texts)} --param options.")
    parameters = {}
    for text in texts:
        name, equals, values = text.partition("=")
        if not equals:
            raise AecoreError(f"--param takes NAME=VALUES, like rho=0.1,0.2 (got '{text}').")
        name = name.strip().replace("-", "_")
        name = ALIASES.get(name, name)
        if name in parameters:
            raise AecoreError(f"'{name}' is given twice; sweep two different settings.")
        parameters[name] = parse_values(name, values, variant)
    return parameters


def _bar(progress: SweepProgress) -> str:
    done = progress.finished / max(progress.total, 1)
    left = "" if progress.seconds_left is None else f" · about {progress.seconds_left:.0f} s left"
    return (
        f"\r[{'#' * int(30 * done):<30}] {progress.finished}/{progress.total} runs done · "
        f"{progress.running} running · {progress.waiting} waiting{left}   "
    )


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.4g}"
    if isinstance(value, tuple):
        return "-".join(map(str, value)) or "none"
    return str(value)


def _shown(row: dict[str, Any], column: str) -> Any:
    """The row's value in the text table: one seed has no spread, so its sd (0 in the statistics) shows as missing."""
    return math.nan if column.endswith("_sd") and row["seeds"] < 2 else row[column]


def importance_json(records: list, metric: str) -> dict[str, Any]:
    """What mattered among ``records`` for ``metric``, or why it cannot be said (too few runs, nothing varies)."""
    from aecore.sweeps.importance import runs_importance

    try:
        return runs_importance(records, metric).to_dict()
    except AecoreError as error:
        return {"metric": metric, "runs": len(records), "note": str(error)}


def sweep_command(args: argparse.Namespace, config_of: Callable[[argparse.Namespace], RunConfig]) -> int:
    from aecore.runs.store import RunStore
    from aecore.sweeps import plans, statistics

    store = RunStore()
    if args.resume:
        plan = plans.load_plan(store, args.resume)
    else:
        base = validate(config_of(args))
        parameters = parse_parameters(args.param, base.model.variant)
        plan = plans.SweepPlan(base, parameters, seeds=args.seeds, name=args.name or "")
    points = plan.points()  # every setting checked before anything starts
    if len(points) > plans.CONFIRM_ABOVE_RUNS and not args.yes:
        raise AecoreError(
            f"This sweep trains {len(points)} runs, more than {plans.CONFIRM_ABOVE_RUNS}: add --yes to go ahead."
        )
    from aecore.data.registry import load_dataset
    from aecore.jobs.manager import open_backend
    from aecore.training.devices import resolve_device

    resolve_device(plan.base.training.device)
    load_dataset(plan.base.dataset)
    manager = open_backend(args.backend, store, warm_dataset=plan.base.dataset)
    plans.start_sweep(store, manager, plan)
    print(
        f"sweep {plan.sweep_id}: {len(points)} runs, {manager.max_concurrent} at once ({manager.backend})",
        file=sys.stderr,
    )
    try:
        while any(not job.snapshot().ended for job in manager.group_jobs(plan.sweep_id)):
            print(_bar(plans.progress(store, plan)), end="", file=sys.stderr, flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        plans.stop_sweep(manager, plan)
        while any(not job.snapshot().ended for job in manager.group_jobs(plan.sweep_id)):
            time.sleep(0.2)
        print(f"\nstopped; finish it with: python -m aecore sweep --resume {plan.sweep_id}", file=sys.stderr)
    finally:
        manager.close()
    print(_bar(plans.progress(store, plan)), file=sys.stderr)
    rows = statistics.summarise(store, plan)
    names = list(plan.parameters)
    if args.json:
        # JSON has no NaN: a metric no run has (the ELBO of a non-VAE) is left out, a missing value is null
        absent = {key for key in rows[0] if all(_is_nan(row[key]) for row in rows)}
        results = [
            {
                key: list(value) if isinstance(value, tuple) else None if _is_nan(value) else value
                for key, value in row.items()
                if key not in absent
            }
            for row in rows
        ]
        found = list(plans.finished_points(store, plan).values())
        print(
            json.dumps(
                {
                    "sweep_id": plan.sweep_id,
                    "parameters": names,
                    "backend": manager.backend,
                    "results": results,
                    "importance": importance_json(found, "test_reconstruction"),
                }
            )
        )
    else:
        columns = [*names, "seeds", "reconstruction_mean", "reconstruction_sd", "test_mse_mean", "test_psnr_mean"]
        print(text_table([{column: _cell(_shown(row, column)) for column in columns} for row in rows], columns))
    return 0 if all(row["seeds"] == plan.seeds for row in rows) else 1
