"""A VAE's log-likelihood beside its bound: the test ELBO and the importance-sampled −log p(x) (Burda et al.) for
the decoders that are densities on grey levels (continuous Bernoulli and Gaussian), on the embedded MNIST subset and
Fashion-MNIST. The figures are in docs/quality.md.

    python -m benchmarks.likelihood [--datasets mnist-5k,fashion-mnist] [--epochs 10] [--samples 500] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

from aecore.cli.tables import text_table
from aecore.data.registry import load_dataset
from aecore.settings.config import RunConfig
from aecore.settings.validation import validate
from aecore.training.engine import TrainingJob
from aecore.training.evaluation import test_nll

LOSSES = ("cb", "mse")


def measured(dataset: str, loss: str, epochs: int, samples: int, images: int) -> dict[str, object]:
    config = validate(
        RunConfig(dataset=dataset).with_changes(model={"variant": "vae", "loss": loss}, training={"epochs": epochs})
    )
    job = TrainingJob(config)
    job.run()
    snapshot = job.snapshot()
    started = time.perf_counter()
    nll = test_nll(job.model, load_dataset(dataset).x_test[:images], samples)
    return {
        "dataset": dataset,
        "likelihood": loss,
        "epochs": epochs,
        "test_elbo": round(snapshot.test_metrics["test_elbo"], 2),
        "test_nll": round(nll, 2),
        "gap_nats": round(-snapshot.test_metrics["test_elbo"] - nll, 2),
        "nll_seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="mnist-5k,fashion-mnist")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--images", type=int, default=1000, help="test images the NLL is estimated on")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [
        measured(dataset, loss, args.epochs, args.samples, args.images)
        for dataset in args.datasets.split(",")
        for loss in LOSSES
    ]
    print(json.dumps(rows) if args.json else text_table(rows, tuple(rows[0])))


if __name__ == "__main__":
    main()
