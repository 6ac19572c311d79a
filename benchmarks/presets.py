"""Every preset trained for its default epochs, against the model that outputs the average training image.

The preset table of docs/quality.md comes from here; ``tests/unit/test_presets.py`` holds each preset to a gain of
1.5 dB.

    python -m benchmarks.presets [--json]
    python -m benchmarks.presets --only seed-aae --seeds 0,1,2,3,4,5,6,7,8,9 [--learning-rate 3e-3]   # how robust
"""

from __future__ import annotations

import argparse
import json
import time

from aecore.cli.tables import text_table
from aecore.data.registry import list_datasets, load_dataset
from aecore.settings.presets import PRESETS
from aecore.training.engine import TrainingJob
from aecore.training.evaluation import mean_image_psnr


def measure(preset_id: str, seed: int | None, learning_rate: float | None) -> dict[str, object]:
    """One preset trained as it is, or with another seed or learning rate."""
    changes = {"seed": seed, "learning_rate": learning_rate}
    config = PRESETS[preset_id].config.with_changes(
        training={name: value for name, value in changes.items() if value is not None}
    )
    started = time.perf_counter()
    job = TrainingJob(config)
    job.run()
    snapshot = job.snapshot()
    baseline = mean_image_psnr(load_dataset(config.dataset))
    psnr = snapshot.test_metrics["test_psnr"]
    return {
        "id": preset_id,
        "dataset": config.dataset,
        "epochs": config.training.epochs,
        "seed": job.config.training.seed,
        "learning rate": job.config.training.learning_rate,
        "test PSNR (dB)": round(psnr, 2),
        "mean image (dB)": round(baseline, 2),
        "gain (dB)": round(psnr - baseline, 2),
        "seconds": round(time.perf_counter() - started),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated preset ids (default: every preset whose data is here)")
    parser.add_argument("--seeds", help="comma-separated seeds, each trained in turn (default: the preset's own)")
    parser.add_argument("--learning-rate", type=float, help="instead of the preset's")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    installed = {info.name for info in list_datasets() if info.available}
    chosen = (
        args.only.split(",")
        if args.only
        else [key for key, value in PRESETS.items() if value.config.dataset in installed]
    )
    seeds = [int(seed) for seed in args.seeds.split(",")] if args.seeds else [None]
    rows = [measure(preset_id, seed, args.learning_rate) for preset_id in chosen for seed in seeds]
    print(json.dumps(rows) if args.json else text_table(rows, tuple(rows[0])))


if __name__ == "__main__":
    main()
