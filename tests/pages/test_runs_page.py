"""AppTest tests of the Runs page, of stored runs opened on the Train page, and of settings shared by link."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from page_support import texts
from streamlit.testing.v1 import AppTest

from aecore.jobs.run_jobs import new_job
from aecore.runs.store import RunStore
from aecore.settings.config import ModelConfig, RegularisationConfig, RunConfig, TrainingConfig
from pages import _ui as ui

ROOT = Path(__file__).resolve().parents[2]
RUNS_PAGE = str(ROOT / "pages" / "runs.py")
TRAIN_PAGE = str(ROOT / "pages" / "train.py")
TIMEOUT = 120


def sparse_run(page_store: RunStore, beta: float, name: str) -> str:
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="sparse", latent_dim=16),
        regularisation=RegularisationConfig(beta=beta),
        training=TrainingConfig(epochs=1, batch_size=64),
    )
    job = new_job(config, page_store, name=name)
    job.run()
    return job.run_id


def stored_run(page_store: RunStore, name: str, loss: str, reduction: str, metrics: dict[str, float]) -> str:
    """A finished run with the given test metrics, stored without training."""
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="sparse", latent_dim=16, loss=loss, reduction=reduction),
        training=TrainingConfig(epochs=1, batch_size=64),
    )
    folder, lock = page_store.create(config, name=name)
    folder.write_json("metrics.json", metrics)
    page_store.save(folder, status="finished", ended=time.time(), epochs_done=1)
    lock.release()
    return folder.run_id


def highlighted_cells(table) -> set[tuple[str, str]]:
    """The (run, metric) cells of an ``st.table`` the comparison's highlight colours."""
    frame = table.value
    rules = [rule for rule in table.proto.arrow_data.styler.styles.split("}") if "#d8f3dc" in rule]
    return {
        (frame.index[int(row)], frame.columns[int(column)])
        for rule in rules
        for row, column in re.findall(r"_row(\d+)_col(\d+)", rule)
    }


def runs_page(selected: list[int] | None = None) -> AppTest:
    """The Runs page with rows ``selected`` (positions in the table, newest run first) as a person ticked them."""
    at = AppTest.from_file(RUNS_PAGE, default_timeout=TIMEOUT)
    if selected is not None:
        ids = [record.id for record in ui.run_store().list()]
        key = ui.selection_key("runs_table", ids)
        at.session_state[key] = {"selection": {"rows": selected, "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    return at


def query_value(at: AppTest, name: str) -> str:
    """A query parameter as the address bar shows it (AppTest keeps each as a list of values)."""
    value = at.query_params[name]
    return value[-1] if isinstance(value, list) else value


def test_an_empty_store_says_so_and_links_to_train(page_store) -> None:
    at = runs_page()
    assert "No runs yet" in texts(at.info)
    assert not at.dataframe


def test_the_table_lists_every_run_newest_first(page_store) -> None:
    first, second = sparse_run(page_store, 1.0, "beta one"), sparse_run(page_store, 4.0, "beta four")
    at = runs_page()
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["beta four", "beta one"]
    assert list(table["Id"]) == [second, first]
    assert "β 4" in table["Settings"][0] and "ρ 0.2" in table["Settings"][0]
    assert set(table["Status"]) == {"finished"} and table["Test MSE"].notna().all()
    assert "2 of 2 runs" in texts(at.caption)


def test_comparing_two_runs_overlays_their_curves_and_names_what_differs(page_store) -> None:
    sparse_run(page_store, 1.0, "beta one")
    sparse_run(page_store, 4.0, "beta four")
    at = runs_page(selected=[0, 1])
    assert "Compare 2 runs" in texts(at.subheader)
    assert len(at.get("plotly_chart")) == 2  # the curves and the probe rows
    frames = [table.value for table in at.table]
    differences = next(frame for frame in frames if "regularisation.beta" in frame.index)
    assert list(differences.loc["regularisation.beta"]) == ["4.0", "1.0"]
    assert "model.variant" not in differences.index, "only what differs is shown"
    assert "Highlighted: the best run" in texts(at.caption)


def test_a_comparison_marks_no_best_loss_between_runs_of_different_losses(page_store) -> None:
    """A summed BCE of 150 and an MSE of 28 are not the same quantity: only MSE and PSNR, which are, get a best."""
    stored_run(
        page_store, "bce summed", "bce", "sum", {"test_reconstruction": 150.0, "test_mse": 0.05, "test_psnr": 13}
    )
    stored_run(page_store, "mse", "mse", "mean", {"test_reconstruction": 28.34, "test_mse": 0.04, "test_psnr": 14})
    at = runs_page(selected=[0, 1])
    metrics = next(table for table in at.table if "Test reconstruction loss" in table.value.columns)
    assert highlighted_cells(metrics) == {("mse", "Test MSE"), ("mse", "Test PSNR (dB)")}
    captions = texts(at.caption)
    assert "Test reconstruction loss: no best: these runs use different losses (mse, bce)." in captions
    assert "MSE and PSNR compare across losses" in captions


def test_a_run_changed_while_it_trained_is_marked_in_a_comparison(page_store) -> None:
    from aecore.runs.folder import History
    from aecore.settings.live import LiveChange

    stored_run(page_store, "steady", "mse", "mean", {"test_mse": 0.05})
    changed = stored_run(page_store, "beta turned up", "mse", "mean", {"test_mse": 0.04})
    page_store.folder(changed).write_history(History({}, [], [LiveChange(30, "beta", 3.0, 9.0)]))
    at = runs_page(selected=[0, 1])
    metrics = next(table for table in at.table if "Test MSE" in table.value.columns)
    assert list(metrics.value.index) == ["beta turned up · changed live", "steady"]
    assert "beta turned up · changed live: β 3 → 9 at batch 30" in texts(at.caption)


def tag_filter(at: AppTest):
    return next(box for box in at.multiselect if box.label == "Tag")


def test_one_selected_run_can_be_renamed_tagged_and_deleted(page_store) -> None:
    run_id = sparse_run(page_store, 2.0, "old name")
    at = runs_page(selected=[0])
    assert any(code.value.startswith("tensorboard --logdir") and run_id in code.value for code in at.code)
    name_box = next(box for box in at.text_input if box.label == "Name")
    name_box.input("new name")
    next(button for button in at.button if button.label == "Rename").click().run()
    assert not at.exception, at.exception
    assert page_store.record(run_id).name == "new name"
    assert tag_filter(at).proto.placeholder == "No tags yet" and not tag_filter(at).options
    assert all(box.proto.placeholder == "Any" for box in at.multiselect if box.label != "Tag"), "empty lets all in"
    tags_box = next(box for box in at.text_input if box.label == "Tags, comma separated")
    tags_box.input("demo, best")
    next(button for button in at.button if button.label == "Save tags").click().run()
    assert page_store.record(run_id).tags == ("demo", "best")
    assert tag_filter(at).proto.placeholder == "Any" and tag_filter(at).options == ["best", "demo"]
    next(button for button in at.button if button.label == "Yes, delete").click().run()
    assert not at.exception, at.exception
    assert not page_store.has(run_id)


def test_a_stored_run_opens_on_the_train_page_after_a_restart(page_store) -> None:
    """No job of this process trained it (as after a server restart): the page reads it from the page_store."""
    run_id = sparse_run(page_store, 2.0, "from yesterday")
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)
    at.query_params[ui.QUERY_PARAM] = run_id
    at.run()
    assert not at.exception, at.exception
    assert "KL sparsity penalty" in texts(at.markdown) and "Model summary" in texts(at.markdown)
    assert {"Test MSE", "Test PSNR (dB)"} <= {metric.label for metric in at.metric}
    assert {"Model (.keras)", "Run archive (.zip)"} <= {widget.proto.label for widget in at.get("download_button")}
    train = next(button for button in at.button if button.label == "Train")
    assert not train.disabled, "a stored run does not block a new one"


def test_a_shared_link_sets_the_controls_and_drops_what_it_cannot_use(page_store) -> None:
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)
    for name, value in {"variant": "sparse", "rho": "0.3", "beta": "lots", "latent_dim": "32", "nope": "1"}.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key=ui.widget_key("variant")).value == "sparse"
    assert at.slider(key=ui.widget_key("rho")).value == pytest.approx(0.3)
    assert at.number_input(key=ui.widget_key("latent_dim")).value == 32
    notice = texts(at.warning)
    assert "β (sparsity weight): 'lots' is not a number" in notice and "'nope' is not a setting" in notice
    shared = {name: query_value(at, name) for name in ("variant", "rho", "beta", "latent_dim")}
    assert shared == {"variant": "sparse", "rho": "0.3", "beta": "8", "latent_dim": "32"}, "β: the sparse default"
    assert "nope" not in at.query_params


def test_a_link_to_an_unknown_variant_falls_back_to_the_defaults(page_store) -> None:
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)
    at.query_params["variant"] = "transformer"
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key=ui.widget_key("variant")).value == ui.DEFAULT_VARIANT
    assert "unknown variant 'transformer'" in texts(at.warning)


def test_a_run_training_for_another_tab_cannot_be_renamed_tagged_or_deleted_here(page_store) -> None:
    """Without the run's key a tab sees the run, not its controls; Delete is checked on the server, and its refusal
    stays on the page (no rerun wipes it)."""
    folder, lock = page_store.create(RunConfig(dataset="digits"), name="theirs")  # queued: live, its lock held
    ui.run_registry().add(folder.run_id, 999, "another tab's session", None)
    try:
        at = runs_page(selected=[0])
        assert "only the tab that holds its key" in texts(at.caption)
        rename = next(button for button in at.button if button.label == "Rename")
        assert rename.disabled and next(box for box in at.text_input if box.label == "Name").disabled
        next(button for button in at.button if button.label == "Yes, delete").click().run()
        assert "Could not delete 'theirs'" in texts(at.error) and "training for another tab" in texts(at.error)
        assert page_store.record(folder.run_id).name == "theirs" and page_store.has(folder.run_id)
    finally:
        lock.release()


def test_old_runs_are_removed_from_the_runs_page_after_it_says_what_and_how_much(page_store) -> None:
    folder, lock = page_store.create(RunConfig(dataset="digits"), name="last term")
    page_store.save(folder, status="finished", created=time.time() - 90 * 86_400)
    lock.release()
    at = runs_page()
    assert "Would remove 1 run and 0 uploaded datasets" in texts(at.caption)
    next(button for button in at.button if button.label.startswith("Remove 1 run")).click().run()
    assert not at.exception, at.exception
    assert "Removed 1 run" in texts(at.success) and not page_store.has(folder.run_id)


def test_seeds_of_one_setting_compare_as_their_mean_with_the_spread(page_store) -> None:
    from sweep_support import BASE, fake_finished

    from aecore.sweeps.plans import SweepPlan

    plan = SweepPlan(BASE, {"rho": [0.1, 0.3]}, seeds=2, name="seeds")
    fake_finished(page_store, plan, {(0.1,): [4.0, 6.0], (0.3,): [9.0, 9.0]})
    at = runs_page(selected=[0, 1, 2, 3])
    assert any(toggle.label == "Seeds as mean ± sd" and toggle.value for toggle in at.toggle)
    table = next(table.value for table in at.table if "Test MSE" in table.value.columns)
    assert len(table) == 2 and all(label.endswith("+ 1 seeds") for label in table.index)
    assert sorted(table["Test MSE"].round(4)) == [0.05, 0.09], "each group's mean over its two seeds"
    assert "their standard deviations" in texts(at.caption)
    curves = json.loads(next(c for c in at.get("plotly_chart") if c.key == "compare_curves_chart").proto.spec)
    assert sum(trace.get("fill") == "toself" for trace in curves["data"]) == 2, "a ± sd band per group of seeds"
    next(toggle for toggle in at.toggle if toggle.label == "Seeds as mean ± sd").set_value(False).run()
    table = next(table.value for table in at.table if "Test MSE" in table.value.columns)
    assert len(table) == 4, "one row per run when asked"
