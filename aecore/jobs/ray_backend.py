"""The Ray backend: every job slot is a Ray actor, a worker process that Ray places on this machine or on any
machine of a cluster, with TensorFlow kept warm between the runs it trains.

``AECORE_RAY_ADDRESS`` unset starts a local Ray (``ray.init(num_cpus=...)``); ``auto`` or ``ray://host:10001``
joins a cluster. Every worker reads and writes the run store's folder, so on a cluster that folder must be one
that every machine sees at the same path (``AECORE_RUNS_DIR`` on a shared file system). Ray is optional:
``pip install -r requirements-ray.txt``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from aecore.errors import AecoreError
from aecore.jobs.remote import CalledWorker, WorkerLost
from aecore.jobs.worker import ANSWER_SECONDS, Trainer, limit_tensorflow_threads
from aecore.training.live_state import Cursor

PACKAGE_DIR = Path(__file__).resolve().parent


class TrainerActor:
    """The Ray actor around a ``Trainer`` (the class is made remote in ``connect``: Ray is imported only then)."""

    def __init__(self, threads: int, dataset: str | None) -> None:
        limit_tensorflow_threads(threads)
        self._trainer = Trainer()
        self._trainer.warm(dataset)

    def start(self, spec: dict[str, Any]) -> None:
        self._trainer.start(spec)

    def changes_since(self, cursor: Cursor) -> tuple[Cursor, dict[str, Any]]:
        return self._trainer.changes_since(cursor)

    def stop(self) -> None:
        self._trainer.stop()

    def control(self, command: str, *argument: Any) -> None:
        self._trainer.control(command, *argument)


def connect(local_cpus: int) -> int:
    """Join the Ray named by ``AECORE_RAY_ADDRESS`` or start a local one; returns the cluster's CPUs."""
    try:
        import ray
    except ImportError as error:
        raise AecoreError(
            "AECORE_BACKEND=ray needs Ray: pip install -r requirements-ray.txt (or choose the local backend)."
        ) from error
    if not ray.is_initialized():
        address = os.environ.get("AECORE_RAY_ADDRESS") or None
        # the workers import aecore from this copy of it, on this machine or any other of the cluster
        runtime_env = {"py_modules": [str(PACKAGE_DIR)], "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}}
        options = {"address": address} if address else {"num_cpus": local_cpus, "include_dashboard": False}
        try:
            _init_from_a_lasting_thread(ray, runtime_env=runtime_env, log_to_driver=False, **options)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise AecoreError(f"Could not reach Ray at '{address or 'a new local Ray'}': {error}") from error
    return int(ray.cluster_resources().get("CPU", 1))


def _init_from_a_lasting_thread(ray: Any, **options: Any) -> None:
    """``ray.init`` from a thread that lives as long as the process.

    A local Ray's own processes (its GCS, its raylet) are killed when the *thread* that started them ends (Linux'
    parent-death signal follows the thread), and Streamlit runs every page in a thread of its own that ends
    with the page run: started from there, the local Ray died a minute later."""
    started = threading.Event()
    failure: list[BaseException] = []

    def start_and_stay() -> None:
        try:
            ray.init(**options)
        except BaseException as error:  # handed to the caller below
            failure.append(error)
        started.set()
        threading.Event().wait()  # the thread must outlive the Ray it started

    threading.Thread(target=start_and_stay, name="aecore-ray", daemon=True).start()
    started.wait()
    if failure:
        raise failure[0]


class RayWorker(CalledWorker):
    """One run's actor. It asks Ray for one CPU and gives it back when the run ends, so runs beyond the cluster's
    CPUs wait in Ray's queue (an actor kept between runs would hold its CPU for good). The price is a worker
    process and a TensorFlow import per run: docs/performance.md measures it."""

    def __init__(self, threads: int, dataset: str | None = None) -> None:
        import ray

        actor_class = ray.remote(num_cpus=1, max_restarts=0)(TrainerActor)
        self._actor = actor_class.remote(threads, dataset)
        self._answered = False

    def _call(self, method: str, *argument: Any) -> Any:
        import ray

        # the first answer waits for Ray to place the actor, which may queue behind every other run: no limit
        patience = ANSWER_SECONDS if self._answered else None
        try:
            answer = ray.get(getattr(self._actor, method).remote(*argument), timeout=patience)
        except ray.exceptions.GetTimeoutError as error:
            raise WorkerLost(f"no answer from the Ray actor in {patience:.0f} s") from error
        except ray.exceptions.RayError as error:
            raise WorkerLost(f"Ray: {type(error).__name__}") from error
        self._answered = True
        return answer

    def close(self) -> None:
        import ray

        ray.kill(self._actor)
