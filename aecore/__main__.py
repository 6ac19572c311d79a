"""The command line: ``python -m aecore variants | datasets | train``.

``train --json`` prints one JSON object as its last line on stdout (the contract scripts and
checks rely on); progress goes to stderr. A mistake in the arguments exits with code 2 and
one line saying what to change; a run that fails exits with code 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from aecore.config import (
    ACTIVATIONS,
    NOISE_KINDS,
    PRIORS,
    RECONSTRUCTION_LOSSES,
    SPARSITY_PENALTIES,
    RunConfig,
    validate,
)
from aecore.errors import AecoreError
from aecore.variants import PARAMETERS, VARIANTS, config_from_settings


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m aecore", description="Autoencoder Lab's core from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_text in (("variants", "list the autoencoder variants"), ("datasets", "list the datasets")):
        listing = commands.add_parser(name, help=help_text)
        listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    train = commands.add_parser("train", help="train one model")
    train.add_argument("--variant", required=True, choices=list(VARIANTS))
    train.add_argument("--dataset", default="mnist-5k")
    # every setting's destination is its name in aecore.variants.PARAMETERS; left out (None), it takes the
    # variant's default, exactly as an untouched control on the dashboard does
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--lr", dest="learning_rate", type=float, help="learning rate")
    train.add_argument("--hidden", help="hidden widths, e.g. 128,64 (the decoder mirrors them)")
    train.add_argument("--latent-dim", type=int, help="code size")
    train.add_argument("--activation", choices=ACTIVATIONS)
    train.add_argument("--loss", choices=RECONSTRUCTION_LOSSES)
    train.add_argument("--dropout", type=float)
    train.add_argument("--batch-norm", action="store_const", const=True)
    train.add_argument("--noise-kind", choices=NOISE_KINDS)
    train.add_argument("--noise-level", type=float)
    train.add_argument("--rho", type=float, help="ρ, target mean activation (sparse)")
    train.add_argument("--beta", type=float, help="β, weight of the sparsity KL or the VAE's KL")
    train.add_argument("--alpha", type=float, help="α, L2 weight decay")
    train.add_argument("--lam", type=float, help="λ, weight of the L1 or contractive penalty")
    train.add_argument("--sparsity", choices=SPARSITY_PENALTIES)
    train.add_argument("--prior", choices=PRIORS)
    train.add_argument("--device", default="cpu", help="cpu, gpu, gpu:N or all")
    train.add_argument("--seed", type=int)
    train.add_argument(
        "--xla",
        action=argparse.BooleanOptionalAction,
        help="compile the training step with XLA (default: on for dense variants, off for the convolutional one)",
    )
    train.add_argument("--out", help="folder to save the model, config, history and metrics in")
    train.add_argument("--json", action="store_true", help="print the result as JSON on the last line")
    return parser


def _config(args: argparse.Namespace) -> RunConfig:
    settings = {name: getattr(args, name) for name in PARAMETERS}
    return config_from_settings(args.dataset, args.variant, args.device, settings)


def _require_writable(folder: Path) -> None:
    """Fail before a long run, not after it, when its results could not be saved."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise AecoreError(
            f"Cannot save the run in '{folder}': {error.strerror}; choose another --out folder."
        ) from None


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    cells = [[str(row[column]) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    lines = [columns, *cells]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in lines)


def _progress(snapshot: Any) -> str:
    bar = "#" * int(30 * snapshot.progress)
    terms = snapshot.batch_terms.get("total")
    loss = f"loss {terms[-1]:.4f}" if terms is not None and len(terms) else ""
    return (
        f"\r[{bar:<30}] epoch {snapshot.epoch + 1}/{snapshot.config.training.epochs} "
        f"batch {snapshot.batch}/{snapshot.batches_per_epoch} {loss} {snapshot.samples_per_second:,.0f} img/s "
    )


def _train(args: argparse.Namespace) -> int:
    config = validate(_config(args))  # a bad setting fails before TensorFlow is imported
    if args.out:
        _require_writable(Path(args.out))
    from aecore.data import load_dataset
    from aecore.devices import resolve_device
    from aecore.training import FAILED, TrainingJob  # imports TensorFlow: only for this command

    job = TrainingJob(config)
    resolve_device(job.config.training.device)  # a missing GPU or dataset is an argument error: exit 2 now
    load_dataset(job.config.dataset)
    worker = threading.Thread(target=job.run, name="aecore-train")
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.25)
            print(_progress(job.snapshot()), end="", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        job.request_stop()
        worker.join()
    snapshot = job.snapshot()
    print(file=sys.stderr)
    if snapshot.status == FAILED:
        print(f"aecore: {snapshot.message}", file=sys.stderr)
    if args.out and job.model is not None:
        from aecore.runs import save_run

        save_run(args.out, job.model, snapshot.epoch_history, snapshot.test_metrics)
    history = snapshot.epoch_history
    trained_seconds = sum(record["seconds"] for record in history)
    result = {
        "variant": snapshot.config.model.variant,
        "dataset": snapshot.config.dataset,
        "status": snapshot.status,
        "message": snapshot.message,
        "epochs": len(history),
        "history": history,
        **(snapshot.test_metrics or {}),
        "seconds_per_epoch": trained_seconds / len(history) if history else None,
        "samples_per_second": snapshot.samples_per_second,
        "device": snapshot.device,
        "config": snapshot.config.to_dict(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key in ("test_mse", "test_psnr", "test_psnr_noisy_input", "test_elbo", "seconds_per_epoch"):
            if result.get(key) is not None:
                print(f"{key}: {result[key]:.4f}")
    return 1 if snapshot.status == FAILED else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "variants":
            rows = [variant.to_dict() for variant in VARIANTS.values()]
            print(json.dumps(rows) if args.json else _table(rows, ("name", "title", "description")))
            return 0
        if args.command == "datasets":
            from aecore.data import list_datasets

            rows = [info.to_dict() for info in list_datasets()]
            print(json.dumps(rows) if args.json else _table(rows, ("name", "available", "n_train", "n_test", "reason")))
            return 0
        return _train(args)
    except AecoreError as error:
        print(f"python -m aecore: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
