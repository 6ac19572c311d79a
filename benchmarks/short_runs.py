"""A newcomer's first runs: every variant at its defaults for 3 epochs, and the sparse variant's code at its defaults.

Every variant must reach 13.0 dB of test PSNR in 3 epochs on the embedded data (the mean image gives about 11.9);
the sparse variant's code must be sparse in its default epochs at its default ρ and at ρ = 0.05 (the three figures of
the Sparsity page). ``tests/unit/test_sparsity.py`` trains the variants that were short of it and the sparse code;
this trains all of them over several seeds. The figures are in docs/quality.md.

    python -m benchmarks.short_runs [--seeds 0,1,2] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from aecore.cli.tables import text_table
from aecore.data.registry import load_dataset
from aecore.explore import latent
from aecore.settings.config import RunConfig
from aecore.settings.validation import validate
from aecore.settings.variants import VARIANTS
from aecore.training.engine import TrainingJob
from aecore.training.evaluation import mean_image_psnr

SHORT_EPOCHS = 3
SHORT_RUN_PSNR = 13.0


def trained(changes: dict[str, dict[str, object]]) -> tuple[TrainingJob, RunConfig, float]:
    config = validate(RunConfig().with_changes(**changes))
    started = time.perf_counter()
    job = TrainingJob(config)
    job.run()
    return job, config, time.perf_counter() - started


def short_run(variant: str, seed: int) -> dict[str, object]:
    job, config, seconds = trained({"model": {"variant": variant}, "training": {"epochs": SHORT_EPOCHS, "seed": seed}})
    psnr = job.snapshot().test_metrics["test_psnr"]
    return {
        "variant": variant,
        "seed": seed,
        "test_psnr": round(psnr, 2),
        "mean_image_psnr": round(mean_image_psnr(load_dataset(config.dataset)), 2),
        "passes": psnr >= SHORT_RUN_PSNR,
        "seconds": round(seconds, 1),
    }


def sparse_code(rho: float | None, seed: int) -> dict[str, object]:
    regularisation = {} if rho is None else {"rho": rho}
    job, config, seconds = trained({"model": {"variant": "sparse"}, "regularisation": regularisation,
                                    "training": {"seed": seed}})  # fmt: skip
    dataset = load_dataset(config.dataset)
    figures = latent.sparsity(np.asarray(job.model.encode(dataset.x_test)), config.regularisation.rho)
    return {
        "rho": config.regularisation.rho,
        "seed": seed,
        "mean_rho_hat": round(figures.mean_rho_hat, 4),
        "units_near_rho": f"{figures.units_near_rho}/{figures.units}",
        "on_fraction": round(figures.on_fraction, 4),
        "gain_db": round(job.snapshot().test_metrics["test_psnr"] - mean_image_psnr(dataset), 2),
        "sparse": figures.is_sparse,
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    runs = [short_run(variant, seed) for seed in seeds for variant in VARIANTS]
    codes = [sparse_code(rho, seed) for seed in seeds for rho in (None, 0.05)]
    if args.json:
        print(json.dumps({"short_runs": runs, "sparse_codes": codes}))
        return
    print(text_table(runs, list(runs[0])))
    print()
    print(text_table(codes, list(codes[0])))


if __name__ == "__main__":
    main()
