"""How long the Runs page takes to open over a store of 1,000 runs.

Trains one small run, copies its folder into ``--runs`` runs (each with its own id, name, time and metrics),
rebuilds the index, then times ``RunStore.list()`` and a whole run of the Runs page script (Streamlit's AppTest:
the server-side work of opening the page, without the browser's drawing), each the median of ``--repeat``.

    python -m benchmarks.runs_page [--runs 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fill_store(root: Path, count: int) -> None:
    from aecore.jobs.run_jobs import new_job
    from aecore.runs.folder import RunFolder, new_run_id
    from aecore.runs.store import RunStore
    from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig

    store = RunStore(root)
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="sparse", latent_dim=16),
        training=TrainingConfig(epochs=1, batch_size=64),
    )
    job = new_job(config, store)
    job.run()
    source = store.folder(job.run_id)
    for index in range(count - 1):
        run_id = f"{new_run_id()}-{index:04d}"
        shutil.copytree(source.path, root / run_id, ignore=shutil.ignore_patterns(".lock"))
        copy = RunFolder(root / run_id)
        copy.update_meta(id=run_id, name=f"sparse run {index}", created=time.time() - index * 60)
        metrics = copy.metrics()
        copy.write_json("metrics.json", {**metrics, "test_mse": metrics["test_mse"] * (1 + index / count)})
    store.rebuild_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "runs"
        os.environ["AECORE_RUNS_DIR"] = str(root)
        fill_store(root, args.runs)
        from streamlit.testing.v1 import AppTest

        from aecore.runs.store import RunStore

        store = RunStore(root)
        listing = []
        for _ in range(args.repeat * 2):
            started = time.perf_counter()
            records = store.list()
            listing.append(time.perf_counter() - started)
        page = []
        for _ in range(args.repeat):
            test = AppTest.from_file(str(ROOT / "pages" / "runs.py"), default_timeout=60)
            started = time.perf_counter()
            test.run()
            page.append(time.perf_counter() - started)
            assert not test.exception, test.exception
            assert f"{args.runs} of {args.runs} runs" in test.caption[1].value
    print(
        json.dumps(
            {
                "runs": len(records),
                "store_list_seconds": statistics.median(listing),
                "page_run_seconds_median": statistics.median(page),
                "page_run_seconds_first": page[0],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
