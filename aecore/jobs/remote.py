"""Training out of the web server's interpreter: a job's mirror in the server, fed by a worker that trains it.

The web server must never train: a training's per-batch Python loop would share one interpreter lock with every
tab's page reruns, and the more people watch, the less anything trains. So the job manager's slots hand each
run to a worker (a process of this machine, ``aecore.jobs.worker``, or a Ray actor, ``aecore.jobs.ray_backend``), and
the server keeps a ``RemoteJob``: the same face as a ``TrainingJob`` (snapshot, stop, status), its state a
mirror updated from the worker a few times a second with only what is new.

The run's lock stays with the server's job while the worker trains, so a run whose server went away shows as
interrupted, and a worker that dies is noticed here and its run marked failed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from aecore.runs.folder import History, RunFolder, RunLock
from aecore.runs.snapshots import ENDED, FAILED, STOPPED, Snapshot
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig
from aecore.settings.live import checked_change
from aecore.training.live_state import START, Cursor, JobState

LOG = logging.getLogger(__name__)

#: how often a slot asks its worker what is new: a loss point reaches the page within this of being made
WORKER_POLL_SECONDS = 0.2
#: how often it asks once a Stop is on its way: a few small answers while the worker saves the run's end
STOPPING_POLL_SECONDS = 0.05


class WorkerLost(Exception):
    """The worker stopped answering: its process ended, or Ray lost the actor."""


class Worker(Protocol):
    """Where a slot's runs train, one at a time (``aecore.jobs.worker.WorkerProcess``, ``aecore.jobs.ray_backend``)."""

    def start(self, spec: dict[str, Any]) -> None: ...

    def changes_since(self, cursor: Cursor) -> tuple[Cursor, dict[str, Any]]: ...

    def stop(self) -> None: ...

    def control(self, command: str, *argument: Any) -> None:
        """Pause, Continue, Step, a pace or a live change (``aecore.training.live_state.JOB_COMMANDS``) for its run."""

    def store_codes(self, folder: str) -> None:
        """Encode the test images with the finished run's model and keep the codes in its folder."""

    def close(self) -> None: ...


class CalledWorker:
    """A worker reached by named calls; the transport (a pipe, Ray) supplies ``_call(method, *argument)``."""

    def _call(self, method: str, *argument: Any) -> Any:
        raise NotImplementedError

    def start(self, spec: dict[str, Any]) -> None:
        self._call("start", spec)

    def changes_since(self, cursor: Cursor) -> tuple[Cursor, dict[str, Any]]:
        return self._call("changes_since", cursor)

    def stop(self) -> None:
        self._call("stop")

    def control(self, command: str, *argument: Any) -> None:
        self._call("control", command, *argument)

    def store_codes(self, folder: str) -> None:
        self._call("store_codes", folder)


class RemoteJob:
    """A run that a worker trains, as the server sees it; created queued, with the run's lock held."""

    model = None  # the model lives in the worker; the page reads it from the run's folder once it ends

    def __init__(
        self, job_id: int, config: RunConfig, store: RunStore, folder: RunFolder, lock: RunLock, resumed: bool
    ) -> None:
        self.job_id = job_id
        self.config = config
        self.run_id = folder.run_id
        self.spec = {"store": str(store.root), "run_id": folder.run_id, "config": config.to_dict(), "resume": resumed}
        self.stop_event = threading.Event()
        self._wake = threading.Event()  # a Stop or a command for the worker: the slot sends it at once
        self._commands: list[tuple[str, tuple[Any, ...]]] = []
        self._store, self._folder, self._run_lock, self._resumed = store, folder, lock, resumed
        self._lock = threading.Lock()
        self._state = JobState(device=config.training.device.upper())

    @property
    def status(self) -> str:
        with self._lock:
            return self._state.status

    @property
    def store_error(self) -> str | None:
        with self._lock:
            return self._state.store_error

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._state.snapshot(self.run_id, self.job_id, self.config)

    def request_stop(self) -> None:
        """The slot wakes and passes it on to the worker at once (Stop answers within about a call of steps)."""
        self.stop_event.set()
        self._wake.set()

    def pause(self) -> None:
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def step(self) -> None:
        self._send("step")

    def set_pace(self, batches_per_second: float) -> None:
        self._send("set_pace", float(batches_per_second))

    def change_setting(self, name: str, value: float) -> None:
        self._send("change_setting", name, checked_change(self.config, name, value))  # refused here, not there

    def _send(self, command: str, *argument: Any) -> None:
        """Queue a command for the worker; the slot sends it at once, in order (a queued run takes them when it
        starts: a run paused while it waits starts paused)."""
        with self._lock:
            self._commands.append((command, argument))
        self._wake.set()

    def _take_commands(self) -> list[tuple[str, tuple[Any, ...]]]:
        with self._lock:
            commands, self._commands = self._commands, []
        return commands

    def cancel(self) -> None:
        """End a run stopped while it waited: saved as stopped (a resume: as it was before), its lock freed."""
        from aecore.runs.recorder import RunRecorder, untrained_outcome

        outcome = untrained_outcome(self.config, self._folder if self._resumed else None, History({}, []))
        RunRecorder(self._folder, self._run_lock, self._store).ended(STOPPED, "Stopped before it started.", outcome)
        self._end(STOPPED, "Stopped before it started.")

    def train_on(self, worker: Worker) -> None:
        """Train on ``worker`` and mirror it until the run ends (never raises: the snapshot tells)."""
        try:
            if self.stop_event.is_set():
                self.cancel()
                return
            self._follow(worker)
        except WorkerLost as lost:
            self._lost(str(lost))
        finally:
            self._run_lock.release()  # after the worker saved the run's end: a reader then sees the final status

    def _follow(self, worker: Worker) -> None:
        worker.start(self.spec)
        cursor, stop_sent = START, False
        while True:
            self._wake.clear()  # before looking: a Stop or a command after this wakes the wait below at once
            if self.stop_event.is_set() and not stop_sent:
                worker.stop()
                stop_sent = True
            for command, argument in self._take_commands():
                worker.control(command, *argument)
            cursor, changes = worker.changes_since(cursor)
            with self._lock:
                self._state.apply(changes)
            if changes["status"] in ENDED:
                return
            if stop_sent:  # the end is near: ask often, so "Stopped" shows as soon as the worker has saved it
                time.sleep(STOPPING_POLL_SECONDS)
            else:
                self._wake.wait(WORKER_POLL_SECONDS)  # a Stop or a command wakes the loop at once, to send it on

    def _lost(self, why: str) -> None:
        message = (
            f"The process training this run ended unexpectedly ({why}). The epochs it finished are saved: "
            "resume the run from the Runs page, or try a smaller batch or model if it ran out of memory."
        )
        LOG.error("run %s: %s", self.run_id, message)
        try:
            self._store.save(self._folder, status=FAILED, message=message, ended=time.time())
        except Exception:  # the store's own trouble is reported by the store; the page still says why
            LOG.exception("saving the failure of run %s failed", self.run_id)
        self._end(FAILED, message)

    def _end(self, status: str, message: str) -> None:
        with self._lock:
            self._state.status, self._state.message = status, message
            self._state.ended = time.perf_counter()
