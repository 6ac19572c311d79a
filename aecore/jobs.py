"""The job manager: a bounded number of jobs train at once, the rest wait in a queue.

A classroom of 30 browsers pressing Train at once must not bring a 2-core server down:
``max_concurrent`` worker threads take jobs in the order they came and every waiting job
knows its place in the queue. Jobs belong to the manager, not to a page run, so they go on
when a page reruns, changes or reloads.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections import Counter, OrderedDict

from aecore.config import RunConfig, validate
from aecore.errors import AecoreError
from aecore.runs import RunStore
from aecore.runs.folder import RunLock
from aecore.runs.recorder import RunRecorder
from aecore.snapshots import ENDED, QUEUED, RUNNING, Snapshot
from aecore.training import TrainingJob

LOG = logging.getLogger(__name__)

#: how many ended jobs the manager keeps for sessions that come back to them (a tab's superseded runs are
#: forgotten at once, so this bounds what abandoned tabs leave behind)
KEEP_ENDED_JOBS = 128


def _max_jobs_from_environment() -> int:
    """``AECORE_MAX_JOBS``, how many runs train at once on this server (0 or unset: one per CPU core)."""
    text = os.environ.get("AECORE_MAX_JOBS", "0")
    if not text.isdigit():
        raise AecoreError(f"AECORE_MAX_JOBS must be a whole number of runs (got '{text}').")
    return int(text)


def new_job(
    config: RunConfig,
    store: RunStore | None,
    name: str | None = None,
    sweep: str | None = None,
    sweep_point: str | None = None,
) -> TrainingJob:
    """A job for a new run, added to ``store`` (status queued, its lock held until the job ends).

    A store that cannot take the run (full disk, read-only folder) does not stop it: the job trains unsaved
    and its snapshot says why (``store_error``), so the person can still download what it learns.
    """
    config = validate(config)
    if store is None:
        return TrainingJob(config)
    try:
        folder, lock = store.create(config, name=name, sweep=sweep, sweep_point=sweep_point)
    except AecoreError as error:
        return TrainingJob(config, unsaved_reason=f"This run is not being saved. {error}")
    return TrainingJob(config, RunRecorder(folder, lock, store))


def resumed_job(store: RunStore, run_id: str, extra_epochs: int) -> TrainingJob:
    """A job that trains a stored run ``extra_epochs`` more epochs from its last checkpoint, in its own folder.

    The run's lock is taken first, so its files are read as no other process is writing them."""
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
    return TrainingJob(config, RunRecorder(folder, lock, store), resume_from=folder)


class JobManager:
    """Runs ``TrainingJob``s on at most ``max_concurrent`` background threads, each saved in ``store``.

    Waiting jobs start in a fair order, not strictly first come: every job belongs to a group (a sweep, a browser
    session; by default its own), and the next job to start is the first of the group with the fewest jobs running
    or waiting ahead of it. A 50-run sweep's runs then wait behind each other, not in front of a student who
    pressed Train after the sweep began.
    """

    def __init__(self, max_concurrent: int | None = None, store: RunStore | None = None) -> None:
        self.max_concurrent = max_concurrent or _max_jobs_from_environment() or os.cpu_count() or 1
        self.store = store
        self._jobs: OrderedDict[int, TrainingJob] = OrderedDict()
        self._waiting: list[int] = []  # in order of arrival
        self._groups: dict[int, str] = {}
        self._running_per_group: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        for index in range(self.max_concurrent):
            threading.Thread(target=self._work, name=f"aecore-trainer-{index}", daemon=True).start()

    def submit(
        self,
        config: RunConfig,
        name: str | None = None,
        sweep: str | None = None,
        sweep_point: str | None = None,
        group: str | None = None,
    ) -> TrainingJob:
        """Queue a new run (validated now, so a bad setting fails at once, before it waits)."""
        return self._enqueue(new_job(config, self.store, name, sweep, sweep_point), group)

    def resume(self, run_id: str, extra_epochs: int, group: str | None = None) -> TrainingJob:
        """Queue a stored run to train ``extra_epochs`` more epochs from its last checkpoint."""
        if self.store is None:
            raise AecoreError("This job manager has no run store to resume runs from.")
        return self._enqueue(resumed_job(self.store, run_id, extra_epochs), group)

    def _enqueue(self, job: TrainingJob, group: str | None) -> TrainingJob:
        with self._wakeup:
            self._jobs[job.job_id] = job
            self._groups[job.job_id] = group or f"job-{job.job_id}"
            self._waiting.append(job.job_id)
            self._forget_old_jobs()
            self._wakeup.notify()
        return job

    def get(self, job_id: int) -> TrainingJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def group_jobs(self, group: str) -> list[TrainingJob]:
        """The jobs this manager holds for a group (a sweep's runs), waiting, running or ended."""
        with self._lock:
            return [
                self._jobs[job_id] for job_id, name in self._groups.items() if name == group and job_id in self._jobs
            ]

    def forget(self, job_id: int) -> None:
        """Drop an ended job and its model (a tab that starts a new run no longer shows the old one)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.status in ENDED:
                del self._jobs[job_id]
                self._groups.pop(job_id, None)

    def stop(self, job_id: int) -> None:
        """Stop a running job after its current batch, or take a waiting one out of the queue at once."""
        job = self.get(job_id)
        if job is None:
            return
        job.request_stop()
        with self._lock:
            waiting = job_id in self._waiting
            if waiting:
                self._waiting.remove(job_id)
        if waiting:
            job.cancel()

    def snapshot(self, job_id: int) -> Snapshot | None:
        """The job's state, with its place in the queue (1 = next) while it waits."""
        job = self.get(job_id)
        if job is None:
            return None
        snapshot = job.snapshot()
        if snapshot.status == QUEUED:
            with self._lock:
                order = self._start_order()
                position = order.index(job_id) + 1 if job_id in order else None
            snapshot = dataclasses.replace(snapshot, queue_position=position)
        return snapshot

    @property
    def running_count(self) -> int:
        with self._lock:
            return sum(1 for job in self._jobs.values() if job.status == RUNNING)

    @property
    def waiting_count(self) -> int:
        with self._lock:
            return len(self._waiting)

    def _start_order(self) -> list[int]:
        """The waiting jobs in the order they will start (call with the lock held)."""
        ahead = Counter(self._running_per_group)
        keyed = []
        for arrival, job_id in enumerate(self._waiting):
            group = self._groups[job_id]
            keyed.append((ahead[group], arrival, job_id))
            ahead[group] += 1
        return [job_id for _, _, job_id in sorted(keyed)]

    def _work(self) -> None:
        while True:
            with self._wakeup:
                while not self._waiting:
                    self._wakeup.wait()
                job_id = self._start_order()[0]
                self._waiting.remove(job_id)
                job, group = self._jobs[job_id], self._groups[job_id]
                self._running_per_group[group] += 1
            try:
                job.run()  # never raises by design; a bug there must not take a trainer thread with it
            except Exception:
                LOG.exception("job %s ended with an unexpected error", job.job_id)
            finally:
                with self._lock:
                    self._running_per_group[group] -= 1
                    if not self._running_per_group[group]:
                        del self._running_per_group[group]  # one group per single run: never let them pile up

    def _forget_old_jobs(self) -> None:
        ended = [job_id for job_id, job in self._jobs.items() if job.status in ENDED]
        for job_id in ended[: max(0, len(ended) - KEEP_ENDED_JOBS)]:
            del self._jobs[job_id]
            self._groups.pop(job_id, None)
