"""Every preset trained for its default epochs, against the model that outputs the average training image.

The README's preset table comes from here; ``tests/test_presets.py`` holds each preset to a gain of 1.5 dB.

    python -m benchmarks.presets [--json]
"""

from __future__ import annotations

import argparse
import json
import time

from aecore.data import list_datasets, load_dataset
from aecore.evaluation import mean_image_psnr
from aecore.presets import PRESETS
from aecore.tables import text_table
from aecore.training import TrainingJob


def measure(preset_id: str) -> dict[str, object]:
    preset = PRESETS[preset_id]
    started = time.perf_counter()
    job = TrainingJob(preset.config)
    job.run()
    snapshot = job.snapshot()
    baseline = mean_image_psnr(load_dataset(preset.config.dataset))
    psnr = snapshot.test_metrics["test_psnr"]
    return {
        "id": preset_id,
        "dataset": preset.config.dataset,
        "epochs": preset.config.training.epochs,
        "test PSNR (dB)": round(psnr, 2),
        "mean image (dB)": round(baseline, 2),
        "gain (dB)": round(psnr - baseline, 2),
        "seconds": round(time.perf_counter() - started),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    installed = {info.name for info in list_datasets() if info.available}
    rows = [measure(preset_id) for preset_id, preset in PRESETS.items() if preset.config.dataset in installed]
    print(json.dumps(rows) if args.json else text_table(rows, tuple(rows[0])))


if __name__ == "__main__":
    main()
