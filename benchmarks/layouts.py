"""What projecting a run's codes at its end costs, and what it buys: on the local backend (2 slots), one run of
``deep`` on Fashion-MNIST finishes and its slot lays out all 10,000 test codes (``aecore.explore.layouts``).

    python -m benchmarks.layouts [--epochs 1] [--json]

Measured:
- ``codes_s``: from the run's end to its codes stored (the slot's only work before a queued run could take it);
- each layout's seconds and the whole plan's, in the child process, at low priority;
- ``preempt_first_point_s``: a run submitted while t-SNE runs and the other slot trains, from submit to its first
  loss point, against the same on a server with a free slot (``first_point_idle_s``): what the layouts add to the
  first-loss-point path;
- the Latent space page (AppTest, TensorFlow and the dataset loaded as a server has them) opening the finished
  run the first time (its model built from the checkpoint, PCA), then PCA / t-SNE / UMAP from its folder, against
  t-SNE computed on demand (its stored file removed).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait(condition, timeout: float = 900.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark waited too long")
        time.sleep(interval)
    return value


def end_of_run(store_root: Path, epochs: int) -> tuple[dict[str, float], str]:
    from aecore.explore import layouts
    from aecore.jobs.layout_process import LayoutProcess
    from aecore.jobs.manager import JobManager
    from aecore.runs.store import RunStore
    from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig

    def config(epochs: int) -> RunConfig:
        return RunConfig(
            dataset="fashion-mnist", model=ModelConfig(variant="deep"), training=TrainingConfig(epochs=epochs)
        )

    store = RunStore(store_root)
    manager = JobManager(2, store, "local", "fashion-mnist", layouts=layouts.LAYOUT_PLAN)
    manager.wait_ready(300)
    result: dict[str, float] = {}
    try:

        def first_point_seconds() -> float:
            started = time.monotonic()
            idle = manager.submit(config(1))
            wait(lambda: manager.snapshot(idle.job_id).batch_steps.size > 0)
            seconds = time.monotonic() - started
            manager.stop(idle.job_id)
            wait(lambda: manager.snapshot(idle.job_id).ended)
            return seconds

        first_point_seconds()  # the first run in a worker also builds its dataset pipeline: the second counts
        result["first_point_idle_s"] = first_point_seconds()

        job = manager.submit(config(epochs))
        wait(lambda: manager.snapshot(job.job_id).ended)
        ended = time.monotonic()
        folder = store.folder(job.run_id)
        wait(lambda: layouts.read_codes(folder) is not None, interval=0.01)
        result["codes_s"] = time.monotonic() - ended
        wait(lambda: "t-SNE 2-D" in (manager.snapshot(job.job_id).laying_out or (0, ""))[1])
        result["pca_done_at_s"] = time.monotonic() - ended
        blocker = manager.submit(config(50))  # the other slot busy: the next run needs the one laying out
        wait(lambda: manager.snapshot(blocker.job_id).batch_steps.size > 0)
        asked = time.monotonic()
        preempting = manager.submit(config(1))
        wait(lambda: manager.snapshot(preempting.job_id).batch_steps.size > 0)
        result["preempt_first_point_s"] = time.monotonic() - asked
        result["layouts_after_preemption"] = len(list(folder.file(layouts.PROJECTIONS_FOLDER).glob("*.npz")))
        for other in (blocker, preempting):
            manager.stop(other.job_id)
            wait(lambda other=other: manager.snapshot(other.job_id).ended)
        for stored in folder.file(layouts.PROJECTIONS_FOLDER).glob("*.npz"):
            stored.unlink()
        # all six layouts, with nothing else running: the run's own plan again, from a fresh process
        process_started = time.monotonic()
        process = LayoutProcess(folder, layouts.LAYOUT_PLAN)
        seen: dict[str, float] = {}
        while process.running:
            for method, dims in layouts.LAYOUT_PLAN:
                name = layouts.layout_name(method, dims)
                if name not in seen and layouts.read_layout(folder, method, dims, 10_000) is not None:
                    seen[name] = time.monotonic() - process_started
            time.sleep(0.05)
        result.update({f"plan_{name}_done_at_s": seconds for name, seconds in seen.items()})
        result["plan_total_s"] = time.monotonic() - process_started
    finally:
        manager.close()
    return {name: round(value, 2) for name, value in result.items()}, job.run_id


def latent_open(store_root: Path, run_id: str) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    from aecore.explore import layouts
    from aecore.runs.store import RunStore
    from pages._ui.explore import PICKED_KEY, result_slot

    os.environ["AECORE_RUNS_DIR"] = str(store_root)
    import aecore.training.engine  # noqa: F401  (TensorFlow: a server's warm-up imports it at its start)
    from aecore.data.registry import load_dataset

    load_dataset("fashion-mnist")  # a dataset is loaded once per server process
    result: dict[str, float] = {}
    page = AppTest.from_file(str(ROOT / "pages" / "latent.py"), default_timeout=900)
    page.session_state[PICKED_KEY] = run_id
    started = time.perf_counter()
    page.run()  # the run's model built from its checkpoint, its codes read from its folder, PCA drawn
    result["open_first_pca_s"] = round(time.perf_counter() - started, 2)
    for method in ("pca", "tsne", "umap"):
        result_slot.clear()
        page.session_state["latent_method"] = method
        started = time.perf_counter()
        page.run()
        result[f"open_{method}_stored_s"] = round(time.perf_counter() - started, 2)
    folder = RunStore(store_root).folder(run_id)
    folder.file(f"{layouts.PROJECTIONS_FOLDER}/tsne-2d.npz").unlink()
    result_slot.clear()
    page.session_state["latent_method"] = "tsne"
    started = time.perf_counter()
    page.run()
    result["open_tsne_on_demand_s"] = round(time.perf_counter() - started, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "runs"
        result, run_id = end_of_run(root, args.epochs)
        result.update(latent_open(root, run_id))
    print(json.dumps(result, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
