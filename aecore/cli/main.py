"""The command line: ``python -m aecore variants | datasets | presets | train | script | sweep | resume | runs |
evaluate``.

``train`` saves every run in the run store (``$AECORE_RUNS_DIR``, default ``./runs``) and prints its id.
``train --json`` prints one JSON object as its last line on stdout (the contract scripts and
checks rely on); progress goes to stderr. A mistake in the arguments exits with code 2 and
one line saying what to change; a run that fails exits with code 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from aecore.cli.cluster import add_cluster_parser, cluster_command
from aecore.cli.datasets import add_datasets_parser, datasets_command
from aecore.cli.evaluate import add_evaluate_options, add_nll_option, evaluate_command
from aecore.cli.tables import text_table
from aecore.errors import AecoreError
from aecore.jobs.manager import backend_from_environment
from aecore.runs.snapshots import Snapshot
from aecore.settings.config import ELBO_MEANINGS, RunConfig
from aecore.settings.parameters import PARAMETERS, Parameter, config_from_settings
from aecore.settings.presets import PRESETS, preset
from aecore.settings.validation import cautions, check_nll_request, validate
from aecore.settings.variants import VARIANTS
from aecore.training.live_state import Job, new_job_id

if TYPE_CHECKING:
    from aecore.jobs.remote import RemoteJob

#: the dataset a run uses when neither an option nor a preset names one: embedded, so it works offline
DEFAULT_DATASET = "mnist-5k"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _ranged(kind: type, low: float, high: float) -> Callable[[str], Any]:
    """An argparse type that refuses a value outside ``low … high`` (exit 2, naming the range)."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not a {'whole number' if kind is int else 'number'}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} lies outside {low:,g} … {high:,g}")
        return value

    return parse


def _add_setting(parser: argparse.ArgumentParser, name: str, parameter: Parameter) -> None:
    """One option from the parameter registry: its kind, choices, range and help, nothing written again here.

    Its destination is its name in the registry; left out (None), it takes the variant's or the preset's value,
    exactly as an untouched control on the dashboard does.
    """
    relabelled = [
        f"{variant.name}: {variant.labels[name][0]}" for variant in VARIANTS.values() if name in variant.labels
    ]
    help_text = parameter.help + (f" ({'; '.join(relabelled)})" if relabelled else "")
    options: dict[str, Any] = {"dest": name, "help": help_text.replace("%", "%%")}
    if parameter.kind in ("int", "float"):
        kind = int if parameter.kind == "int" else float
        options["type"] = kind
        if parameter.cli_range is not None:
            low, high = parameter.cli_range
            options["type"] = _ranged(kind, low, high)
            options["help"] += (
                f" Here {low:,g} to {high:,g} (the page offers {parameter.minimum:,g} to {parameter.maximum:,g})."
            )
    elif parameter.kind == "choice":
        options["choices"] = parameter.choices
    elif parameter.kind == "bool":
        options["action"] = argparse.BooleanOptionalAction
    elif parameter.kind == "widths":
        options["metavar"] = "W,W,..."
    parser.add_argument(*parameter.flags(name), **options)


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    """The settings of one run, shared by ``train`` and ``sweep`` (a sweep's base): one option per setting of
    the parameter registry, plus the preset, the dataset and the device, which are not settings of a model."""
    parser.add_argument("--preset", metavar="ID", help="start from a preset (see `presets`); options given override it")
    parser.add_argument("--dataset", help=f"default: the preset's, else {DEFAULT_DATASET}")
    for name, parameter in PARAMETERS.items():
        _add_setting(parser, name, parameter)
    parser.add_argument("--device", default="cpu", help="cpu, gpu, gpu:N or all")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m aecore", description="Autoencoder Lab's core from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_text in (
        ("variants", "list the autoencoder variants"),
        ("presets", "list the presets: the seed documents' models, each with what it reproduces"),
    ):
        listing = commands.add_parser(name, help=help_text)
        listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    add_datasets_parser(commands)
    add_cluster_parser(commands)

    train = commands.add_parser("train", help="train one model")
    train.add_argument("--variant", choices=list(VARIANTS), help="required unless --preset gives it")
    _add_training_options(train)
    train.add_argument("--name", help="the run's name in the store (default: the variant and a short id)")
    train.add_argument("--out", help="save a standalone run folder here instead of in the run store")
    train.add_argument("--json", action="store_true", help="print the result as JSON on the last line")
    add_nll_option(train)
    _add_backend_option(train)

    script = commands.add_parser(
        "script", help="print a standalone Python script that trains this model (needs TensorFlow, not aecore)"
    )
    script.add_argument("--variant", choices=list(VARIANTS), help="required unless --preset gives it")
    _add_training_options(script)

    sweep = commands.add_parser("sweep", help="train a grid over one or two settings, several seeds each")
    sweep.add_argument("--variant", choices=list(VARIANTS))
    _add_training_options(sweep)
    sweep.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="a setting and its values: a list (rho=0.1,0.2), a range (rho=0.1:0.7:0.1) or a log range "
        "(learning_rate=1e-4:1e-2:*10); hidden widths are separated by | (hidden=128,64|256); at most two",
    )
    sweep.add_argument("--seeds", type=int, default=1, help="runs per setting, with seeds seed, seed+1, ... (1-10)")
    sweep.add_argument("--name", help="the sweep's name (its runs are named after it)")
    sweep.add_argument("--resume", metavar="SWEEP_ID", help="finish a stopped sweep: train only what is missing")
    sweep.add_argument("--yes", action="store_true", help="go ahead with more than 200 runs")
    sweep.add_argument("--json", action="store_true", help="print the result as JSON on the last line")
    _add_backend_option(sweep)

    resume = commands.add_parser("resume", help="continue a stored run from its last checkpoint")
    resume.add_argument("run_id", metavar="ID")
    resume.add_argument("--epochs", type=int, required=True, help="how many more epochs to train")
    resume.add_argument("--json", action="store_true", help="print the result as JSON on the last line")

    runs = commands.add_parser("runs", help="list, show, compare, delete, export, import and prune stored runs")
    actions = runs.add_subparsers(dest="action", required=True, parser_class=_Parser)
    listing = actions.add_parser("list", help="every stored run, newest first")
    for name in ("variant", "dataset", "status", "tag", "sweep"):
        listing.add_argument(f"--{name}", help=f"only runs with this {name}")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show = actions.add_parser("show", help="one run's settings, status, metrics and history")
    show.add_argument("run_id", metavar="ID")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    delete = actions.add_parser("delete", help="delete a run and its folder")
    delete.add_argument("run_id", metavar="ID")
    export = actions.add_parser("export", help="write a run as one .zip archive")
    export.add_argument("run_id", metavar="ID")
    export.add_argument("--to", required=True, metavar="FILE.zip")
    imported = actions.add_parser("import", help="add a run from a .zip archive to the store")
    imported.add_argument("archive", metavar="FILE.zip")
    compare = actions.add_parser("compare", help="runs side by side: the settings that differ, and what mattered")
    compare.add_argument("run_ids", metavar="ID", nargs="+")
    compare.add_argument(
        "--metric", default="test_reconstruction", help="test_reconstruction (default), test_mse, test_psnr, test_elbo"
    )
    compare.add_argument("--json", action="store_true", help="print JSON instead of text")
    prune = actions.add_parser(
        "prune", help="remove runs older than some days, then the sweeps and uploaded datasets left without runs"
    )
    prune.add_argument("--older-than", type=float, required=True, metavar="DAYS", help="age in days (e.g. 30)")
    prune.add_argument("--keep-tagged", action="store_true", help="keep every run that has a tag")
    prune.add_argument("--dry-run", action="store_true", help="only say what would be removed and the space freed")
    prune.add_argument("--json", action="store_true", help="print what was (or would be) removed as JSON")

    add_evaluate_options(
        commands.add_parser(
            "evaluate", help="a stored run's PSNR and SSIM under one noise, as the Denoising page shows them"
        )
    )
    return parser


def _config(args: argparse.Namespace) -> RunConfig:
    """The run the options describe: a preset with the options given on top, else the variant's defaults with them."""
    settings = {name: getattr(args, name) for name in PARAMETERS}
    if args.preset is None:
        if args.variant is None:
            raise AecoreError("Choose a variant with --variant, or a preset with --preset ID (`presets` lists them).")
        return config_from_settings(args.dataset or DEFAULT_DATASET, args.variant, args.device, settings)
    base = preset(args.preset).config
    if args.variant not in (None, base.model.variant):
        raise AecoreError(
            f"The preset '{args.preset}' is a {base.model.variant} model; leave out --variant or choose another preset."
        )
    return config_from_settings(args.dataset or base.dataset, base.model.variant, args.device, settings, base)


def _progress(snapshot: Snapshot) -> str:
    bar = "#" * int(30 * snapshot.progress)
    terms = snapshot.batch_terms.get("total")
    loss = f"loss {terms[-1]:.4f}" if terms is not None and len(terms) else ""
    return (
        f"\r[{bar:<30}] epoch {snapshot.epoch + 1}/{snapshot.config.training.epochs} "
        f"batch {snapshot.batch}/{snapshot.batches_per_epoch} {loss} {snapshot.samples_per_second:,.0f} img/s "
    )


def _follow(job: Job, train: Callable[[], None]) -> Snapshot:
    """Run ``train`` in a thread with a progress bar of ``job`` on stderr; Ctrl-C stops it after the current batch."""
    worker = threading.Thread(target=train, name="aecore-train")
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.25)
            print(_progress(job.snapshot()), end="", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        job.request_stop()
        worker.join()
    print(file=sys.stderr)
    return job.snapshot()


def _elbo_meaning(snapshot: Snapshot) -> dict[str, str]:
    """Which likelihood a test ELBO uses and what it can be compared with (only for runs that have one)."""
    if not snapshot.test_metrics or "test_elbo" not in snapshot.test_metrics:
        return {}
    likelihood, comparable = ELBO_MEANINGS[snapshot.config.model.loss]
    return {"elbo_likelihood": likelihood, "elbo_comparable_with": comparable}


def _report(snapshot: Snapshot, run_dir: Path | None, as_json: bool, backend: str) -> int:
    """Print the result (one JSON object as the last stdout line with ``--json``); exit 1 if the run failed."""
    from aecore.runs.snapshots import FAILED

    if snapshot.status == FAILED:
        print(f"aecore: {snapshot.message}", file=sys.stderr)
    if snapshot.store_error:
        print(f"aecore: {snapshot.store_error}", file=sys.stderr)
    history = snapshot.epoch_history
    trained_seconds = sum(record["seconds"] for record in history)
    result = {
        "run_id": None if run_dir is None else run_dir.name,
        "run_dir": None if run_dir is None else str(run_dir),
        "variant": snapshot.config.model.variant,
        "dataset": snapshot.config.dataset,
        "status": snapshot.status,
        "message": snapshot.message,
        "epochs": len(history),
        "history": history,
        **(snapshot.test_metrics or {}),
        **_elbo_meaning(snapshot),
        "seconds_per_epoch": trained_seconds / len(history) if history else None,
        "samples_per_second": snapshot.samples_per_second,
        "device": snapshot.device,
        "backend": backend,
        "config": snapshot.config.to_dict(),
    }
    if as_json:
        print(json.dumps(result))
    else:
        if run_dir is not None:
            print(f"run: {run_dir.name} ({run_dir})")
        for key in ("test_mse", "test_psnr", "test_psnr_noisy_input", "test_ssim", "test_elbo", "seconds_per_epoch"):
            if result.get(key) is not None:
                print(f"{key}: {result[key]:.4f}")
        if "elbo_likelihood" in result:
            print(f"test_elbo: {result['elbo_likelihood']} likelihood; compare with {result['elbo_comparable_with']}")
    return 1 if snapshot.status == FAILED else 0


def _add_backend_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=("local", "ray"),
        help="where runs train: this machine (local) or Ray, local or the cluster AECORE_RAY_ADDRESS names "
        "(default: AECORE_BACKEND, else local)",
    )


def _on_ray(job: RemoteJob) -> None:
    """Train a ``RemoteJob`` in a Ray actor and mirror it here."""
    from aecore.jobs.ray_backend import RayWorker

    job.train_on(RayWorker(threads=1))


def _train(args: argparse.Namespace) -> int:
    config = validate(_config(args))  # a bad setting fails before TensorFlow is imported
    if args.nll is not None:
        check_nll_request(config, args.nll)
    for caution in cautions(config):
        print(f"aecore: warning: {caution}", file=sys.stderr)
    from aecore.data.registry import load_dataset
    from aecore.runs.recorder import RunRecorder
    from aecore.runs.store import RunStore, create_folder
    from aecore.training.devices import resolve_device
    from aecore.training.engine import TrainingJob  # imports TensorFlow: only for the commands that train

    backend = args.backend or backend_from_environment()
    if backend == "ray" and args.out:
        raise AecoreError("--out writes a folder on this machine: train it with --backend local, or drop --out.")
    resolve_device(config.training.device)  # a missing GPU or dataset is an argument error: exit 2 now
    load_dataset(config.dataset)
    store = None if args.out else RunStore()
    if store is None:
        folder, lock = create_folder(Path(args.out), config, name=args.name)
    else:
        folder, lock = store.create(config, name=args.name)
    if backend == "ray":
        from aecore.jobs import ray_backend
        from aecore.jobs.remote import RemoteJob

        ray_backend.connect(os.cpu_count() or 1)
        job = RemoteJob(new_job_id(), config, store, folder, lock, resumed=False)
        return _report(_follow(job, lambda: _on_ray(job)), folder.path, args.json, backend)
    job = TrainingJob(config, RunRecorder(folder, lock, store))
    snapshot = _follow(job, job.run)
    if args.nll is not None and snapshot.status == "finished":
        from aecore.explore.stored_model import store_nll

        nll = store_nll(folder, store, args.nll)  # kept in the run's metrics and its index row
        snapshot = dataclasses.replace(snapshot, test_metrics={**(snapshot.test_metrics or {}), "test_nll": nll})
    return _report(snapshot, folder.path, args.json, backend)


def _resume(args: argparse.Namespace) -> int:
    from aecore.jobs.run_jobs import resumed_job
    from aecore.runs.store import RunStore

    job = resumed_job(RunStore(), args.run_id, args.epochs)
    return _report(_follow(job, job.run), job.recorder.folder.path, args.json, "local")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "variants":
            rows = [variant.to_dict() for variant in VARIANTS.values()]
            print(json.dumps(rows) if args.json else text_table(rows, ("name", "title", "description")))
            return 0
        if args.command == "presets":
            rows = [entry.to_dict() for entry in PRESETS.values()]
            print(json.dumps(rows) if args.json else text_table(rows, ("id", "title", "source")))
            return 0
        if args.command == "datasets":
            return datasets_command(args)
        if args.command == "cluster":
            return cluster_command(args)
        if args.command == "runs":
            from aecore.cli.runs import runs_command

            return runs_command(args)
        if args.command == "sweep":
            from aecore.cli.sweep import sweep_command

            return sweep_command(args, _config)
        if args.command == "resume":
            return _resume(args)
        if args.command == "evaluate":
            return evaluate_command(args)
        if args.command == "script":
            from aecore.cli.script import training_script

            print(training_script(_config(args)), end="")
            return 0
        return _train(args)
    except AecoreError as error:
        print(f"python -m aecore: error: {error}", file=sys.stderr)
        return 2
