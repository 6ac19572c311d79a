"""AppTest tests of the Sweeps page: no sweeps yet, a finished sweep's results, a reproduced seed table, bad input."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from page_support import texts
from streamlit.testing.v1 import AppTest
from sweep_support import BASE, fake_finished

from aecore.sweeps.plans import SweepPlan, save_plan
from aecore.sweeps.seed_tables import reproduction_plan

SWEEPS_PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "sweeps.py")


def sweeps_page() -> AppTest:
    at = AppTest.from_file(SWEEPS_PAGE, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def chart(at: AppTest, name: str) -> dict:
    """The plotly JSON of the sweep view's chart whose key ends with ``_name``."""
    return json.loads(next(c for c in at.get("plotly_chart") if c.key.endswith(f"_{name}")).proto.spec)


def plotted(values: dict | list) -> list[float]:
    """A trace's values from plotly's JSON, which packs numpy arrays as base64 ``bdata``."""
    if isinstance(values, list):
        return values
    return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()


def test_no_sweeps_yet(page_store) -> None:
    at = sweeps_page()
    assert "No sweeps yet" in texts(at.info)
    assert any(widget.label == "Start from" for widget in at.radio)


def test_a_finished_sweep_shows_its_table_plot_and_download(page_store) -> None:
    plan = SweepPlan(BASE, {"rho": [0.1, 0.2, 0.3]}, seeds=2, name="rho demo")
    save_plan(page_store, plan)
    fake_finished(page_store, plan, {(0.1,): [9.0, 9.2], (0.2,): [5.0, 5.1], (0.3,): [8.0, 8.4]})
    at = sweeps_page()
    assert "6 of 6 runs done" in at.get("progress")[0].proto.text
    table = at.dataframe[0].value
    assert list(table["ρ (target activation)"]) == ["0.1", "0.2", "0.3"]
    assert list(table["Seeds"]) == [2, 2, 2]
    assert table["Reconstruction loss"][1] == "5.05 ± 0.071"
    assert list(table["Best"]) == ["", "★ clearly best", ""]
    keys = [chart.key.rsplit("_", 1)[1] for chart in at.get("plotly_chart")]
    assert keys == ["plot", "curves", "importance", "parallel", "scatter"]
    lines = chart(at, "curves")["data"]
    assert [line["name"] for line in lines] == [f"ρ = {rho} · mean of 2 seeds" for rho in (0.1, 0.2, 0.3)]
    assert all(line["error_y"]["type"] == "data" for line in lines), "± sd over the seeds as error bars"
    at.toggle(key=f"{plan.sweep_id}_every_seed").set_value(True).run()
    assert len(chart(at, "curves")["data"]) == 6, "one line per run when asked"
    assert any(widget.proto.label == "Results (CSV)" for widget in at.get("download_button"))
    assert any("\\bar x" in latex.value for latex in at.latex)


def test_the_validation_curves_are_per_image_like_the_table_and_name_both_settings(page_store) -> None:
    summed = BASE.with_changes(model={"reduction": "sum"})
    plan = SweepPlan(summed, {"rho": [0.1, 0.3], "beta": [1.0, 3.0]}, seeds=1, name="rho by beta")
    save_plan(page_store, plan)
    fake_finished(page_store, plan, {(rho, beta): [100 * rho + beta] for rho in (0.1, 0.3) for beta in (1.0, 3.0)})
    at = sweeps_page()
    curves = chart(at, "curves")
    lines = {trace["name"]: plotted(trace["y"]) for trace in curves["data"]}
    assert lines["ρ = 0.1 · β = 3 · seed 0"] == [13.0], "the batch-summed 832 over the batch of 64: the table's units"
    assert set(lines) == {f"ρ = {rho} · β = {beta} · seed 0" for rho in (0.1, 0.3) for beta in (1, 3)}
    assert curves["layout"]["yaxis"]["title"]["text"] == "validation reconstruction loss per image"


def test_a_reproduced_seed_table_stands_beside_the_published_numbers(page_store) -> None:
    plan = reproduction_plan("rho", seeds=2)
    save_plan(page_store, plan)
    fake_finished(page_store, plan, {(rho,): [90.0, 91.0] for rho in plan.parameters["rho"]})
    at = sweeps_page()
    table = at.dataframe[0].value
    assert list(table["Seed report (per batch)"])[:2] == ["3,211.51", "2,904.55"]
    assert "Ours, per batch of 32" in table.columns
    assert "The report picks rho = 0.2 and 0.6" in texts(at.info)


def test_bad_values_are_a_clear_message_before_anything_starts(page_store) -> None:
    at = sweeps_page()
    at.radio(key="sweep_base_source").set_value("A preset").run()
    at.selectbox(key="sweep_base_preset").set_value("seed-sparse").run()
    at.selectbox(key="sweep_param_1").set_value("rho").run()
    at.text_input(key="sweep_values_1").input("0.1:0.7:0").run()
    assert not at.exception, at.exception
    assert "step cannot be 0" in texts(at.error)
    assert not any(button.label == "Start the sweep" for button in at.button)
    at.text_input(key="sweep_values_1").input("0.1:0.7:0.1").run()
    assert "7 settings × 2 seeds = 14 runs" in texts(at.markdown)


def test_what_mattered_says_which_setting_beat_a_random_one(page_store) -> None:
    plan = SweepPlan(BASE, {"rho": [0.1, 0.2, 0.3], "beta": [1.0, 2.0, 4.0]}, seeds=3, name="rho by beta")
    save_plan(page_store, plan)
    spread = [-0.05, 0.0, 0.05]  # the seeds' spread, far below what β does
    fake_finished(
        page_store,
        plan,
        {
            (rho, beta): [10 + 2 * np.log(beta) + d + rho / 10 for d in spread]
            for rho in (0.1, 0.2, 0.3)
            for beta in (1.0, 2.0, 4.0)
        },
    )
    at = sweeps_page()
    assert not at.exception, at.exception
    sentence = next(text for text in (m.value for m in at.markdown) if "mattered" in text and "random setting" in text)
    assert sentence.startswith("β (sparsity weight) mattered; ρ (target activation) did not"), sentence
    bars = chart(at, "importance")["data"][0]
    assert bars["y"] == ["β (sparsity weight)", "ρ (target activation)"]
    assert "Over 27 finished runs" in texts(at.caption)


def test_every_run_in_parallel_coordinates_a_scatter_matrix_and_a_table_filtered_by_range(page_store) -> None:
    plan = SweepPlan(BASE, {"rho": [0.1, 0.3], "beta": [1.0, 4.0]}, seeds=2, name="rho by beta")
    save_plan(page_store, plan)
    fake_finished(
        page_store, plan, {(rho, beta): [beta + rho, beta + rho + 0.1] for rho in (0.1, 0.3) for beta in (1.0, 4.0)}
    )
    at = sweeps_page()
    axes = [dimension["label"] for dimension in chart(at, "parallel")["data"][0]["dimensions"]]
    assert axes == ["β (sparsity weight)", "ρ (target activation)", "reconstruction loss", "test MSE", "test PSNR (dB)"]
    assert [trace["xaxis"] for trace in chart(at, "scatter")["data"]] == ["x", "x2"], "one panel per varying setting"
    assert "8 of 8 runs pass the filters" in texts(at.caption)
    at.slider(key=f"{plan.sweep_id}_range_beta").set_value((2.5, 4.0)).run()
    assert "4 of 8 runs pass the filters" in texts(at.caption)
    table = next(frame.value for frame in at.dataframe if "Run" in frame.value.columns)
    assert set(table["β (sparsity weight)"]) == {"4"} and len(table) == 4
    picked = AppTest.from_file(SWEEPS_PAGE, default_timeout=120)
    picked.session_state[f"{plan.sweep_id}_runs"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    picked.run()
    first = next(frame.value for frame in picked.dataframe if "Run" in frame.value.columns)["Run"][0]
    assert any(button.label == f"Open {first} in Train" for button in picked.button), "a picked run opens on Train"
