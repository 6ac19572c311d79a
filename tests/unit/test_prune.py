"""Pruning a run store: old runs go (tagged ones kept on request), then the uploaded datasets and sweeps they leave
unused; a live run is never touched; a dry run only says what would go and the space it frees."""

import io
import json
import time

import numpy as np
from cli_support import run_cli

from aecore.runs.prune import SECONDS_PER_DAY, prune, prune_plan
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig

DAY = SECONDS_PER_DAY


def stored_run(store: RunStore, age_days: float, *, tags=(), dataset="digits") -> str:
    """A finished run created ``age_days`` ago."""
    folder, lock = store.create(RunConfig(dataset=dataset))
    store.save(folder, status="finished", created=time.time() - age_days * DAY, tags=list(tags))
    lock.release()
    return folder.run_id


def npz_file() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, x=np.random.default_rng(3).integers(0, 256, (20, 8, 8), dtype=np.uint8))
    return buffer.getvalue()


def test_old_ended_runs_go_and_tagged_live_and_recent_ones_stay(tmp_path):
    store = RunStore(tmp_path / "store")
    store.add_dataset("old-data.npz", npz_file())
    meta = store.datasets.folder / store.datasets.find("old-data").key / "dataset.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "added": time.time() - 90 * DAY}))
    old = stored_run(store, 60, dataset="upload:old-data")
    tagged = stored_run(store, 60, tags=("keep",))
    folder, live_lock = store.create(RunConfig(dataset="digits"))  # training: its job holds the lock
    store.save(folder, status="running", created=time.time() - 60 * DAY)
    live = folder.run_id
    recent = stored_run(store, 1)

    plan = prune_plan(store, 30, keep_tagged=True)
    assert [record.id for record in plan.runs] == [old], "tagged, live and recent runs are not planned"
    assert [stored.name for stored in plan.datasets] == ["old-data"], "its only run goes, so does the dataset"
    assert plan.bytes > 0 and store.has(old), "a plan removes nothing"
    assert {record.id for record in prune_plan(store, 30).runs} == {old, tagged}, "without --keep-tagged"

    removed, notes = prune(store, plan)
    assert notes == [] and [record.id for record in removed.runs] == [old] and removed.bytes == plan.bytes
    assert {record.id for record in store.list()} == {tagged, live, recent}
    assert store.datasets.find("old-data") is None
    live_lock.release()


def test_runs_prune_on_the_command_line_says_first_then_removes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AECORE_RUNS_DIR", str(tmp_path / "store"))
    store = RunStore(tmp_path / "store")
    old = stored_run(store, 45)
    code, out, _ = run_cli(capsys, "runs", "prune", "--older-than", "30", "--dry-run", "--json")
    planned = json.loads(out)
    assert code == 0 and planned["dry_run"] and planned["runs"] == [old] and planned["bytes"] > 0
    assert store.has(old)
    code, out, _ = run_cli(capsys, "runs", "prune", "--older-than", "30")
    assert code == 0 and out.startswith("removed 1 run and 0 uploaded datasets") and not store.has(old)
    code, _, err = run_cli(capsys, "runs", "prune", "--older-than", "-1")
    assert code == 2 and "0 or more" in err


def test_a_sweep_left_without_runs_goes_with_them_and_a_dry_run_keeps_it(tmp_path):
    import dataclasses

    from sweep_support import BASE

    from aecore.sweeps.plans import SweepPlan, list_plans, prune_sweeps, save_plan

    store = RunStore(tmp_path / "store")
    old, recent, busy = (
        dataclasses.replace(SweepPlan(BASE, {"rho": [0.1]}, seeds=1, name=name), created=time.time() - age * DAY)
        for name, age in (("old", 60), ("recent", 1), ("busy", 60))
    )
    for plan in (old, recent, busy):
        save_plan(store, plan)
    folder, lock = store.create(RunConfig(dataset="digits"), sweep=busy.sweep_id)  # a run of it is left
    lock.release()
    assert [plan.name for plan in prune_sweeps(store, 30, dry_run=True)] == ["old"]
    assert len(list_plans(store)) == 3, "a dry run removes nothing"
    assert [plan.name for plan in prune_sweeps(store, 30)] == ["old"]
    assert {plan.name for plan in list_plans(store)} == {"recent", "busy"}
