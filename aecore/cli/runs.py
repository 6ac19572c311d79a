"""``python -m aecore runs list | show | compare | delete | export | import | prune``: the run store from the command
line."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from aecore.cli.tables import text_table
from aecore.errors import AecoreError

#: a record's times, seconds since the epoch: ``show`` prints them as local date-times, ``--json`` as numbers
TIMES = ("created", "ended")


def _local_time(seconds: float | None) -> str:
    return "–" if seconds is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def runs_command(args: argparse.Namespace) -> int:
    from aecore.runs.folder import history_csv
    from aecore.runs.store import RunStore

    store = RunStore()
    store.repair_index()  # in step with the folders, as a power cut may have left it
    if args.action == "list":
        filters = {name: getattr(args, name) for name in ("variant", "dataset", "status", "tag", "sweep")}
        records = store.list(**filters)
        problem = store.write_problem()
        if problem:
            print(f"warning: {problem}", file=sys.stderr)
        if args.json:
            print(json.dumps([record.to_dict() for record in records]))
        else:
            rows = [
                {
                    "id": record.id,
                    "name": record.name,
                    "variant": record.variant,
                    "dataset": record.dataset,
                    "status": record.status,
                    "epochs": f"{record.epochs_done}/{record.epochs}",
                    "test_psnr": f"{record.metrics['test_psnr']:.2f}" if "test_psnr" in record.metrics else "",
                }
                for record in records
            ]
            print(
                text_table(rows, ("id", "name", "variant", "dataset", "status", "epochs", "test_psnr")) if rows else ""
            )
            print(f"{len(records)} runs in {store.root}", file=sys.stderr)
    elif args.action == "show":
        record = store.record(args.run_id)
        stored = store.folder(args.run_id).history()
        history, changes = stored.epochs, [dataclasses.asdict(change) for change in stored.live_changes]
        if args.json:
            print(json.dumps({**record.to_dict(), "config": record.config.to_dict(), "history": history,
                              "live_changes": changes}))  # fmt: skip
        else:
            for key, value in record.to_dict().items():
                print(f"{key}: {_local_time(value) if key in TIMES else value}")
            for change in changes:  # config.json keeps the settings it started with
                print(f"changed while training: {change['name']} {change['old']:g} -> {change['new']:g} "
                      f"from batch {change['batch']}")  # fmt: skip
            print(history_csv(history), end="")
    elif args.action == "delete":
        store.delete(args.run_id)
        print(f"deleted run {args.run_id}")
    elif args.action == "prune":
        return _prune(store, args)
    elif args.action == "compare":
        return _compare(store, args)
    elif args.action == "export":
        from aecore.runs.archive import export_archive

        target = Path(args.to).expanduser()
        if not target.parent.is_dir():  # said before the archive is made, and naming the target, not the store
            raise AecoreError(f"Cannot write the archive to '{target}': the folder '{target.parent}' does not exist.")
        data = export_archive(store, args.run_id)
        try:
            target.write_bytes(data)
        except OSError as error:
            raise AecoreError(
                f"Cannot write the archive to '{target}': {error.strerror or error}. Name a file in a folder you can "
                "write to."
            ) from None
        print(f"wrote {target} ({len(data) / 2**20:.1f} MB)")
    else:
        from aecore.runs.archive import MAX_ARCHIVE_BYTES, import_archive

        source = Path(args.archive)
        if not source.is_file():
            raise AecoreError(f"There is no file '{source}' to import.")
        if source.stat().st_size > MAX_ARCHIVE_BYTES:  # refused before it is read into memory
            raise AecoreError(f"'{source}' is larger than {MAX_ARCHIVE_BYTES // 2**20} MB, the limit for run archives.")
        run_id = import_archive(store, source.read_bytes(), source.name)
        print(f"imported run {run_id}")
    return 0


def _prune(store, args: argparse.Namespace) -> int:
    """``runs prune``: what is old goes (never a live run); ``--dry-run`` only says what would."""
    from aecore.runs.prune import prune, prune_plan
    from aecore.sweeps.plans import prune_sweeps

    plan = prune_plan(store, args.older_than, keep_tagged=args.keep_tagged)
    notes: list[str] = []
    if not args.dry_run:
        plan, notes = prune(store, plan)
    sweeps = prune_sweeps(store, args.older_than, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    if args.json:
        print(json.dumps({
            "dry_run": args.dry_run,
            "runs": [record.id for record in plan.runs],
            "datasets": [stored.full_name for stored in plan.datasets],
            "sweeps": [sweep.sweep_id for sweep in sweeps],
            "bytes": plan.bytes,
            "kept": notes,
        }))  # fmt: skip
        return 0
    print(f"{verb} {plan.summary()}, and {len(sweeps)} sweep{'s' * (len(sweeps) != 1)} left without runs")
    for note in notes:
        print(f"kept: {note}", file=sys.stderr)
    return 0


def _compare(store, args: argparse.Namespace) -> int:
    """``runs compare``: each run's metric, the settings that differ between them, and what mattered."""
    from aecore.cli.sweep import importance_json
    from aecore.runs.compare import config_differences

    records = [store.record(run_id) for run_id in dict.fromkeys(args.run_ids)]
    differences = config_differences({record.id: record.config for record in records})
    importance = importance_json(records, args.metric)
    if args.json:
        runs = [
            {"id": record.id, "name": record.name, args.metric: record.metrics.get(args.metric)} for record in records
        ]
        print(json.dumps({"runs": runs, "differences": differences, "importance": importance}))
        return 0
    rows = [
        {"id": record.id, "name": record.name, args.metric: _metric_text(record.metrics.get(args.metric))}
        for record in records
    ]
    print(text_table(rows, ("id", "name", args.metric)))
    for name, values in differences.items():
        print(f"differs: {name} = {', '.join(str(value) for value in values)}")
    if "settings" in importance:
        for setting in importance["settings"]:
            verdict = "mattered" if setting["mattered"] else "within a random setting's spread"
            print(f"{setting['name']}: importance {setting['importance']:.3g} "
                  f"(random setting's 95th percentile {importance['dummy_p95']:.3g}), {verdict}")  # fmt: skip
    else:
        print(importance["note"])
    return 0


def _metric_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"
