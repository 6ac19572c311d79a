"""A slot of the job manager: one place a run trains at a time, with the worker it trains on, and where a finished
run's test codes are encoded for its layouts (``aecore.explore.layouts``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from aecore.errors import AecoreError
from aecore.jobs.remote import RemoteJob, Worker, WorkerLost
from aecore.runs.folder import RunFolder
from aecore.runs.snapshots import FINISHED
from aecore.training.live_state import Job

LOG = logging.getLogger(__name__)


class Slot:
    """One place a run trains at a time. With a worker factory its runs train in workers: one kept warm across
    runs (``keep``, a local process) or a new one per run (a Ray CPU reserved for the run, with a warm actor from
    ``ray_backend``'s pool, both given back when it ends)."""

    def __init__(self, new_worker: Callable[[], Worker] | None = None, keep: bool = False) -> None:
        self._new_worker, self._keep = new_worker, keep
        self._worker: Worker | None = new_worker() if new_worker is not None and keep else None
        self._closed = False
        self._lock = threading.Lock()  # the run's thread hands its worker back while ``close`` may be ending it

    def run(self, job: Job, codes_to: RunFolder | None = None) -> None:
        """Train ``job``; once it has finished, keep its test codes in ``codes_to`` (if given) for the layouts."""
        if not isinstance(job, RemoteJob):  # this process trains it (a thread backend, or a run not saved)
            job.run()
            if codes_to is not None and job.status == FINISHED:
                _store_codes_here(codes_to)
            return
        worker = self._worker if self._worker is not None and self._worker.alive else self._new_worker()
        try:
            job.train_on(worker)
            if codes_to is not None and job.status == FINISHED:
                worker.store_codes(str(codes_to.path))
        except WorkerLost as lost:  # the run is saved; only its layouts wait for the page to ask
            LOG.warning("run %s: its test codes were not stored (%s)", job.run_id, lost)
        finally:
            self._hand_back(worker)

    def _hand_back(self, worker: Worker) -> None:
        """Keep the run's worker for the next run, or end it; a kept worker that grew is replaced at once (the new
        one warms while the slot waits for work). A closed slot keeps nothing and starts nothing."""
        with self._lock:
            kept = self._keep and not self._closed and worker.alive and not worker.grown()
            if kept:
                self._worker = worker
            elif self._worker is worker:
                self._worker = None
        if kept:
            return
        worker.close()
        if self._keep and not self._closed:
            replacement = self._new_worker()
            with self._lock:
                if not self._closed:
                    self._worker, replacement = replacement, None
            if replacement is not None:
                replacement.close()

    def wait_ready(self, timeout: float) -> None:
        """Wait for a kept worker to have TensorFlow loaded (a worker made per run has nothing to wait for)."""
        if self._worker is not None:
            try:
                self._worker.wait_ready(timeout)
            except WorkerLost:
                pass  # it died while idle: the slot's next run starts a new one

    @property
    def loading(self) -> bool:
        """Whether its kept worker is still loading TensorFlow (a worker made per run never counts)."""
        return self._worker is not None and not self._worker.ready

    def close(self) -> None:
        with self._lock:
            self._closed = True
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()


def _store_codes_here(folder: RunFolder) -> None:
    from aecore.explore.stored_model import store_test_codes  # TensorFlow: this process trained the run

    try:
        store_test_codes(folder)
    except (AecoreError, OSError) as error:
        LOG.warning("run %s: its test codes were not stored (%s)", folder.run_id, error)
