"""A training job's live state, and how it travels from the process that trains to the one that shows it.

The job that trains (``aecore.training.engine``) and its mirror in the web server (``aecore.jobs.remote``) hold the same
``JobState``. The trainer's side answers ``changes_since(cursor)`` with only what is new (the batches, epochs
and preview since the last answer), the server's side ``apply``s that, and both build their ``Snapshot`` the
same way. A poll then costs a few floats, however long the run; no TensorFlow is needed to read one.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from aecore.runs.snapshots import ENDED, QUEUED, Preview, Series, Snapshot
from aecore.settings.config import RunConfig
from aecore.settings.live import LiveChange

_JOB_IDS = itertools.count(1)


#: what a page may ask of a job while it runs, beside Stop (the ``Job`` methods of the same names)
JOB_COMMANDS = ("pause", "resume", "step", "set_pace", "change_setting")


def new_job_id() -> int:
    """Job ids are unique in this process, whichever kind of job (trained here or in a worker) holds one."""
    return next(_JOB_IDS)


class Job(Protocol):
    """A training job as the queue, the pages and the command line see it, whether this process trains it
    (``aecore.training.engine.TrainingJob``) or mirrors it from a worker (``aecore.jobs.remote.RemoteJob``)."""

    job_id: int
    run_id: str
    config: RunConfig
    stop_event: threading.Event

    @property
    def status(self) -> str: ...

    @property
    def store_error(self) -> str | None:
        """Why the run is not saved in the store (None while it is)."""

    def snapshot(self) -> Snapshot: ...

    def request_stop(self) -> None:
        """Stop after the current batch; the model trained so far is kept."""

    def cancel(self) -> None:
        """End a job that was stopped while it waited in the queue."""

    def pause(self) -> None:
        """Hold the run after the steps under way; it keeps its training slot."""

    def resume(self) -> None: ...

    def step(self) -> None:
        """Train one batch of a paused run."""

    def set_pace(self, batches_per_second: float) -> None:
        """Slow motion (1 to 20 batches a second), or 0 for full speed."""

    def change_setting(self, name: str, value: float) -> None:
        """Change a setting while the run trains, from its next call of steps (raises ``AecoreError`` for one that
        cannot change live, or a value out of range)."""


#: what the receiving side has: (batches, epoch records, the preview's epoch); ``START`` before anything
Cursor = tuple[int, int, float | None]
START: Cursor = (0, 0, None)


@dataclass
class JobState:
    """Everything a snapshot shows; the owner guards it with its own lock."""

    status: str = QUEUED
    message: str = ""
    device: str = ""
    epoch: int = 0
    batch: int = 0
    batches_per_epoch: int = 0
    train_seconds: float = 0.0
    seconds_before_epoch: float = 0.0
    samples_seen: int = 0
    started: float | None = None
    ended: float | None = None
    #: when the last trained batch ended, by the wall clock (``time.time``): what a Stop's latency is read from
    last_batch_at: float | None = None
    #: a Stop took effect: no batch trains any more, and the run's end is being saved (the status follows)
    training_stopped: bool = False
    #: held by Pause (Step trains one batch); ``pace``: batches a second in slow motion, 0 at full speed
    paused: bool = False
    #: the pause has taken effect: the batches under way when it came have trained (a Step then trains exactly one)
    held: bool = False
    pace: float = 0.0
    #: settings changed while it trains, in order (``aecore.settings.live``)
    live_changes: list[LiveChange] = field(default_factory=list)
    batch_terms: dict[str, Series] = field(default_factory=dict)
    epoch_history: list[dict[str, float]] = field(default_factory=list)
    preview: Preview | None = None
    test_metrics: dict[str, float] | None = None
    store_error: str | None = None

    @property
    def batch_count(self) -> int:
        return len(next(iter(self.batch_terms.values()), ()))

    def elapsed_seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.ended or time.perf_counter()) - self.started

    def snapshot(self, run_id: str, job_id: int, config: RunConfig) -> Snapshot:
        """A copy other threads may read while training goes on (the series are read-only views, not copies)."""
        return Snapshot(
            run_id=run_id,
            job_id=job_id,
            status=self.status,
            message=self.message,
            config=config,
            device=self.device,
            epoch=self.epoch,
            batch=self.batch,
            batches_per_epoch=self.batches_per_epoch,
            elapsed_seconds=self.elapsed_seconds(),
            samples_per_second=self.samples_seen / self.train_seconds if self.train_seconds else 0.0,
            batch_steps=np.arange(1, self.batch_count + 1),
            batch_terms={name: series.view() for name, series in self.batch_terms.items()},
            epoch_history=[dict(record) for record in self.epoch_history],
            preview=self.preview,
            test_metrics=None if self.test_metrics is None else dict(self.test_metrics),
            store_error=self.store_error,
            last_batch_at=self.last_batch_at,
            training_stopped=self.training_stopped,
            paused=self.paused,
            held=self.held,
            pace=self.pace,
            live_changes=list(self.live_changes),
        )

    def changes_since(self, cursor: Cursor) -> tuple[Cursor, dict[str, Any]]:
        """What a mirror at ``cursor`` lacks, and the cursor it has once it applied that."""
        batches, epochs, preview_epoch = cursor
        preview_now = None if self.preview is None else self.preview.epoch
        changes: dict[str, Any] = {
            "status": self.status,
            "message": self.message,
            "device": self.device,
            "epoch": self.epoch,
            "batch": self.batch,
            "batches_per_epoch": self.batches_per_epoch,
            "train_seconds": self.train_seconds,
            "samples_seen": self.samples_seen,
            "elapsed": None if self.started is None else self.elapsed_seconds(),
            "batch_terms": {name: np.array(series.view()[batches:]) for name, series in self.batch_terms.items()},
            "epoch_history": [dict(record) for record in self.epoch_history[epochs:]],
            "test_metrics": self.test_metrics,
            "store_error": self.store_error,
            "last_batch_at": self.last_batch_at,
            "training_stopped": self.training_stopped,
            "paused": self.paused,
            "held": self.held,
            "pace": self.pace,
            "live_changes": list(self.live_changes),  # a few at most: whole, every time
        }
        if preview_now != preview_epoch:
            changes["preview"] = self.preview
        return (self.batch_count, len(self.epoch_history), preview_now), changes

    def apply(self, changes: dict[str, Any]) -> None:
        """Bring a mirror up to date with what ``changes_since`` answered."""
        for name in ("status", "message", "device", "epoch", "batch", "batches_per_epoch", "train_seconds"):
            setattr(self, name, changes[name])
        self.samples_seen = changes["samples_seen"]
        self.test_metrics = changes["test_metrics"]
        self.store_error = changes["store_error"]
        self.last_batch_at = changes["last_batch_at"]
        self.training_stopped = changes["training_stopped"]
        self.paused, self.held, self.pace = changes["paused"], changes["held"], changes["pace"]
        self.live_changes = changes["live_changes"]
        now = time.perf_counter()
        if changes["elapsed"] is not None:
            # never later than before: between answers the mirror's clock runs on, and the trainer's elapsed time
            # stops when it begins saving the run's end, so a later start would make the shown time run backwards
            started = now - changes["elapsed"]
            self.started = started if self.started is None else min(self.started, started)
            if self.status in ENDED and self.ended is None:
                self.ended = now
        for name, values in changes["batch_terms"].items():
            self.batch_terms.setdefault(name, Series()).extend(values)
        self.epoch_history.extend(changes["epoch_history"])
        if "preview" in changes:
            self.preview = changes["preview"]
