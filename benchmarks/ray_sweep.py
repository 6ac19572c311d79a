"""The same 12-run sweep on the local backend and on a local Ray with the same number of slots, then on Ray with
more slots than CPUs.

The sweep: the sparse autoencoder on the embedded MNIST, ρ = 0.1 … 0.6 with 2 seeds each, ``--epochs`` epochs.
Reported: wall time of each backend from the first submit to the last run's end, the overhead per run on Ray
((Ray's wall − local's) × slots / runs: each run reserves a CPU with a placement group and trains on a warm
actor of the pool, timed like the local backend once its workers or actors have TensorFlow imported), and for
``--slots-over`` slots on a Ray of ``--slots`` CPUs how many runs trained at once at most and whether all finished
(the extra slots wait in Ray's queue).

    python -m benchmarks.ray_sweep [--slots 2] [--slots-over 4] [--epochs 2] [--json]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from aecore.jobs.manager import JobManager
from aecore.runs.store import RunStore
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig
from aecore.sweeps.plans import SweepPlan, start_sweep
from benchmarks import print_rows

RHOS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]


def run_sweep(manager: JobManager, epochs: int) -> dict:
    base = RunConfig(dataset="mnist-5k", model=ModelConfig(variant="sparse"), training=TrainingConfig(epochs=epochs))
    plan = SweepPlan(base, {"rho": RHOS}, seeds=2)
    started = time.monotonic()
    start_sweep(manager.store, manager, plan)
    most_at_once = 0
    while True:
        statuses = [job.snapshot().status for job in manager.group_jobs(plan.sweep_id)]
        most_at_once = max(most_at_once, statuses.count("running"))
        if all(status in ("finished", "stopped", "failed") for status in statuses):
            break
        time.sleep(0.1)
    return {
        "backend": manager.backend,
        "slots": manager.max_concurrent,
        "runs": len(statuses),
        "finished": statuses.count("finished"),
        "wall_seconds": time.monotonic() - started,
        "most_running_at_once": most_at_once,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--slots-over", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    local = JobManager(args.slots, RunStore(tempfile.mkdtemp()), "local", warm_dataset="mnist-5k")
    local.wait_ready()  # a server's workers are warm before its first run: time the sweep, not their start
    rows.append(run_sweep(local, args.epochs))
    local.close()
    from aecore.jobs import ray_backend

    ray_backend.connect(local_cpus=args.slots)
    for slots in (args.slots, args.slots_over):
        manager = JobManager(slots, RunStore(tempfile.mkdtemp()), "ray", warm_dataset="mnist-5k")
        manager.wait_ready()  # as for the local backend: its warm actors have TensorFlow imported
        rows.append(run_sweep(manager, args.epochs))
        manager.close()
    rows[1]["overhead_per_run_seconds"] = (rows[1]["wall_seconds"] - rows[0]["wall_seconds"]) * args.slots / 12
    print_rows(rows, args.json)


if __name__ == "__main__":
    main()
