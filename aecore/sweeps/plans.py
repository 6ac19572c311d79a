"""Sweeps: a grid over one or two hyperparameters, each setting trained with several seeds, every run an ordinary
stored run tagged with its sweep; and the statistics that say whether one setting is really better.

A sweep's plan (base config, parameters, values, seeds) is saved beside the runs, under
``<store>/sweeps/<sweep id>.json``, so a stopped sweep resumes later, in this process or another, and the
settings it already finished are not trained again. No TensorFlow here: the page and the CLI plan, validate
and summarise without it; the jobs train it.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aecore.errors import AecoreError
from aecore.runs.folder import new_run_id, write_atomically
from aecore.runs.index import RunRecord
from aecore.runs.snapshots import ACTIVE, FINISHED
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig
from aecore.settings.links import parse_setting
from aecore.settings.parameters import PARAMETERS
from aecore.settings.validation import validate
from aecore.settings.variants import VARIANTS

if TYPE_CHECKING:  # a sweep is started through the server's job manager, passed in
    from aecore.jobs.manager import JobManager

#: above this many runs a sweep needs a confirmation (the page) or ``--yes`` (the CLI)
CONFIRM_ABOVE_RUNS = 200


MAX_SEEDS = 10


#: the settings a sweep can vary (the seed is what ``seeds`` varies; the device is the machine's)
NOT_SWEPT = ("seed", "xla")


SWEEPS_DIR = "sweeps"


#: how many points a range may expand to before it is surely a typo
MAX_RANGE_POINTS = 1000


#: no sweep trains more runs than this, confirmed or not: a typo must not stall a shared server
MAX_SWEEP_RUNS = 5000


def sweepable(variant: str) -> tuple[str, ...]:
    """The settings of ``variant`` a sweep may vary, in the order the Train page shows them."""
    return tuple(name for name in VARIANTS[variant].settings if name not in NOT_SWEPT)


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise AecoreError(f"{what} '{text}' is not a number.") from None
    if not math.isfinite(value):
        raise AecoreError(f"{what} must be a finite number (got '{text}').")
    return value


def expand_range(text: str) -> list[float]:
    """``start:stop:step`` (linear, ``stop`` included when the steps land on it) or ``start:stop:*factor`` (log)."""
    parts = text.split(":")
    if len(parts) != 3:
        raise AecoreError(f"A range is start:stop:step or start:stop:*factor, like 0.1:0.7:0.1 (got '{text}').")
    start, stop = _number(parts[0], "The range's start"), _number(parts[1], "The range's stop")
    if parts[2].startswith("*"):
        factor = _number(parts[2][1:], "The range's factor")
        if factor <= 1 or start <= 0 or stop < start:
            raise AecoreError(
                f"A log range start:stop:*factor needs 0 < start ≤ stop and a factor above 1 (got '{text}')."
            )
        count = math.floor(math.log(stop / start) / math.log(factor) + 1e-9) + 1
        if count > MAX_RANGE_POINTS:
            raise AecoreError(f"'{text}' makes {count:,} values; a sweep takes at most {MAX_RANGE_POINTS}.")
        values = [start * factor**index for index in range(count)]
    else:
        step = _number(parts[2], "The range's step")
        if step == 0:
            raise AecoreError(f"A range's step cannot be 0 (got '{text}').")
        if (stop - start) * step < 0:
            raise AecoreError(f"The step {step:g} goes away from the stop {stop:g}: change its sign (got '{text}').")
        count = math.floor((stop - start) / step + 1e-9) + 1
        if count > MAX_RANGE_POINTS:
            raise AecoreError(f"'{text}' makes {count:,} values; a sweep takes at most {MAX_RANGE_POINTS}.")
        values = [start + step * index for index in range(count)]
    return [float(f"{value:.10g}") for value in values]  # 0.1 + 2 * 0.1 is 0.30000000000000004, not 0.3


def parse_values(name: str, text: str, variant: str) -> list[Any]:
    """The values of one swept setting from what a person typed: a list (``0.1,0.2``; widths with ``|``, like
    ``128,64|256``) or a range (``0.1:0.7:0.1``, ``1e-4:1e-2:*10``), each checked against the setting's range."""
    if name not in PARAMETERS:
        raise AecoreError(f"Unknown setting '{name}'; a sweep varies one of: {', '.join(sweepable(variant))}.")
    if name not in sweepable(variant):
        raise AecoreError(
            f"The {variant} variant does not use '{name}'; sweep one of: {', '.join(sweepable(variant))}."
        )
    parameter = PARAMETERS[name]
    text = text.strip()
    if not text:
        raise AecoreError(f"Give values for '{name}': a list like 0.1,0.2 or a range like 0.1:0.7:0.1.")
    if ":" in text and parameter.kind in ("float", "int"):
        texts = [f"{value:g}" if parameter.kind == "float" else str(round(value)) for value in expand_range(text)]
        if parameter.kind == "int" and any(not float(value).is_integer() for value in expand_range(text)):
            raise AecoreError(f"'{name}' takes whole numbers; the range '{text}' gives fractions.")
    else:  # widths hold commas themselves, so their values are separated by | (an empty one: no hidden layer)
        separators = r"[|;]" if parameter.kind == "widths" else r"[,;]"
        texts = [part.strip() for part in re.split(separators, text)]
        texts = [part for part in texts if part or parameter.kind == "widths"]
    if not texts:
        raise AecoreError(f"'{text}' gives no values for '{name}'.")
    values = []
    for value_text in texts:
        try:
            values.append(parse_setting(name, value_text))
        except AecoreError as error:
            raise AecoreError(f"{VARIANTS[variant].parameter(name).label} = {value_text}: {error}.") from None
    return list(dict.fromkeys(values))  # a value typed twice is trained once


def format_value(value: Any) -> str:
    if isinstance(value, tuple):
        return "-".join(str(width) for width in value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class SweepPoint:
    """One run of a sweep: the swept settings' values and the seed, and the config they make."""

    values: dict[str, Any]
    seed: int
    config: RunConfig

    @property
    def key(self) -> str:
        """What identifies the point among the sweep's runs (stored in each run's ``run.json``); 12 significant
        digits, so two values typed apart are never taken for one."""
        values = {
            name: f"{value:.12g}" if isinstance(value, float) else format_value(value)
            for name, value in self.values.items()
        }
        return json.dumps({**values, "seed": self.seed})

    @property
    def label(self) -> str:
        settings = " ".join(f"{name}={format_value(value)}" for name, value in self.values.items())
        return f"{settings} seed {self.seed}"

    @property
    def legend(self) -> str:
        """``ρ = 0.1 · β = 3 · seed 1``: every swept setting (its short name, else the variant's label for it) and the
        seed, so a chart's legend tells the runs of a two-setting sweep apart."""
        variant = VARIANTS[self.config.model.variant]
        settings = []
        for name, value in self.values.items():
            parameter = variant.parameter(name)
            settings.append(f"{parameter.short or parameter.label} = {format_value(value)}")
        return " · ".join([*settings, f"seed {self.seed}"])


@dataclass
class SweepPlan:
    """What a sweep trains: ``parameters`` maps each swept setting to its values; ``seeds`` runs per setting."""

    base: RunConfig
    parameters: dict[str, list[Any]]
    seeds: int = 1
    name: str = ""
    sweep_id: str = field(default_factory=lambda: "sweep-" + new_run_id())
    created: float = field(default_factory=time.time)
    reference: str | None = None  # the seed table this sweep reproduces, if any

    def points(self) -> list[SweepPoint]:
        """Every (values, seed) of the grid with its validated config; raises ``AecoreError`` before any run."""
        if not 1 <= len(self.parameters) <= 2:
            raise AecoreError(f"A sweep varies one or two settings (got {len(self.parameters)}).")
        if not isinstance(self.seeds, int) or not 1 <= self.seeds <= MAX_SEEDS:
            raise AecoreError(f"Seeds per setting must be a whole number from 1 to {MAX_SEEDS} (got {self.seeds!r}).")
        total = math.prod(len(values) for values in self.parameters.values()) * self.seeds
        if total > MAX_SWEEP_RUNS:
            raise AecoreError(f"This sweep would train {total:,} runs; one sweep trains at most {MAX_SWEEP_RUNS:,}.")
        base = validate(self.base)
        points = []
        names = list(self.parameters)
        for combination in itertools.product(*(self.parameters[name] for name in names)):
            values = dict(zip(names, combination, strict=True))
            for offset in range(self.seeds):
                seed = base.training.seed + offset
                changes: dict[str, dict[str, Any]] = {"training": {"seed": seed}}
                for name, value in values.items():
                    parameter = PARAMETERS[name]
                    changes.setdefault(parameter.section, {})[parameter.field] = value
                try:
                    config = validate(base.with_changes(**changes))
                except AecoreError as error:
                    settings = ", ".join(f"{name} = {format_value(value)}" for name, value in values.items())
                    raise AecoreError(f"With {settings} the run is not valid: {error}") from None
                points.append(SweepPoint(values, seed, config))
        return points

    def to_dict(self) -> dict[str, Any]:
        return {
            "sweep_id": self.sweep_id,
            "name": self.name,
            "created": self.created,
            "base": self.base.to_dict(),
            "parameters": {
                name: [list(v) if isinstance(v, tuple) else v for v in values]
                for name, values in self.parameters.items()
            },
            "seeds": self.seeds,
            "reference": self.reference,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepPlan:
        parameters = {
            name: [tuple(v) if isinstance(v, list) else v for v in values]
            for name, values in data["parameters"].items()
        }
        return cls(
            base=RunConfig.from_dict(data["base"]),
            parameters=parameters,
            seeds=int(data["seeds"]),
            name=data.get("name", ""),
            sweep_id=data["sweep_id"],
            created=float(data.get("created", 0.0)),
            reference=data.get("reference"),
        )


def save_plan(store: RunStore, plan: SweepPlan) -> None:
    with store.writing("save the sweep"):
        folder = store.root / SWEEPS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(folder / f"{plan.sweep_id}.json", json.dumps(plan.to_dict(), indent=2).encode())


def load_plan(store: RunStore, sweep_id: str) -> SweepPlan:
    from aecore.runs.folder import check_run_id

    path = store.root / SWEEPS_DIR / f"{check_run_id(sweep_id)}.json"
    if not path.is_file():
        raise AecoreError(f"There is no sweep '{sweep_id}' in the store '{store.root}'.")
    return SweepPlan.from_dict(json.loads(path.read_text()))


def list_plans(store: RunStore) -> list[SweepPlan]:
    """Every sweep of the store, newest first."""
    folder = store.root / SWEEPS_DIR
    plans = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            plans.append(SweepPlan.from_dict(json.loads(path.read_text())))
        except (ValueError, KeyError, AecoreError):
            continue  # a damaged plan is not listed
    return sorted(plans, key=lambda plan: plan.created, reverse=True)


def prune_sweeps(store: RunStore, older_than_days: float, dry_run: bool = False) -> list[SweepPlan]:
    """The sweeps created more than ``older_than_days`` ago none of whose runs is left (what pruning the runs
    leaves behind), removed unless ``dry_run``; returns them."""
    from aecore.runs.prune import SECONDS_PER_DAY

    created_before = time.time() - older_than_days * SECONDS_PER_DAY
    swept = {record.sweep for record in store.list() if record.sweep}
    empty = [plan for plan in list_plans(store) if plan.created < created_before and plan.sweep_id not in swept]
    if not dry_run:
        with store.writing("remove a sweep"):
            for plan in empty:
                (store.root / SWEEPS_DIR / f"{plan.sweep_id}.json").unlink(missing_ok=True)
    return empty


def finished_points(store: RunStore, plan: SweepPlan) -> dict[str, RunRecord]:
    """The sweep's finished runs by point key: what a resumed sweep does not train again."""
    done = {}
    for record in store.list(sweep=plan.sweep_id):
        key = record_point_key(store, record)
        if record.status == FINISHED and key is not None:
            done.setdefault(key, record)
    return done


def record_point_key(store: RunStore, record: RunRecord) -> str | None:
    return store.folder(record.id).meta().get("sweep_point")


def missing_points(store: RunStore, plan: SweepPlan) -> list[SweepPoint]:
    """The points a resumed sweep must still train: not finished, and not waiting or training right now."""
    done = set(finished_points(store, plan))
    for record in store.list(sweep=plan.sweep_id):
        if record.status in ACTIVE:
            done.add(record_point_key(store, record))
    return [point for point in plan.points() if point.key not in done]


def start_sweep(store: RunStore, manager: JobManager, plan: SweepPlan) -> int:
    """Save the plan and queue every point not finished yet, as one group of the job manager (its runs wait
    behind each other, not in front of other people's); returns how many runs were queued."""
    points = missing_points(store, plan) if (store.root / SWEEPS_DIR / f"{plan.sweep_id}.json").is_file() else None
    save_plan(store, plan)
    if points is None:
        points = plan.points()
    for point in points:
        manager.submit(
            point.config,
            name=f"{plan.name or plan.base.model.variant} · {point.label}",
            sweep=plan.sweep_id,
            sweep_point=point.key,
            group=plan.sweep_id,
        )
    return len(points)


def stop_sweep(manager: JobManager, plan: SweepPlan) -> None:
    """Take the sweep's waiting runs out of the queue and stop its running ones; ``start_sweep`` resumes it."""
    for job in manager.group_jobs(plan.sweep_id):
        manager.stop(job.job_id)


@dataclass(frozen=True)
class SweepProgress:
    total: int
    finished: int
    running: int
    waiting: int
    seconds_left: float | None

    @property
    def active(self) -> bool:
        return self.running + self.waiting > 0


def progress(store: RunStore, plan: SweepPlan) -> SweepProgress:
    """How far a sweep is: settings × seeds finished, running, waiting, and the time left at as many runs at once
    as are running now (from the mean duration of its finished runs, so unknown until one finishes)."""
    records = store.list(sweep=plan.sweep_id)
    finished = finished_points(store, plan)
    running = sum(1 for record in records if record.status == "running")
    waiting = sum(1 for record in records if record.status == "queued")
    durations = []
    for record in finished.values():
        started = store.folder(record.id).meta().get("started")
        if started and record.ended:
            durations.append(record.ended - started)
    left = len(plan.points()) - len(finished)
    seconds_left = None
    if durations and (running or waiting):
        seconds_left = statistics.fmean(durations) * math.ceil(min(left, running + waiting) / max(running, 1))
    return SweepProgress(len(plan.points()), len(finished), running, waiting, seconds_left)
