"""Sweeps: grids from what people type, plans saved beside the runs, statistics over seeds, a stopped sweep resumed,
the seed report's tables, and the command line."""

from __future__ import annotations

import json
import math
import time

import pytest
from sweep_support import BASE, fake_finished

from aecore.cli.main import main
from aecore.errors import AecoreError
from aecore.jobs.manager import JobManager
from aecore.runs.store import RunStore
from aecore.sweeps.plans import (
    SweepPlan,
    expand_range,
    finished_points,
    list_plans,
    load_plan,
    parse_values,
    progress,
    start_sweep,
    stop_sweep,
)
from aecore.sweeps.seed_tables import SEED_TABLES, agreement, reproduction_plan, with_published
from aecore.sweeps.statistics import clear_best, grid_matrix, mean_sd, summarise


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("0.1:0.7:0.1", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]),
        ("0.7:0.1:-0.3", [0.7, 0.4, 0.1]),
        ("1e-4:1e-2:*10", [1e-4, 1e-3, 1e-2]),
        ("2:10:4", [2.0, 6.0, 10.0]),
        ("1:2:0.4", [1.0, 1.4, 1.8]),
    ],
)
def test_ranges_expand_to_exact_values(text, values):
    assert expand_range(text) == values


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0.1:0.7:0", "cannot be 0"),
        ("0.1:0.7:-0.1", "change its sign"),
        ("0.1:0.7", "start:stop:step"),
        ("1:0.1:*10", "0 < start ≤ stop"),
        ("0:1:*2", "0 < start ≤ stop"),
        ("a:1:0.1", "is not a number"),
        ("0:1:0.0000001", "at most"),
        ("1:1000:*1.001", "at most"),
    ],
)
def test_bad_ranges_say_what_to_change(text, says):
    with pytest.raises(AecoreError, match=says):
        expand_range(text)


def test_values_are_parsed_by_the_settings_kind_and_checked_against_its_range():
    assert parse_values("rho", "0.1, 0.2,0.2", "sparse") == [0.1, 0.2]  # a value typed twice is trained once
    assert parse_values("latent_dim", "2:8:3", "sparse") == [2, 5, 8]
    assert parse_values("hidden", "128,64 | 256 |", "deep") == [(128, 64), (256,), ()]
    assert parse_values("noise_kind", "gaussian, masking", "sparse") == ["gaussian", "masking"]
    assert parse_values("learning_rate", "1e-4:1e-2:*10", "vae") == [1e-4, 1e-3, 1e-2]
    with pytest.raises(AecoreError, match="does not use 'rho'"):
        parse_values("rho", "0.1", "undercomplete")
    with pytest.raises(AecoreError, match="outside"):
        parse_values("rho", "0.1, 1.5", "sparse")
    with pytest.raises(AecoreError, match="Give values"):
        parse_values("beta", "  ", "sparse")
    with pytest.raises(AecoreError, match="whole numbers"):
        parse_values("latent_dim", "1:2:0.5", "sparse")
    with pytest.raises(AecoreError, match="Unknown setting"):
        parse_values("gamma", "1", "sparse")


def test_a_grid_of_two_settings_with_seeds():
    plan = SweepPlan(BASE, {"rho": [0.1, 0.3], "beta": [1.0, 2.0, 3.0]}, seeds=2)
    points = plan.points()
    assert len(points) == 2 * 3 * 2
    assert {(p.values["rho"], p.values["beta"], p.seed) for p in points} == {
        (rho, beta, seed) for rho in (0.1, 0.3) for beta in (1.0, 2.0, 3.0) for seed in (0, 1)
    }
    point = points[-1]
    assert point.config.regularisation.rho == 0.3 and point.config.regularisation.beta == 3.0
    assert point.config.training.seed == 1 and point.config.model.latent_dim == 8
    assert len({p.key for p in points}) == len(points)
    with pytest.raises(AecoreError, match="one or two settings"):
        SweepPlan(BASE, {"rho": [0.1], "beta": [1.0], "alpha": [0.0]}).points()
    with pytest.raises(AecoreError, match="from 1 to 10"):
        SweepPlan(BASE, {"rho": [0.1]}, seeds=11).points()
    with pytest.raises(AecoreError, match="at most 5,000"):
        SweepPlan(BASE, {"rho": [0.01 * i for i in range(1, 100)], "beta": list(range(1, 100))}).points()
    with pytest.raises(AecoreError, match="With noise_level = 1.5 the run is not valid"):
        SweepPlan(BASE.with_changes(noise={"kind": "masking"}), {"noise_level": [0.5, 1.5]}).points()


def test_summary_statistics_and_the_best_marked_only_when_it_is_clear(tmp_path):
    store = RunStore(tmp_path / "runs")
    plan = SweepPlan(BASE, {"rho": [0.1, 0.2, 0.3]}, seeds=3)
    fake_finished(store, plan, {(0.1,): [10.0, 11.0, 12.0], (0.2,): [5.0, 5.5, 6.0], (0.3,): [9.0, 9.5]})
    rows = summarise(store, plan)
    assert [row["rho"] for row in rows] == [0.1, 0.2, 0.3] and [row["seeds"] for row in rows] == [3, 3, 2]
    assert rows[0]["reconstruction_mean"] == pytest.approx(11.0) and rows[0]["reconstruction_sd"] == pytest.approx(1.0)
    assert rows[2]["reconstruction_sd"] == pytest.approx(math.sqrt(0.125))
    assert rows[1]["test_mse_mean"] == pytest.approx(0.055) and len(rows[1]["run_ids"]) == 3
    assert math.isnan(rows[0]["test_elbo_mean"])
    assert clear_best(rows) == 1  # 5.5 ± 0.5 against 9.25 ± 0.35: a real difference
    close = [dict(rows[0], reconstruction_mean=5.9, reconstruction_sd=0.5), rows[1]]
    assert clear_best(close) is None, "0.4 apart with spreads of 0.5: within the noise"
    assert mean_sd([1.0]) == (1.0, 0.0) and math.isnan(mean_sd([])[0])


def test_a_two_setting_summary_fills_its_heat_map(tmp_path):
    store = RunStore(tmp_path / "runs")
    plan = SweepPlan(BASE, {"rho": [0.1, 0.2], "beta": [1.0, 2.0, 4.0]}, seeds=1)
    fake_finished(store, plan, {(rho, beta): [rho * 10 + beta] for rho in (0.1, 0.2) for beta in (1.0, 2.0, 4.0)})
    matrix = grid_matrix(summarise(store, plan), plan, "reconstruction_mean")
    assert matrix.shape == (3, 2)
    assert matrix[2, 1] == pytest.approx(0.2 * 10 + 4.0)


def test_a_sweep_stopped_halfway_resumes_without_redoing_its_finished_runs(tmp_path):
    store = RunStore(tmp_path / "runs")
    plan = SweepPlan(BASE, {"rho": [0.1, 0.2]}, seeds=2)
    manager = JobManager(max_concurrent=1, store=store)
    assert start_sweep(store, manager, plan) == 4
    assert [saved.sweep_id for saved in list_plans(store)] == [plan.sweep_id]
    deadline = time.monotonic() + 120
    while len(finished_points(store, plan)) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    stop_sweep(manager, plan)
    while any(not job.snapshot().ended for job in manager.group_jobs(plan.sweep_id)):
        time.sleep(0.1)
    done = set(finished_points(store, plan))
    assert 1 <= len(done) < 4 and not progress(store, plan).active

    again = JobManager(max_concurrent=1, store=store)
    resumed = load_plan(store, plan.sweep_id)
    assert start_sweep(store, again, resumed) == 4 - len(done)
    while any(not job.snapshot().ended for job in again.group_jobs(plan.sweep_id)):
        time.sleep(0.1)
    assert set(finished_points(store, resumed)) >= done and len(finished_points(store, resumed)) == 4
    assert [row["seeds"] for row in summarise(store, resumed)] == [2, 2]
    assert len(store.list(sweep=plan.sweep_id)) == len(store.list())  # every run is tagged with its sweep


def test_a_sweeps_runs_wait_behind_each_other_not_in_front_of_other_people(tmp_path):
    store = RunStore(tmp_path / "runs")
    manager = JobManager(max_concurrent=1, store=store)
    long = BASE.with_changes(training={"epochs": 200})
    plan = SweepPlan(long, {"rho": [0.1, 0.2, 0.3]})
    start_sweep(store, manager, plan)
    student = manager.submit(long)  # pressed Train after the sweep began
    try:
        deadline = time.monotonic() + 60
        while manager.running_count < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert manager.snapshot(student.job_id).queue_position == 1, "the student's run starts next"
        waiting = [manager.snapshot(job.job_id).queue_position for job in manager.group_jobs(plan.sweep_id)]
        assert sorted(position for position in waiting if position) == [2, 3]
    finally:
        stop_sweep(manager, plan)
        manager.stop(student.job_id)
    while any(not job.snapshot().ended for job in [student, *manager.group_jobs(plan.sweep_id)]):
        time.sleep(0.1)


def test_the_seed_tables_are_reproduced_beside_the_published_numbers(tmp_path):
    store = RunStore(tmp_path / "runs")
    plan = reproduction_plan("beta", seeds=2)
    assert plan.parameters == {"beta": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]} and plan.base.dataset == "mnist-5k"
    assert plan.base.regularisation.rho == 0.2 and plan.base.regularisation.alpha == 0.3
    losses = {(beta,): [100.0 + beta, 100.5 + beta] for beta in plan.parameters["beta"]}
    fake_finished(store, plan, losses)
    rows = with_published(summarise(store, plan), plan)
    assert plan.base.model.reduction == "sum"  # the preset trains on the report's summed loss
    assert rows[1]["seed_report"] == SEED_TABLES["beta"].published[2]
    batch = plan.base.training.batch_size  # and the per-image test loss is put on the report's scale
    assert rows[1]["ours_per_batch"] == pytest.approx((102.0 + 102.5) / 2 * batch)
    close = {(beta,): [100.0, 103.0] for beta in plan.parameters["beta"]}
    other = RunStore(tmp_path / "other")
    fake_finished(other, plan, close)
    assert "not confirmed" in agreement(with_published(summarise(other, plan), plan), plan)
    text = agreement(rows, plan)
    assert "The report picks beta = 2" in text and "lowest mean loss is at beta = 1" in text
    assert "unlike the report's choice" in text  # 101.25 ± 0.35 against 102.25 ± 0.35: a real difference


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_cli_sweeps_two_settings_with_two_seeds_into_the_store(capsys):
    code, out, err = run_cli(
        capsys, "sweep", "--variant", "sparse", "--dataset", "digits", "--hidden", "", "--latent-dim", "8",
        "--batch-size", "64", "--epochs", "1", "--param", "rho=0.1,0.3", "--param", "beta=1:2:1", "--seeds", "2",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["parameters"] == ["rho", "beta"] and result["backend"] == "local"
    assert [(row["rho"], row["beta"]) for row in result["results"]] == [(0.1, 1.0), (0.1, 2.0), (0.3, 1.0), (0.3, 2.0)]
    for row in result["results"]:
        assert row["seeds"] == 2 and len(row["run_ids"]) == 2
        assert row["reconstruction_mean"] > 0 and row["reconstruction_sd"] >= 0 and 0 < row["test_mse_mean"] < 1
        assert "test_elbo_mean" not in row, "no ELBO for a model that is not a VAE"
    runs = RunStore().list(sweep=result["sweep_id"])
    assert len(runs) == 8 and {run.status for run in runs} == {"finished"}
    assert "8/8 runs done" in err  # the progress bar went to stderr
    importance = result["importance"]  # what mattered, over the sweep's 8 runs (the seed is the spread, not a setting)
    assert importance["runs"] == 8 and {setting["name"] for setting in importance["settings"]} == {"rho", "beta"}
    assert all(math.isfinite(setting["importance"]) for setting in importance["settings"])
    code, out, _ = run_cli(capsys, "runs", "compare", *[run.id for run in runs], "--json")
    compared = json.loads(out)
    assert code == 0 and len(compared["runs"]) == 8 and compared["importance"]["runs"] == 8
    assert set(compared["differences"]) == {"regularisation.rho", "regularisation.beta", "training.seed"}
    code, out, _ = run_cli(capsys, "runs", "compare", runs[0].id, runs[1].id)  # two seeds of one setting
    assert code == 0 and "differs: training.seed" in out and "No setting varies across these runs" in out
    code, out, _ = run_cli(capsys, "sweep", "--resume", result["sweep_id"], "--json")
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["results"] == result["results"]
    assert len(RunStore().list(sweep=result["sweep_id"])) == 8, "a finished sweep resumed trains nothing again"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--variant", "undercomplete", "--param", "rho=0.1"], "does not use 'rho'"),
        (["--variant", "sparse", "--param", "rho=0.1:0.5:0"], "cannot be 0"),
        (["--variant", "sparse", "--param", "rho=1.2"], "outside"),
        (["--variant", "sparse"], "Give the settings to sweep"),
        (["--variant", "sparse", "--param", "rho"], "NAME=VALUES"),
        (["--variant", "sparse", "--param", "lr=1e-5:1e-1:*1.1", "--param", "beta=1:7:1"], "add --yes"),
        (["--resume", "sweep-nope"], "There is no sweep"),
    ],
)
def test_bad_sweeps_are_refused_before_anything_starts(capsys, args, says):
    before = len(RunStore().list())
    code, _, err = run_cli(capsys, "sweep", *args)
    assert code == 2 and says in err and "Traceback" not in err
    assert len(RunStore().list()) == before


def test_a_resumed_sweep_does_not_queue_again_what_is_waiting_or_training(tmp_path):
    from aecore.sweeps.plans import missing_points, save_plan

    store = RunStore(tmp_path / "runs")
    plan = SweepPlan(BASE, {"rho": [0.1, 0.2]})
    save_plan(store, plan)
    first, _ = plan.points()
    folder, lock = store.create(first.config, sweep=plan.sweep_id, sweep_point=first.key)  # queued, its lock held
    try:
        assert [point.values for point in missing_points(store, plan)] == [{"rho": 0.2}]
    finally:
        lock.release()
    assert len(missing_points(store, plan)) == 2, "once its process is gone, the interrupted point is trained again"


def test_a_runs_legend_names_every_swept_setting_and_its_seed():
    plan = SweepPlan(BASE, {"rho": [0.1, 0.3], "noise_kind": ["masking"]}, seeds=2)
    assert plan.points()[-1].legend == "ρ = 0.3 · Noise kind = masking · seed 1", "the short name, else the label"
