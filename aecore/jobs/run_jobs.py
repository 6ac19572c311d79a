"""A run's job, new or resumed, with its folder and its lock in the run store: what ``JobManager`` queues and
what a script or a test trains in its own process (``new_job``, ``resumed_job``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aecore.errors import AecoreError
from aecore.runs.folder import RunFolder, RunLock
from aecore.runs.snapshots import QUEUED
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig
from aecore.settings.validation import validate

if TYPE_CHECKING:  # the engine imports TensorFlow: only where a job trains in this process
    from aecore.training.engine import TrainingJob


def not_saved(error: AecoreError) -> str:
    """What a job that trains unsaved says: the store could not take its run (a full disk, a read-only folder)."""
    return f"This run is not being saved. {error}"


def new_job(
    config: RunConfig,
    store: RunStore | None,
    name: str | None = None,
    sweep: str | None = None,
    sweep_point: str | None = None,
) -> TrainingJob:
    """A ``TrainingJob`` for a new run, to train in this process, added to ``store``.

    A store that cannot take the run (full disk, read-only folder) does not stop it: the job trains unsaved
    and its snapshot says why (``store_error``), so the person can still download what it learns.
    """
    from aecore.runs.recorder import RunRecorder
    from aecore.training.engine import TrainingJob

    config = validate(config)
    if store is None:
        return TrainingJob(config)
    try:
        folder, lock = store.create(config, name=name, sweep=sweep, sweep_point=sweep_point)
    except AecoreError as error:
        return TrainingJob(config, unsaved_reason=not_saved(error))
    return TrainingJob(config, RunRecorder(folder, lock, store))


def locked_for_resume(store: RunStore, run_id: str, extra_epochs: int) -> tuple[RunConfig, RunFolder, RunLock]:
    """A stored run marked queued for ``extra_epochs`` more epochs, its lock taken first (its files are then read
    as no other process is writing them)."""
    if not isinstance(extra_epochs, int) or isinstance(extra_epochs, bool) or extra_epochs < 1:
        raise AecoreError(f"Resume for a whole number of epochs, at least 1 (got {extra_epochs!r}).")
    folder = store.folder(run_id)
    with store.writing(f"resume run {run_id}"):
        lock = RunLock.try_acquire(folder.lock_path, patience=0.5)
    if lock is None:
        raise AecoreError(f"Run '{run_id}' is already training or waiting; it can be resumed once it ends.")
    try:
        try:
            done = folder.checkpoint_epochs()
        except (OSError, ValueError, KeyError) as error:
            raise AecoreError(f"Run '{run_id}' has a damaged checkpoint ({error}); it cannot be resumed.") from error
        if done is None:
            raise AecoreError(f"Run '{run_id}' has no checkpoint to resume from: it ended before its first epoch.")
        config = folder.config().with_changes(training={"epochs": done + extra_epochs})
        store.save(folder, config, status=QUEUED, message="", ended=None)
    except BaseException:
        lock.release()
        raise
    return config, folder, lock


def resumed_job(store: RunStore, run_id: str, extra_epochs: int) -> TrainingJob:
    """A ``TrainingJob`` that trains a stored run ``extra_epochs`` more epochs from its last checkpoint."""
    from aecore.runs.recorder import RunRecorder
    from aecore.training.engine import TrainingJob

    config, folder, lock = locked_for_resume(store, run_id, extra_epochs)
    return TrainingJob(config, RunRecorder(folder, lock, store), resume_from=folder)
