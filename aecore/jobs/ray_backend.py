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

    def store_codes(self, folder: str) -> None:
        self._trainer.store_codes(folder)

    def ready(self) -> bool:
        """Answers once the actor is made, so TensorFlow is imported: what a warm-up waits for."""
        return True


def connect(local_cpus: int) -> int:
    """Join the Ray named by ``AECORE_RAY_ADDRESS`` or start a local one; returns the cluster's CPUs."""
    try:
        import ray
    except ImportError as error:
        raise AecoreError(
            "AECORE_BACKEND=ray needs Ray: pip install -r requirements-ray.txt (or choose the local backend)."
        ) from error
    if not ray.is_initialized():
        _POOL.clear()  # a Ray joined again (after ray.shutdown) has none of the actors of the last one
        _WARMING.clear()
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


#: a warm actor retires after this many runs: every run leaves some memory behind in TensorFlow (the local workers
#: retire on measured growth instead)
RUNS_PER_ACTOR = 20


class ActorPool:
    """Warm actors of this process, idle between runs, by the node they live on. They ask Ray for no CPU: a run's CPU
    is a placement group's bundle, held while it trains, so runs beyond the cluster's CPUs wait in Ray's queue and
    an idle actor holds nothing, yet keeps TensorFlow imported for the next run on its node."""

    def __init__(self) -> None:
        self._idle: dict[str, list[tuple[Any, int]]] = {}
        self._lock = threading.Lock()

    def take(self, node: str) -> tuple[Any, int] | None:
        """An idle actor on ``node`` and how many runs it trained, or None."""
        with self._lock:
            idle = self._idle.get(node, [])
            return idle.pop() if idle else None

    def give_back(self, node: str, actor: Any, runs: int) -> None:
        with self._lock:
            self._idle.setdefault(node, []).append((actor, runs))

    def idle_count(self) -> int:
        with self._lock:
            return sum(len(idle) for idle in self._idle.values())

    def clear(self) -> None:
        """Forget every actor: they belonged to a Ray this process has left."""
        with self._lock:
            self._idle.clear()


_POOL = ActorPool()
#: the warm-ups under way (``warm``): each answers once its actor has TensorFlow imported
_WARMING: list[Any] = []


def new_actor(node: str, threads: int, dataset: str | None) -> Any:
    """A warm-to-be actor on ``node`` that asks for no CPU (the run's placement group holds its CPU)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    actor_class = ray.remote(num_cpus=0, max_restarts=0)(TrainerActor)
    placement = NodeAffinitySchedulingStrategy(node_id=node, soft=False)
    return actor_class.options(scheduling_strategy=placement).remote(threads, dataset)


def warm(count: int, threads: int, dataset: str | None) -> None:
    """Start actors until ``count`` wait idle, on the nodes that have CPUs, as the local backend starts its workers
    at once: the first runs then find TensorFlow imported."""
    import ray

    missing = count - _POOL.idle_count()
    nodes = [node for node in ray.nodes() if node.get("Alive") and node.get("Resources", {}).get("CPU", 0) >= 1]
    places = [node["NodeID"] for node in nodes for _ in range(int(node["Resources"]["CPU"]))]
    for node in places[: max(0, missing)]:
        actor = new_actor(node, threads, dataset)
        _WARMING.append(actor.ready.remote())
        _POOL.give_back(node, actor, 0)


def wait_warm(timeout: float) -> None:
    """Wait up to ``timeout`` seconds for the actors ``warm`` started to have TensorFlow imported."""
    import ray

    if _WARMING:
        ray.wait(list(_WARMING), num_returns=len(_WARMING), timeout=timeout)


class RayWorker(CalledWorker):
    """One run's place on Ray: a CPU reserved for it (a placement group of one bundle, queued by Ray until a CPU is
    free, given back when the run ends) and a warm actor on that CPU's node, taken from the pool or started there
    (its first run pays the TensorFlow import). docs/performance.md measures the overhead per run."""

    def __init__(self, threads: int, dataset: str | None = None) -> None:
        from ray.util.placement_group import placement_group

        self._threads, self._dataset = threads, dataset
        self._group = placement_group([{"CPU": 1}])
        self._actor: Any = None
        self._node = ""
        self._runs = 0
        self._healthy = True
        self._answered = False

    def _placed_actor(self) -> Any:
        """Wait for the run's CPU (no limit: it may queue behind every other run), then an actor on its node."""
        import ray
        from ray.util.placement_group import placement_group_table

        ray.get(self._group.ready())
        self._node = placement_group_table(self._group)["bundles_to_node_id"][0]
        pooled = _POOL.take(self._node)
        if pooled is not None:
            self._actor, self._runs = pooled
        else:
            self._actor = new_actor(self._node, self._threads, self._dataset)
        return self._actor

    def _call(self, method: str, *argument: Any) -> Any:
        import ray

        actor = self._actor if self._actor is not None else self._placed_actor()
        # a new actor's first answer waits for its TensorFlow import: no limit there either
        patience = ANSWER_SECONDS if self._answered else None
        try:
            answer = ray.get(getattr(actor, method).remote(*argument), timeout=patience)
        except ray.exceptions.GetTimeoutError as error:
            self._healthy = False
            raise WorkerLost(f"no answer from the Ray actor in {patience:.0f} s") from error
        except ray.exceptions.RayError as error:
            self._healthy = False
            raise WorkerLost(f"Ray: {type(error).__name__}") from error
        self._answered = True
        return answer

    def close(self) -> None:
        """The run's CPU goes back to Ray; its actor back to the pool, warm, unless it failed or is worn."""
        import ray
        from ray.util.placement_group import remove_placement_group

        if self._actor is not None:
            if self._healthy and self._answered and self._runs + 1 < RUNS_PER_ACTOR:
                _POOL.give_back(self._node, self._actor, self._runs + 1)
            else:
                ray.kill(self._actor)
        remove_placement_group(self._group)
