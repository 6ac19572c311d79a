"""What the exact contractive penalty costs: seconds per epoch of the contractive variant against the same
network with no penalty (undercomplete with a sigmoid code would differ only in that term).

The penalty is the Jacobian of the code with respect to the image: a closed form with no hidden layers, the
chained product of every layer's Jacobian with hidden layers. Each row trains mnist-5k (3,600 images, batch 32,
XLA on) for a few epochs; the first epoch holds the compilation and is left out, the figure is the median.

    python -m benchmarks.contractive_cost [--epochs 4]
"""

from __future__ import annotations

import argparse
import statistics

from aecore.cli.tables import text_table
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig
from aecore.training.engine import TrainingJob

ENCODERS = ((), (128,), (256, 128))
CODE = 64


def seconds_per_epoch(variant: str, hidden: tuple[int, ...], epochs: int) -> float:
    config = RunConfig(
        model=ModelConfig(variant=variant, hidden=hidden, latent_dim=CODE, activation="relu"),
        training=TrainingConfig(epochs=epochs),
    )
    job = TrainingJob(config)
    job.run()
    return statistics.median(record["seconds"] for record in job.snapshot().epoch_history[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    rows = []
    for hidden in ENCODERS:
        plain = seconds_per_epoch("undercomplete", hidden, args.epochs)
        contractive = seconds_per_epoch("contractive", hidden, args.epochs)
        rows.append(
            {
                "encoder": "784-" + "-".join(str(width) for width in (*hidden, CODE)),
                "penalty": "closed form" if not hidden else "chained Jacobian",
                "no penalty s/epoch": f"{plain:.2f}",
                "contractive s/epoch": f"{contractive:.2f}",
                "cost": f"{contractive / plain:.1f}×",
            }
        )
    print(text_table(rows, tuple(rows[0])))


if __name__ == "__main__":
    main()
