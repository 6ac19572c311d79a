"""The job interface on both backends: local worker processes and a local Ray (2 CPUs, started here).

Each backend trains real runs on the embedded digits; the server side only mirrors them. The Ray half is
skipped only where Ray is not installed (CI installs it from requirements-ray.txt).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import time

import pytest

from aecore.errors import AecoreError
from aecore.jobs.manager import JobManager, backend_from_environment, open_backend
from aecore.runs.store import RunStore
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig

NO_RAY = importlib.util.find_spec("ray") is None
BACKENDS = [
    "local",
    pytest.param(
        "ray", marks=pytest.mark.skipif(NO_RAY, reason="ray is not installed: pip install -r requirements-ray.txt")
    ),
]


def config(epochs: int = 2, **training) -> RunConfig:
    return RunConfig(
        dataset="digits",
        model=ModelConfig(variant="undercomplete", hidden=(16,), latent_dim=4),
        training=TrainingConfig(epochs=epochs, batch_size=64, **training),
    )


def wait_for(manager: JobManager, job, condition, timeout: float = 180.0):
    deadline = time.monotonic() + timeout
    while True:
        snapshot = manager.snapshot(job.job_id)
        if condition(snapshot):
            return snapshot
        assert time.monotonic() < deadline, f"timed out; the run is {snapshot.status}: {snapshot.message}"
        time.sleep(0.05)


def ended(manager: JobManager, job):
    return wait_for(manager, job, lambda snapshot: snapshot.ended)


@pytest.fixture(scope="module", params=BACKENDS)
def manager(request, tmp_path_factory):
    """One slot on the backend, over a store of its own; a local Ray gets 2 CPUs and is shut down after."""
    store = RunStore(tmp_path_factory.mktemp(f"{request.param}-store"))
    if request.param == "ray":
        from aecore.jobs import ray_backend

        ray_backend.connect(local_cpus=2)
    manager = JobManager(
        max_concurrent=1, store=store, backend=request.param, warm_dataset="digits", layouts=(("pca", 2),)
    )
    yield manager
    manager.close()
    if request.param == "ray":
        import ray

        ray.shutdown()


def test_a_run_trains_in_a_worker_and_its_snapshots_grow(manager) -> None:
    job = manager.submit(config(epochs=3))
    first = wait_for(manager, job, lambda snapshot: snapshot.batch_steps.size > 0 or snapshot.ended)
    final = ended(manager, job)
    assert final.status == "finished", final.message
    assert len(final.batch_steps) == 3 * final.batches_per_epoch > len(first.batch_steps) > 0
    assert [record["epoch"] for record in final.epoch_history] == [1.0, 2.0, 3.0]
    assert final.preview is not None and final.preview.epoch == 3.0
    assert final.test_metrics["test_psnr"] > 0
    assert final.elapsed_seconds > 0 and final.samples_per_second > 0
    assert job.model is None, "the model lives in the worker, not in the server"
    record = manager.store.record(job.run_id)  # the worker saved the run, and its lock is free now
    assert record.status == "finished" and record.epochs_done == 3
    assert not manager.store.folder(job.run_id).is_locked()
    assert manager.backend in ("local", "ray")


def test_the_worker_stores_a_finished_runs_test_codes_and_their_layout_follows(manager) -> None:
    from aecore.explore import layouts

    job = manager.submit(config(epochs=1))
    assert ended(manager, job).status == "finished"
    folder = manager.store.folder(job.run_id)
    deadline = time.monotonic() + 60
    while layouts.read_layout(folder, "pca", 2, 359) is None:
        assert time.monotonic() < deadline, "no PCA layout within 60 s"
        time.sleep(0.1)
    assert layouts.read_codes(folder).shape == (359, 4)


def test_stop_ends_a_running_run_and_keeps_what_it_learned(manager) -> None:
    job = manager.submit(config(epochs=500))
    wait_for(manager, job, lambda snapshot: snapshot.batch_steps.size > 0)
    manager.stop(job.job_id)
    assert manager.stop_requested(job.job_id)
    final = ended(
        manager,
        job,
    )
    assert final.status == "stopped" and "model trained so far is kept" in final.message
    assert manager.store.record(job.run_id).status == "stopped"
    assert manager.store.folder(job.run_id).file("model.keras").is_file()


def test_pause_step_slow_motion_and_live_changes_reach_the_worker(manager) -> None:
    job = manager.submit(config(epochs=500))
    wait_for(manager, job, lambda snapshot: snapshot.batch_steps.size > 0)
    manager.control(job.job_id, "pause")
    paused = wait_for(manager, job, lambda snapshot: snapshot.paused)
    time.sleep(0.5)  # what was under way has been mirrored: nothing trains any more
    held = manager.snapshot(job.job_id).batch_steps.size
    time.sleep(0.5)
    assert manager.snapshot(job.job_id).batch_steps.size == held and paused.status == "running"
    manager.control(job.job_id, "step")
    stepped = wait_for(manager, job, lambda snapshot: snapshot.batch_steps.size > held)
    assert stepped.batch_steps.size == held + 1, "one Step, one batch"
    manager.control(job.job_id, "set_pace", 5.0)
    manager.control(job.job_id, "resume")
    slow = wait_for(manager, job, lambda snapshot: not snapshot.paused and snapshot.pace == 5.0)
    time.sleep(1.0)
    assert 2 <= manager.snapshot(job.job_id).batch_steps.size - slow.batch_steps.size <= 8, "about 5 a second"
    with pytest.raises(AecoreError, match="Unknown command"):
        manager.control(job.job_id, "explode")
    manager.control(job.job_id, "change_setting", "alpha", 0.25)  # a live change, recorded by the worker
    changed = wait_for(manager, job, lambda snapshot: bool(snapshot.live_changes))
    assert [(c.name, c.old, c.new) for c in changed.live_changes] == [("alpha", 0.0, 0.25)]
    with pytest.raises(AecoreError, match="cannot change while this run trains"):
        manager.control(job.job_id, "change_setting", "latent_dim", 2.0)
    manager.stop(job.job_id)
    assert ended(manager, job).status == "stopped"


def test_the_queue_gives_positions_and_a_stopped_waiting_run_leaves_it(manager) -> None:
    jobs = [manager.submit(config(epochs=500)), manager.submit(config(epochs=2)), manager.submit(config(epochs=2))]
    wait_for(manager, jobs[0], lambda snapshot: snapshot.status == "running")
    assert [manager.snapshot(job.job_id).queue_position for job in jobs[1:]] == [1, 2]
    manager.stop(jobs[1].job_id)  # taken out of the queue at once, saved as stopped
    assert manager.snapshot(jobs[1].job_id).status == "stopped"
    assert manager.store.record(jobs[1].run_id).status == "stopped"
    assert manager.snapshot(jobs[2].job_id).queue_position == 1
    manager.stop(jobs[0].job_id)
    assert ended(manager, jobs[2]).status == "finished"
    estimate = manager.submit(config(epochs=500)), manager.submit(config(epochs=2))
    wait_for(manager, estimate[0], lambda snapshot: snapshot.batch_steps.size > 0)
    waiting = manager.snapshot(estimate[1].job_id)
    assert waiting.queue_position == 1 and waiting.estimated_wait_seconds > 0  # from the runs that finished
    for job in estimate:
        manager.stop(job.job_id)
        ended(manager, job)


def test_a_failed_run_frees_its_slot_for_the_next(manager) -> None:
    failing = manager.submit(config(epochs=3, learning_rate=1e12))  # the loss blows up in the first epoch
    after = manager.submit(config(epochs=1))
    failed = ended(manager, failing)
    assert failed.status == "failed" and "Lower the learning rate" in failed.message
    assert manager.store.record(failing.run_id).status == "failed"
    assert ended(manager, after).status == "finished"


def test_a_resumed_run_continues_in_a_worker(manager) -> None:
    job = manager.submit(config(epochs=1))
    assert ended(manager, job).status == "finished"
    resumed = manager.resume(job.run_id, 2)
    final = ended(manager, resumed)
    assert final.status == "finished" and len(final.epoch_history) == 3
    assert manager.store.record(job.run_id).epochs_done == 3


def test_a_released_session_stops_its_runs(manager) -> None:
    from pages._ui.session import RunRegistry

    registry = RunRegistry()
    running, waiting = manager.submit(config(epochs=500)), manager.submit(config(epochs=500))
    for job in (running, waiting):
        registry.add(job.run_id, job.job_id, "session-a", manager)
    wait_for(manager, running, lambda snapshot: snapshot.status == "running")
    registry.release_session("session-a", grace=0.1)
    assert ended(manager, running).status == "stopped"
    assert ended(manager, waiting).status == "stopped"


def test_backend_choice_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("AECORE_BACKEND", raising=False)
    assert backend_from_environment() == "local"
    monkeypatch.setenv("AECORE_BACKEND", "Ray")
    assert backend_from_environment() == "ray"
    monkeypatch.setenv("AECORE_BACKEND", "cluster")
    with pytest.raises(AecoreError, match="'local' or 'ray'"):
        backend_from_environment()
    monkeypatch.setenv("AECORE_BACKEND", "local")
    monkeypatch.setenv("AECORE_MAX_JOBS", "two")
    with pytest.raises(AecoreError, match="AECORE_MAX_JOBS"):
        open_backend(store=RunStore(os.environ["AECORE_RUNS_DIR"]))


def test_a_worker_that_dies_fails_its_run_and_the_slot_goes_on(tmp_path) -> None:
    """A worker killed mid-run (out of memory, say): its run is marked failed with why, and a new worker takes
    the next run."""
    manager = JobManager(max_concurrent=1, store=RunStore(tmp_path), backend="local", warm_dataset="digits")
    try:
        job = manager.submit(config(epochs=500))
        wait_for(manager, job, lambda snapshot: snapshot.batch_steps.size > 0)
        os.kill(manager._slots[0]._worker._process.pid, signal.SIGKILL)
        final = ended(manager, job)
        assert final.status == "failed" and "ended unexpectedly" in final.message
        assert manager.store.record(job.run_id).status == "failed"
        assert ended(manager, manager.submit(config(epochs=1))).status == "finished"
    finally:
        manager.close()


def test_a_worker_that_grew_is_replaced_and_the_next_run_trains(tmp_path, monkeypatch) -> None:
    """Every run leaves memory behind in TensorFlow; a worker that grew past the limit retires after its run."""
    from aecore.jobs import worker

    monkeypatch.setattr(worker, "MEMORY_GROWTH_BYTES", -1)  # any worker has grown after its run
    manager = JobManager(max_concurrent=1, store=RunStore(tmp_path), backend="local", warm_dataset="digits")
    try:
        first_pid = kept_worker_pid(manager)
        assert ended(manager, manager.submit(config(epochs=1))).status == "finished"
        deadline = time.monotonic() + 10  # the slot replaces it just after the run's end is published
        while kept_worker_pid(manager) in (first_pid, None) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kept_worker_pid(manager) not in (first_pid, None), "the grown worker was kept"
        assert ended(manager, manager.submit(config(epochs=1))).status == "finished"
    finally:
        manager.close()  # at once: the slot may be replacing the worker of the second run as it closes


def kept_worker_pid(manager: JobManager) -> int | None:
    worker = manager._slots[0]._worker
    return None if worker is None else worker._process.pid


def test_a_closed_slot_ends_the_worker_its_run_hands_back_and_starts_none(monkeypatch) -> None:
    """The manager's close can come while a run's thread hands its worker back (CI saw the socket closed twice)."""
    from aecore.jobs import worker as worker_module
    from aecore.jobs.slots import Slot

    monkeypatch.setattr(worker_module, "MEMORY_GROWTH_BYTES", -1)  # the worker would be replaced after its run
    started: list = []

    def new_worker():
        started.append(worker_module.WorkerProcess(1))
        return started[-1]

    slot = Slot(new_worker, keep=True)
    slot.close()
    slot._hand_back(started[0])  # the run's thread, just after the close
    slot.close()
    assert len(started) == 1, "a closed slot started a worker"
    assert not started[0].alive


def test_a_slot_takes_a_run_only_once_its_worker_has_tensorflow_loaded(tmp_path, monkeypatch) -> None:
    """A run submitted while workers still load TensorFlow (a server just started, or a grown worker's
    replacement) goes to a worker that is ready, or waits for the first to be: it never sits behind an import
    in one slot while another slot is warm."""
    from aecore.jobs import worker

    monkeypatch.setattr(worker, "MEMORY_GROWTH_BYTES", -1)  # every worker retires after its run
    ready_when_started = []
    start = worker.WorkerProcess.start

    def recording_start(self, spec):
        ready_when_started.append(self._ready)
        return start(self, spec)

    monkeypatch.setattr(worker.WorkerProcess, "start", recording_start)
    manager = JobManager(max_concurrent=2, store=RunStore(tmp_path), backend="local", warm_dataset="digits")
    try:
        assert manager.loading_count == 2, "both workers are still importing TensorFlow"
        for _ in range(2):  # the first right away, the second just after its slot's worker retired
            assert ended(manager, manager.submit(config(epochs=1))).status == "finished"
        # a run reads as finished a moment before its slot retires the worker and starts the replacement
        deadline = time.monotonic() + 120
        while manager.loading_count and time.monotonic() < deadline:
            manager.wait_ready()
            time.sleep(0.2)
        assert manager.loading_count == 0
    finally:
        manager.close()
    assert ready_when_started == [True, True]


def test_ray_runs_take_a_warm_actor_and_wait_for_a_cpu_beyond_the_clusters(manager) -> None:
    """Each Ray run holds one CPU through a placement group while the actors stay warm between runs: a third run
    on a 2-CPU Ray waits until one ends, then trains on the actor the ended run gave back."""
    if manager.backend != "ray":
        pytest.skip("the Ray backend's own pool")
    import ray

    from aecore.jobs.ray_backend import RayWorker

    first, second = RayWorker(1, "digits"), RayWorker(1, "digits")
    assert first._call("ready") and second._call("ready")
    third = RayWorker(1, "digits")
    waiting, _ = ray.wait([third._group.ready()], timeout=2)
    assert not waiting, "with both CPUs held, the third run waits in Ray's queue"
    warm_actor = first._actor
    first.close()
    assert third._call("ready") and third._actor is warm_actor, "it trains on the actor the first run gave back"
    second.close()
    third.close()
