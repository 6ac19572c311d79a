"""Training throughput of every variant: aecore's engine against plain ``model.fit`` of the same model class.

Each variant trains with its default config (``--epochs`` epochs; batch ``--batch``, by default the variants' own,
which is what a person pressing Train gets) three times in one process:

* engine: a ``TrainingJob`` with no recorder; samples/s = batches per epoch x batch size / the median of the
  epoch records' ``seconds`` (the engine's own clock: steps and the wait for their batch, per-batch recording
  included; previews and validation left out);
* polled: the same run while another thread asks ``job.changes_since`` every 0.2 s, as a worker's server does;
  the difference is the "poll overhead". "unclocked %" is the wall time of the engine's training passes beyond
  its own clock: the previews made inside an epoch (every 5 s) and a few small bits (metric reset, the iterator's
  end); the end-of-epoch validation and preview lie outside both;
* fit: ``build_model`` of the same config, then ``model.fit(x_train)``: Keras drives the model's own
  ``train_step``, which takes the clean batch and corrupts it itself, so no target is passed and the denoising
  model sees the same noise as in the engine. By default fit compiles the step with the variant's XLA choice, as
  the engine does (``--fit-xla keras``: Keras' own default, off on a CPU). Differences left in: fit shuffles its
  own way and keeps the last, smaller batch (its samples/s counts every training image); the engine drops it.

The first epoch holds the tracing and is left out of every median. A variant fit cannot train gets
``"fit": null`` and the reason. With ``--rounds R`` the three runs are made R times in turn and every figure is
the median over the rounds (each round's own figures are under ``"rounds"``): this machine's speed drifts by tens
of percent over minutes, and runs made back to back compare under the same conditions.

    python -m benchmarks.engine_variants [--epochs 3] [--rounds 1] [--batch 32] [--variants vae,aae]
        [--dataset fashion-mnist] [--device cpu] [--fit-xla engine|keras] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from typing import Any

import keras
import numpy as np

from aecore.data.dataset import Dataset
from aecore.data.registry import load_dataset
from aecore.models.build import build_model, seeded
from aecore.runs.snapshots import FINISHED
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig
from aecore.settings.validation import validate
from aecore.settings.variants import VARIANTS
from aecore.training.devices import resolve_device
from aecore.training.engine import TrainingJob
from aecore.training.live_state import START

#: how often the polling thread asks for a snapshot (the dashboard's live view polls about this often)
POLL_SECONDS = 0.2


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs: dict | None = None) -> None:
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self.started)


class Poller(threading.Thread):
    """Asks the job what is new every ``POLL_SECONDS`` until stopped, as a worker answering its server does."""

    def __init__(self, job: TrainingJob) -> None:
        super().__init__(daemon=True)
        self.job = job
        self.stopped = threading.Event()
        self.polls = 0

    def run(self) -> None:
        cursor = START
        while not self.stopped.wait(POLL_SECONDS):
            cursor, _ = self.job.changes_since(cursor)
            self.polls += 1


def steady(seconds: list[float]) -> float:
    """The median epoch after the first (which holds the tracing); the only one when there is one."""
    return statistics.median(seconds[1:]) if len(seconds) > 1 else seconds[0]


def engine_run(config: RunConfig, polled: bool) -> dict[str, Any]:
    """One engine run: its recorded epoch seconds, the wall time of its training passes, and the polls made."""
    job = TrainingJob(config)
    pass_seconds: list[float] = []
    train_epoch = job._train_epoch

    def timed_epoch(*args: Any) -> tuple[bool, str]:  # wall time of the pass, previews made inside it included
        started = time.perf_counter()
        try:
            return train_epoch(*args)
        finally:
            pass_seconds.append(time.perf_counter() - started)

    job._train_epoch = timed_epoch
    poller = Poller(job) if polled else None
    if poller is not None:
        poller.start()
    try:
        job.run()
    finally:
        if poller is not None:
            poller.stopped.set()
            poller.join()
    snapshot = job.snapshot()
    if snapshot.status != FINISHED:
        raise RuntimeError(f"the engine's run ended {snapshot.status}: {snapshot.message}")
    seconds = [record["seconds"] for record in snapshot.epoch_history]
    samples = snapshot.batches_per_epoch * config.training.batch_size
    return {
        "samples_per_second": samples / steady(seconds),
        "epoch_seconds": seconds,
        "pass_seconds": pass_seconds,
        "polls": poller.polls if poller is not None else 0,
    }


def fit_run(config: RunConfig, dataset: Dataset, fit_xla: str) -> dict[str, Any]:
    """``model.fit`` of the model ``build_model`` makes for the config, on the engine's device."""
    placement = resolve_device(config.training.device)
    training = config.training
    with seeded(training.seed), placement.scope():
        model = build_model(config, dataset.image_shape)
        # same optimiser (the AAE's other two are the model's own attributes); only the step's compilation is set
        model.compile(optimizer=model.optimizer, jit_compile=training.xla if fit_xla == "engine" else "auto")
    images = np.asarray(dataset.x_train)
    timer = EpochTimer()
    with placement.scope():
        model.fit(
            images, batch_size=training.batch_size, epochs=training.epochs, shuffle=True, verbose=0, callbacks=[timer]
        )
    return {
        "samples_per_second": len(images) / steady(timer.seconds),
        "epoch_seconds": timer.seconds,
        "xla": bool(model.jit_compile),
    }


def measure_round(config: RunConfig, fit_xla: str, dataset: Dataset) -> dict[str, Any]:
    """The three runs back to back, so a ratio compares runs made under the same conditions."""
    quiet = engine_run(config, polled=False)
    polled = engine_run(config, polled=True)
    measured: dict[str, Any] = {
        "engine": quiet["samples_per_second"],
        "engine_polled": polled["samples_per_second"],
        "poll_overhead_pct": 100.0 * (1.0 - polled["samples_per_second"] / quiet["samples_per_second"]),
        "polls": polled["polls"],
        "unclocked_pct": 100.0 * (steady(quiet["pass_seconds"]) / steady(quiet["epoch_seconds"]) - 1.0),
        "engine_epoch_seconds": quiet["epoch_seconds"],
        "engine_pass_seconds": quiet["pass_seconds"],
        "polled_epoch_seconds": polled["epoch_seconds"],
    }
    try:
        fitted = fit_run(config, dataset, fit_xla)
    except Exception as error:  # a variant whose train_step Keras cannot drive: say so, do not fake a number
        first_line = (str(error).splitlines() or [""])[0]
        return {**measured, "fit": None, "ratio": None, "why": f"{type(error).__name__}: {first_line[:300]}"}
    return {
        **measured,
        "fit": fitted["samples_per_second"],
        "fit_xla": fitted["xla"],
        "fit_epoch_seconds": fitted["epoch_seconds"],
        "ratio": measured["engine"] / fitted["samples_per_second"],
    }


def measure(variant: str, args: argparse.Namespace, dataset: Dataset) -> dict[str, Any]:
    """``--rounds`` rounds of the three runs; the row gives each figure's median over the rounds."""
    config = validate(
        RunConfig(
            dataset=args.dataset,
            model=ModelConfig(variant=variant),
            training=TrainingConfig(epochs=args.epochs, batch_size=args.batch, device=args.device),
        )
    )
    rounds = [measure_round(config, args.fit_xla, dataset) for _ in range(args.rounds)]
    row: dict[str, Any] = {"variant": variant, "engine_xla": config.training.xla, "batch": args.batch}
    for name in ("engine", "engine_polled", "poll_overhead_pct", "unclocked_pct", "fit", "ratio"):
        values = [measured[name] for measured in rounds]
        row[name] = None if None in values else statistics.median(values)
    row["fit_xla"] = rounds[0].get("fit_xla")
    if row["fit"] is None:
        row["why"] = rounds[0]["why"]
    row["rounds"] = rounds
    return row


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'variant':<15} {'xla':>9} {'engine /s':>10} {'fit /s':>10} {'eng/fit':>8} {'poll ovh %':>10} "
        f"{'unclocked %':>11}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        xla = (
            f"{'on' if row['engine_xla'] else 'off'}/{'-' if row['fit'] is None else 'on' if row['fit_xla'] else 'off'}"
        )
        fit = "n/a" if row["fit"] is None else f"{row['fit']:,.0f}"
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        print(
            f"{row['variant']:<15} {xla:>9} {row['engine']:>10,.0f} {fit:>10} {ratio:>8} "
            f"{row['poll_overhead_pct']:>10.1f} {row['unclocked_pct']:>11.1f}"
        )
    print("xla: engine/fit. poll ovh: samples/s lost while a thread asks for the changes every 0.2 s.")
    print("unclocked: wall time of the engine's training passes beyond its own clock (mid-epoch previews).")
    for row in rows:
        if row["fit"] is None:
            print(f"{row['variant']}: fit could not train it: {row['why']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--batch", type=int, default=TrainingConfig().batch_size, help="images per step (default: the variants' own)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds of the three runs; the table gives medians")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma list (default: all)")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--device", default="cpu", help="cpu, gpu, gpu:N or all; the engine and fit alike")
    parser.add_argument(
        "--fit-xla",
        choices=("engine", "keras"),
        default="engine",
        help="fit's step compiled with the variant's XLA choice (engine) or Keras' default (keras)",
    )
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list instead of a table")
    args = parser.parse_args()
    variants = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = [name for name in variants if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    dataset = load_dataset(args.dataset)
    rows = [measure(variant, args, dataset) for variant in variants]
    if args.json:
        print(json.dumps(rows))
    else:
        print_table(rows)


if __name__ == "__main__":
    main()
