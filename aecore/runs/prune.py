"""Removing what is old from a run store: runs older than a number of days (tagged ones kept on request), then the
uploaded datasets no remaining run needs that are as old. A live run is never touched.

``prune_plan`` only looks, so the Runs page and ``--dry-run`` can say what would go and the space it frees before
anything goes; ``prune`` removes what a plan lists, skipping a run that started training since.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aecore.data.library import StoredDataset
from aecore.data.subsets import CLASS_SUBSET_MARK
from aecore.errors import AecoreError
from aecore.runs.index import RunRecord
from aecore.runs.snapshots import ACTIVE
from aecore.runs.store import RunStore

SECONDS_PER_DAY = 86_400.0


@dataclass
class PrunePlan:
    """What pruning would remove, and the disk space it takes."""

    runs: list[RunRecord] = field(default_factory=list)
    datasets: list[StoredDataset] = field(default_factory=list)
    bytes: int = 0

    @property
    def empty(self) -> bool:
        return not self.runs and not self.datasets

    def summary(self) -> str:
        return (
            f"{len(self.runs)} run{'s' * (len(self.runs) != 1)} and {len(self.datasets)} uploaded "
            f"dataset{'s' * (len(self.datasets) != 1)}, {self.bytes / 1e6:,.1f} MB"
        )


def folder_bytes(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def prune_plan(
    store: RunStore, older_than_days: float, keep_tagged: bool = False, now: float | None = None
) -> PrunePlan:
    """The runs created more than ``older_than_days`` ago that have ended (and, with ``keep_tagged``, carry no
    tag), and the uploaded datasets added as long ago that no run kept by this plan trained on."""
    if not older_than_days >= 0:
        raise AecoreError(f"--older-than takes a number of days, 0 or more (got {older_than_days}).")
    cutoff = (time.time() if now is None else now) - older_than_days * SECONDS_PER_DAY
    records = store.list()
    doomed = [
        record
        for record in records
        if record.created < cutoff and record.status not in ACTIVE and not (keep_tagged and record.tags)
    ]
    doomed_ids = {record.id for record in doomed}
    kept_datasets = {record.dataset.split(CLASS_SUBSET_MARK)[0] for record in records if record.id not in doomed_ids}
    datasets = [
        stored
        for stored in store.datasets.datasets()
        if stored.added < cutoff and stored.full_name not in kept_datasets
    ]
    size = sum(folder_bytes(store.root / record.id) for record in doomed)
    size += sum(folder_bytes(store.datasets.folder / stored.key) for stored in datasets)
    return PrunePlan(doomed, datasets, size)


def prune(store: RunStore, plan: PrunePlan) -> tuple[PrunePlan, list[str]]:
    """Remove what ``plan`` lists; returns what went and a note for each run or dataset kept after all (a run
    that started training again since the plan was made, a dataset a new run uses)."""
    removed, notes = PrunePlan(), []

    def remove(folder: Path, action: Callable[[], object]) -> bool:
        size = folder_bytes(folder)
        try:
            action()
        except AecoreError as error:
            notes.append(str(error))
            return False
        removed.bytes += size
        return True

    for record in plan.runs:
        if remove(store.root / record.id, lambda record=record: store.delete(record.id)):
            removed.runs.append(record)
    for stored in plan.datasets:
        if remove(store.datasets.folder / stored.key, lambda stored=stored: store.remove_dataset(stored.full_name)):
            removed.datasets.append(stored)
    return removed, notes
