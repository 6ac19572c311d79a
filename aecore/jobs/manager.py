"""The job interface the pages, the CLI and the sweeps use: submit a run, read its snapshot, stop it, list a
group's runs; a bounded number train at once, the rest wait in a fair queue knowing their place.

A classroom of 30 browsers pressing Train at once must not bring a 2-core server down. Where the runs train is
the backend's business (``open_backend``):

- ``local`` (the default): a small pool of worker processes of this machine, started with the server, each with
  TensorFlow imported once and kept warm (``aecore.jobs.worker``), so training never shares the web server's
  interpreter;
- ``ray``: every run is a Ray actor, on this machine or any of a cluster (``aecore.jobs.ray_backend``);
- ``thread``: threads of this process, for tests and for callers that are their own process already.

Jobs belong to the manager, not to a page run, so they go on when a page reruns, changes or reloads.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import statistics
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Sequence
from typing import Any

from aecore.errors import AecoreError
from aecore.explore import layouts
from aecore.explore.layouts import planned_layouts
from aecore.jobs.layout_process import LayoutProcess
from aecore.jobs.remote import RemoteJob
from aecore.jobs.run_jobs import locked_for_resume, new_job, not_saved, resumed_job
from aecore.jobs.slots import Slot
from aecore.runs.folder import RunFolder
from aecore.runs.snapshots import ENDED, FINISHED, QUEUED, RUNNING, Snapshot
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig
from aecore.settings.validation import validate
from aecore.training.live_state import JOB_COMMANDS, Job, new_job_id

LOG = logging.getLogger(__name__)

#: how many ended jobs the manager keeps for sessions that come back to them (a tab's superseded runs are
#: forgotten at once, so this bounds what abandoned tabs leave behind)
KEEP_ENDED_JOBS = 128


BACKENDS = ("local", "ray", "thread")
#: how many recent runs' durations the queue's wait estimate averages
RECENT_RUNS = 20
#: how long a slot waits for its worker to load TensorFlow before it takes runs anyway (they then fail, saying so)
WORKER_READY_SECONDS = 300.0
#: how often a slot computing layouts looks for a run that needs it (a Stop wakes it at once)
LAYOUT_POLL_SECONDS = 0.1


def _max_jobs_from_environment() -> int:
    """``AECORE_MAX_JOBS``, how many runs train at once on this server (0 or unset: the backend decides)."""
    text = os.environ.get("AECORE_MAX_JOBS", "0")
    if not text.isdigit():
        raise AecoreError(f"AECORE_MAX_JOBS must be a whole number of runs (got '{text}').")
    return int(text)


def backend_from_environment() -> str:
    """``AECORE_BACKEND``: ``local`` (the default) or ``ray``."""
    name = os.environ.get("AECORE_BACKEND", "").strip().lower() or "local"
    if name not in BACKENDS:
        raise AecoreError(f"AECORE_BACKEND must be 'local' or 'ray' (got '{name}').")
    return name


class JobManager:
    """Runs jobs in at most ``max_concurrent`` slots at once, each saved in ``store``.

    Waiting jobs start in a fair order, not strictly first come: every job belongs to a group (a sweep, a browser
    session; by default its own), and the next job to start is the first of the group with the fewest jobs running
    or waiting ahead of it. A 50-run sweep's runs then wait behind each other, not in front of a student who
    pressed Train after the sweep began.
    """

    def __init__(
        self,
        max_concurrent: int | None = None,
        store: RunStore | None = None,
        backend: str = "thread",
        warm_dataset: str | None = None,
        layouts: Sequence[tuple[str, int]] | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise AecoreError(f"Choose the backend 'local' or 'ray' (got '{backend}').")
        if backend != "thread" and store is None:
            raise AecoreError("Runs that train out of this process need a run store to train from.")
        self.backend = backend
        self.store = store
        self.layouts = tuple(planned_layouts() if layouts is None else layouts)
        requested = max_concurrent or _max_jobs_from_environment()
        #: the threads of each slot's worker, and of the layouts it computes once a run has finished
        self._threads = max(1, (os.cpu_count() or 1) // (requested or os.cpu_count() or 1))
        if backend == "ray":
            from aecore.jobs import ray_backend

            cluster_cpus = ray_backend.connect(requested or os.cpu_count() or 1)
            self.max_concurrent = requested or cluster_cpus
            self._slots = [Slot(lambda: ray_backend.RayWorker(1, warm_dataset)) for _ in range(self.max_concurrent)]
            ray_backend.warm(min(self.max_concurrent, cluster_cpus), 1, warm_dataset)
        elif backend == "local":
            from aecore.jobs.worker import WorkerProcess

            self.max_concurrent = requested or os.cpu_count() or 1
            self._slots = [
                Slot(lambda: WorkerProcess(self._threads, warm_dataset), keep=True) for _ in range(self.max_concurrent)
            ]
        else:
            self.max_concurrent = requested or os.cpu_count() or 1
            self._slots = [Slot() for _ in range(self.max_concurrent)]
        self._jobs: OrderedDict[int, Job] = OrderedDict()
        self._laid_out: set[int] = set()  # jobs whose codes are laid out once they finish (not a sweep's)
        #: finished jobs whose slot lays their codes out (None while their worker encodes the test images)
        self._laying_out: dict[int, LayoutProcess | None] = {}
        self._idle_slots = 0
        self._waiting: list[int] = []  # in order of arrival
        self._groups: dict[int, str] = {}
        self._running_per_group: Counter[str] = Counter()
        self._recent_seconds: deque[float] = deque(maxlen=RECENT_RUNS)
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        for index, slot in enumerate(self._slots):
            threading.Thread(target=self._work, args=(slot,), name=f"aecore-slot-{index}", daemon=True).start()

    def submit(
        self,
        config: RunConfig,
        name: str | None = None,
        sweep: str | None = None,
        sweep_point: str | None = None,
        group: str | None = None,
    ) -> Job:
        """Queue a new run (validated now, so a bad setting fails at once, before it waits)."""
        config = validate(config)
        if self.backend == "thread":
            job = new_job(config, self.store, name, sweep, sweep_point)
        else:
            try:
                folder, lock = self.store.create(config, name=name, sweep=sweep, sweep_point=sweep_point)
            except AecoreError as error:  # no folder for a worker to train from: it trains here, unsaved
                from aecore.training.engine import TrainingJob

                return self._enqueue(TrainingJob(config, unsaved_reason=not_saved(error)), group)
            job = RemoteJob(new_job_id(), config, self.store, folder, lock, resumed=False)
        return self._enqueue(job, group, laid_out=sweep is None)

    def resume(self, run_id: str, extra_epochs: int, group: str | None = None) -> Job:
        """Queue a stored run to train ``extra_epochs`` more epochs from its last checkpoint."""
        if self.store is None:
            raise AecoreError("This job manager has no run store to resume runs from.")
        self._stop_layouts(run_id)  # of its codes as they were: it has other codes once it trains on
        if self.backend == "thread":
            job = resumed_job(self.store, run_id, extra_epochs)
        else:
            config, folder, lock = locked_for_resume(self.store, run_id, extra_epochs)
            job = RemoteJob(new_job_id(), config, self.store, folder, lock, resumed=True)
        return self._enqueue(job, group, laid_out=self.store.folder(run_id).meta().get("sweep") is None)

    def _enqueue(self, job: Job, group: str | None, laid_out: bool = False) -> Job:
        with self._wakeup:
            if laid_out and self.layouts and self.store is not None and job.store_error is None:
                self._laid_out.add(job.job_id)
            self._jobs[job.job_id] = job
            self._groups[job.job_id] = group or f"job-{job.job_id}"
            self._waiting.append(job.job_id)
            self._forget_old_jobs()
            self._wakeup.notify()
        return job

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def group_jobs(self, group: str) -> list[Job]:
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

    def control(self, job_id: int, command: str, *argument: Any) -> None:
        """Pause, Continue, Step, a pace or a live change of a setting (``aecore.training.live_state.JOB_COMMANDS``)
        for a job; a paused job keeps its training slot until it continues, stops, or its pause runs out."""
        if command not in JOB_COMMANDS:
            raise AecoreError(f"Unknown command '{command}': one of {', '.join(JOB_COMMANDS)}.")
        job = self.get(job_id)
        if job is not None:
            getattr(job, command)(*argument)

    def stop_requested(self, job_id: int) -> bool:
        job = self.get(job_id)
        return job is not None and job.stop_event.is_set()

    def snapshot(self, job_id: int) -> Snapshot | None:
        """The job's state, with its place in the queue (1 = next) and the wait to expect while it waits, or how far
        the layouts of its codes are once it has finished."""
        job = self.get(job_id)
        if job is None:
            return None
        snapshot = job.snapshot()
        with self._lock:
            laying_out, process = job_id in self._laying_out, self._laying_out.get(job_id)
        if laying_out and snapshot.status == FINISHED:
            progress = (0.0, "Encoding the test images…")
            if process is not None:
                progress = (layouts.layout_progress(process.folder) or (0.0, "Starting…"))[:2]
            snapshot = dataclasses.replace(snapshot, laying_out=progress)
        if snapshot.status == QUEUED:
            with self._lock:
                order = self._start_order()
                position = order.index(job_id) + 1 if job_id in order else None
                typical = statistics.median(self._recent_seconds) if self._recent_seconds else None
            wait = None
            if position is not None and typical is not None:
                wait = math.ceil(position / self.max_concurrent) * typical
            snapshot = dataclasses.replace(snapshot, queue_position=position, estimated_wait_seconds=wait)
        return snapshot

    @property
    def loading_count(self) -> int:
        """Slots that take no run until their worker has TensorFlow loaded (a server just started, or a worker
        replaced after it grew)."""
        return sum(slot.loading for slot in self._slots)

    @property
    def running_count(self) -> int:
        with self._lock:
            return sum(1 for job in self._jobs.values() if job.status == RUNNING)

    @property
    def paused_count(self) -> int:
        """Runs that hold a training slot while paused (until they continue, stop, or their pause runs out)."""
        with self._lock:
            jobs = [job for job in self._jobs.values() if job.status == RUNNING]
        return sum(1 for job in jobs if job.snapshot().paused)

    @property
    def waiting_count(self) -> int:
        with self._lock:
            return len(self._waiting)

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait until the workers kept between runs have TensorFlow loaded: the web server then imports it for
        its own pages after them, not at the same time (three imports at once on a small server slowed its
        page runs enough for quick clicks to race them)."""
        for slot in self._slots:
            slot.wait_ready(timeout)
        if self.backend == "ray":
            from aecore.jobs import ray_backend

            ray_backend.wait_warm(timeout)

    def close(self) -> None:
        """Stop every job and end the workers (a CLI sweep or a test that is done with them)."""
        with self._lock:
            jobs = list(self._jobs)
        for job_id in jobs:
            self.stop(job_id)
        for slot in self._slots:
            slot.close()

    def _start_order(self) -> list[int]:
        """The waiting jobs in the order they will start (call with the lock held)."""
        ahead = Counter(self._running_per_group)
        keyed = []
        for arrival, job_id in enumerate(self._waiting):
            group = self._groups[job_id]
            keyed.append((ahead[group], arrival, job_id))
            ahead[group] += 1
        return [job_id for _, _, job_id in sorted(keyed)]

    def _work(self, slot: Slot) -> None:
        while True:
            # a slot whose worker still loads TensorFlow (a new one, or the replacement of one that grew) takes
            # no run before it is ready: a warm slot takes it, and the run does not wait for an import
            slot.wait_ready(WORKER_READY_SECONDS)
            with self._wakeup:
                self._idle_slots += 1
                while not self._waiting:
                    self._wakeup.wait()
                self._idle_slots -= 1
                job_id = self._start_order()[0]
                self._waiting.remove(job_id)
                job, group = self._jobs[job_id], self._groups[job_id]
                self._running_per_group[group] += 1
                laid_out = job_id in self._laid_out
                self._laid_out.discard(job_id)
                if laid_out:  # from the moment it finishes, its snapshot says its codes are being laid out
                    self._laying_out[job_id] = None
            started = time.monotonic()
            folder = self.store.folder(job.run_id) if laid_out else None
            try:
                slot.run(job, folder)  # never raises by design; a bug there must not take a slot with it
            except Exception:
                LOG.exception("job %s ended with an unexpected error", job.job_id)
            finally:
                with self._lock:
                    if job.status == FINISHED:  # a stopped or failed run says nothing of how long one takes
                        self._recent_seconds.append(time.monotonic() - started)
                    self._running_per_group[group] -= 1
                    if not self._running_per_group[group]:
                        del self._running_per_group[group]  # one group per single run: never let them pile up
            try:
                if folder is not None and job.status == FINISHED:
                    self._lay_out(job, folder)
            finally:
                with self._lock:
                    self._laying_out.pop(job.job_id, None)

    def _stop_layouts(self, run_id: str) -> None:
        with self._lock:
            jobs = [self._jobs.get(job_id) for job_id in self._laying_out]
        for job in jobs:
            if job is not None and job.run_id == run_id:
                job.request_stop()

    def _lay_out(self, job: Job, folder: RunFolder) -> None:
        """The layouts of a finished run's codes, computed while this slot has no run to train: a Stop of the run
        or a run waiting for a slot (none other idle) ends them at once; what is done stays in the run's folder."""
        if layouts.read_codes(folder) is None:
            return  # its worker could not store them: the Latent space page computes what it shows
        try:
            process = LayoutProcess(folder, self.layouts, self._threads)
        except OSError as error:
            LOG.warning("run %s: its layouts could not start (%s)", job.run_id, error)
            return
        with self._lock:
            self._laying_out[job.job_id] = process
        try:
            while process.running and not job.stop_event.wait(LAYOUT_POLL_SECONDS):
                with self._lock:
                    if len(self._waiting) > self._idle_slots:
                        break
        finally:
            process.stop()

    def _forget_old_jobs(self) -> None:
        ended = [job_id for job_id, job in self._jobs.items() if job.status in ENDED]
        for job_id in ended[: max(0, len(ended) - KEEP_ENDED_JOBS)]:
            del self._jobs[job_id]
            self._groups.pop(job_id, None)


def open_backend(
    name: str | None = None, store: RunStore | None = None, max_jobs: int | None = None, warm_dataset: str | None = None
) -> JobManager:
    """The job manager of the backend ``name`` (default: ``AECORE_BACKEND``, else ``local``), saving in ``store``."""
    return JobManager(max_jobs, store or RunStore(), name or backend_from_environment(), warm_dataset)
