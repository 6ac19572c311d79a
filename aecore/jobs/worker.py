"""The worker side of training out of the web server: a process of its own, TensorFlow imported once and kept
warm between runs, training one run at a time and answering the server's polls (``aecore.jobs.remote``).

``Trainer`` is what a worker does, whatever carries the messages: a pipe to a spawned process here
(``WorkerProcess``), or Ray's calls to an actor (``aecore.jobs.ray_backend``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aecore.jobs.remote import CalledWorker, WorkerLost
from aecore.training.live_state import JOB_COMMANDS, Cursor

if TYPE_CHECKING:  # imported by ``warm``, once the worker has started
    from aecore.training.engine import TrainingJob

#: the folder that holds the ``aecore`` package: a worker imports this copy of it
PROJECT_DIR = Path(__file__).resolve().parents[2]
#: a worker retires once its memory grew this much since its first run: every run leaves 5-20 MB behind in
#: TensorFlow (XLA keeps each compiled step for the life of the process), so without this the workers of a busy
#: server would grow without bound (measured: 0.98 to 1.37 GB each over 20 runs of the dense model)
MEMORY_GROWTH_BYTES = 100 * 2**20
#: how long a worker may take to answer: its first answer waits for TensorFlow's import
FIRST_ANSWER_SECONDS = 300.0
ANSWER_SECONDS = 120.0


def child_environment(**variables: str) -> dict[str, str]:
    """This process's environment for a child that runs ``python -m aecore…``: this checkout's ``aecore`` first on
    its path, whatever directory the server was started from, and ``variables`` on top."""
    paths = os.pathsep.join(filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": paths, **variables}


def limit_tensorflow_threads(threads: int) -> None:
    """Size TensorFlow's thread pools before it loads, so N workers on a machine do not oversubscribe its cores."""
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(threads)


class Trainer:
    """Trains one run at a time, from its folder in a run store every worker sees, in a thread of its own."""

    def __init__(self) -> None:
        self._job: TrainingJob | None = None
        self._thread: threading.Thread | None = None

    def warm(self, dataset: str | None) -> None:
        """Import TensorFlow and the engine (and load a dataset) before the first run asks for them."""
        import aecore.training.engine  # noqa: F401

        if dataset:
            from aecore.data.registry import load_dataset

            load_dataset(dataset)

    def start(self, spec: dict[str, Any]) -> None:
        from aecore.runs.recorder import RunRecorder
        from aecore.runs.store import RunStore
        from aecore.settings.config import RunConfig
        from aecore.training.engine import TrainingJob

        if self._thread is not None:
            self._thread.join()  # the last run has ended; its clean-up may still be finishing
        store = RunStore(spec["store"])
        folder = store.folder(spec["run_id"])
        recorder = RunRecorder(folder, None, store)  # the lock stays with the server's job
        resume_from = folder if spec["resume"] else None
        self._job = TrainingJob(RunConfig.from_dict(spec["config"]), recorder, resume_from=resume_from)
        self._thread = threading.Thread(target=self._train, name="aecore-worker-job", daemon=True)
        self._thread.start()

    def _train(self) -> None:
        from aecore.tensorflow_runtime import keras

        self._job.run()
        self._job.model = None
        keras.backend.clear_session()  # one run's graphs and names must not pile up over a hundred runs

    def changes_since(self, cursor: Cursor) -> tuple[Cursor, dict[str, Any]]:
        return self._job.changes_since(cursor)

    def store_codes(self, folder: str) -> None:
        """The finished run's test codes, kept in its folder for the layouts (``aecore.explore.layouts``)."""
        from aecore.explore.stored_model import store_test_codes
        from aecore.runs.folder import RunFolder

        if self._thread is not None:
            self._thread.join()  # the run's clean-up first: the codes come from its saved checkpoint
        store_test_codes(RunFolder(folder))

    def stop(self) -> None:
        if self._job is not None:
            self._job.request_stop()

    def control(self, command: str, *argument: Any) -> None:
        """Pause, Continue, Step, a pace or a live change for the run under way (``live_state.JOB_COMMANDS``)."""
        if command not in JOB_COMMANDS:
            raise ValueError(f"unknown command {command!r}")
        if self._job is not None:
            getattr(self._job, command)(*argument)


def serve(connection: Any, threads: int, dataset: str | None) -> None:
    """A worker process's life: answer ``(method, argument)`` messages until the server goes away."""
    limit_tensorflow_threads(threads)
    trainer = Trainer()
    trainer.warm(dataset)
    try:
        connection.send(("ready", None))
    except OSError:
        return  # the server closed this worker while it was still warming
    while True:
        try:
            method, argument = connection.recv()
        except (EOFError, OSError):
            return  # the server ended: so does its worker, and the run's lock (the server's) shows it interrupted
        try:
            answer = getattr(trainer, method)(*argument)
            connection.send(("ok", answer))
        except Exception as error:  # the server reports it; the worker stays up for the next run
            connection.send(("error", f"{type(error).__name__}: {error}"))


class WorkerProcess(CalledWorker):
    """A worker process of this machine (``python -m aecore.jobs.worker``), started at once and warm for every run
    after its first. A plain child process with a socket, not ``multiprocessing``'s spawn, which would import the
    parent's main module again (Streamlit's, pytest's, a user's script) in every worker."""

    def __init__(self, threads: int, dataset: str | None = None) -> None:
        ours, theirs = socket.socketpair()
        command = [sys.executable, "-m", "aecore.jobs.worker", str(theirs.fileno()), str(threads), dataset or ""]
        self._process = subprocess.Popen(command, pass_fds=[theirs.fileno()], env=child_environment())
        theirs.close()
        self._connection = Connection(ours.detach())
        self._ready = False
        self._baseline_bytes: int | None = None
        self._lock = threading.Lock()  # one conversation at a time: the slot's polls, a warm-up's wait
        self._close_lock = threading.Lock()  # not the conversation's: closing ends a conversation under way

    def wait_ready(self, timeout: float = FIRST_ANSWER_SECONDS) -> bool:
        """Wait until the worker has TensorFlow loaded; False if it did not within ``timeout`` seconds."""
        with self._lock:
            return self._receive_ready(timeout)

    def _receive_ready(self, timeout: float) -> bool:
        if not self._ready:
            try:
                if not self._connection.poll(timeout):
                    return False
                self._connection.recv()
            except (EOFError, OSError) as error:
                raise WorkerLost(f"exit code {self._process.poll()}") from error
            self._ready = True
        return True

    def grown(self) -> bool:
        """Whether its memory grew by more than ``MEMORY_GROWTH_BYTES`` since its first run ended (asked after
        each run, so the first answer sets the baseline)."""
        try:
            status = Path(f"/proc/{self._process.pid}/status").read_text()
        except OSError:  # not Linux, or gone: nothing to measure
            return False
        resident = next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        if self._baseline_bytes is None:
            self._baseline_bytes = resident
        return resident - self._baseline_bytes > MEMORY_GROWTH_BYTES

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    @property
    def ready(self) -> bool:
        """Whether it is known to have TensorFlow loaded (its slot waits for that before it takes a run)."""
        return self._ready

    def _call(self, method: str, *argument: Any) -> Any:
        with self._lock:
            if not self._receive_ready(FIRST_ANSWER_SECONDS):
                raise WorkerLost(f"TensorFlow did not load in {FIRST_ANSWER_SECONDS:.0f} s")
            return self._exchange(method, argument)

    def _exchange(self, method: str, argument: tuple) -> Any:
        try:
            self._connection.send((method, argument))
            if not self._connection.poll(ANSWER_SECONDS):
                raise WorkerLost(f"no answer in {ANSWER_SECONDS:.0f} s")
            kind, answer = self._connection.recv()
        except (EOFError, OSError) as error:
            try:
                code = self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = "none yet"
            raise WorkerLost(f"exit code {code}") from error
        if kind == "error":
            raise WorkerLost(answer)
        return answer

    def close(self) -> None:
        """End the worker; a second call (its slot's run and the manager's close, at once) does nothing."""
        with self._close_lock:
            if self._connection.closed:
                return
            self._connection.close()  # the worker reads the end of its socket and exits
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])), int(sys.argv[2]), sys.argv[3] or None)
