"""The Sweeps page's panels: a sweep's progress, its results table, its plot and its runs' validation curves."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from aecore.runs.compare import per_image
from aecore.runs.folder import validation_points
from aecore.settings.parameters import PARAMETERS
from aecore.settings.variants import VARIANTS
from aecore.sweeps import plans, statistics
from pages._ui.panels import shown_chart
from pages._ui.runtime import run_store

METRICS = {
    "reconstruction": "Reconstruction loss",
    "test_mse": "Test MSE",
    "test_psnr": "Test PSNR (dB)",
    "test_elbo": "Test ELBO (nats)",
}
MEAN_SD_FORMULA = r"\bar x = \frac1n \sum_{i=1}^{n} x_i, \qquad s = \sqrt{\frac{1}{n-1}\sum_{i=1}^{n} (x_i - \bar x)^2}"


def label(name: str, plan: plans.SweepPlan) -> str:
    """A swept setting's label as the sweep's variant names it (β is the VAE's KL weight)."""
    return VARIANTS[plan.base.model.variant].parameter(name).label if name in PARAMETERS else name


def progress_panel(plan: plans.SweepPlan) -> plans.SweepProgress:
    progress = plans.progress(run_store(), plan)
    done = progress.finished / max(progress.total, 1)
    left = "" if progress.seconds_left is None else f" · about {progress.seconds_left / 60:.1f} min left"
    st.progress(
        done,
        text=f"{progress.finished} of {progress.total} runs done · {progress.running} running · "
        f"{progress.waiting} waiting{left}",
    )
    return progress


def mean_sd_text(mean: float, sd: float, seeds: int, digits: str = ".4g", sd_digits: str = ".2g") -> str:
    if not seeds or math.isnan(mean):
        return "–"
    return f"{mean:{digits}} ± {sd:{sd_digits}}" if seeds > 1 else f"{mean:{digits}}"


def present_metrics(rows: list[dict[str, Any]]) -> list[str]:
    return [metric for metric in METRICS if any(row["seeds"] and not math.isnan(row[f"{metric}_mean"]) for row in rows)]


def results_frame(rows: list[dict[str, Any]], plan: plans.SweepPlan) -> pd.DataFrame:
    """The table in the seed report's layout: a setting, then the reconstruction loss (mean ± sd over seeds)."""
    best = statistics.clear_best(rows)
    records = []
    for index, row in enumerate(rows):
        record = {label(name, plan): plans.format_value(row[name]) for name in plan.parameters}
        record["Seeds"] = row["seeds"]
        for metric in present_metrics(rows):
            record[METRICS[metric]] = mean_sd_text(row[f"{metric}_mean"], row[f"{metric}_sd"], row["seeds"])
        if plan.reference:
            published = row["seed_report"]
            record["Seed report (per batch)"] = "" if math.isnan(published) else f"{published:,.2f}"
            record[f"Ours, per batch of {plan.base.training.batch_size}"] = mean_sd_text(
                row["ours_per_batch"], row["ours_per_batch_sd"], row["seeds"], ",.0f", ",.0f"
            )
        record["Best"] = "★ clearly best" if index == best else ""
        records.append(record)
    return pd.DataFrame(records)


def csv_frame(rows: list[dict[str, Any]], plan: plans.SweepPlan) -> str:
    columns = [*plan.parameters, "seeds"]
    columns += [f"{metric}_{part}" for metric in present_metrics(rows) for part in ("mean", "sd")]
    if plan.reference:
        columns += ["seed_report", "ours_per_batch", "ours_per_batch_sd"]
    frame = pd.DataFrame([{column: row.get(column) for column in columns} for row in rows])
    for name in plan.parameters:
        frame[name] = frame[name].map(plans.format_value)
    return frame.to_csv(index=False)


def plot_panel(rows: list[dict[str, Any]], plan: plans.SweepPlan, key: str) -> None:
    from aecore.figures import sweeps as sweep_figures

    metrics = present_metrics(rows)
    if not metrics:
        return
    metric = st.selectbox("Metric", metrics, format_func=METRICS.get, key=f"{key}_metric")
    names = list(plan.parameters)
    if len(names) == 1:
        (name,) = names
        figure = sweep_figures.metric_against_setting(
            [row[name] if not isinstance(row[name], tuple) else plans.format_value(row[name]) for row in rows],
            np.array([row[f"{metric}_mean"] for row in rows]),
            np.array([row[f"{metric}_sd"] for row in rows]),
            [row["seeds"] for row in rows],
            label(name, plan),
            METRICS[metric],
        )
        caption = "Mean over seeds, with ± one standard deviation as error bars."
    else:
        first, second = names
        figure = sweep_figures.metric_heatmap(
            [plans.format_value(value) for value in plan.parameters[first]],
            [plans.format_value(value) for value in plan.parameters[second]],
            statistics.grid_matrix(rows, plan, f"{metric}_mean"),
            statistics.grid_matrix(rows, plan, f"{metric}_sd"),
            statistics.grid_matrix(rows, plan, "seeds"),
            label(first, plan),
            label(second, plan),
            METRICS[metric],
        )
        caption = "Each cell: the mean over seeds; hover for mean ± sd and the number of seeds."
    shown_chart(figure, f"{key}_plot")
    st.caption(caption + " The camera button above the plot saves it as a PNG.")


def curves_panel(plan: plans.SweepPlan, key: str) -> None:
    """The finished runs' validation reconstruction loss per epoch, per image as in the table, coloured by the
    first setting's value: one line per setting (the mean over its seeds, ± sd as error bars), or one per run."""
    from aecore.figures import sweeps as sweep_figures
    from aecore.runs.compare import mean_and_spread

    store = run_store()
    name = next(iter(plan.parameters))
    finished = plans.finished_points(store, plan)
    every_seed = plan.seeds == 1 or st.toggle("Every seed", value=False, key=f"{key}_every_seed")
    lines: dict[str, tuple[Any, list[np.ndarray], list[np.ndarray]]] = {}
    for point in plan.points():  # the grid's order, so the legend lists values as the table does
        record = finished.get(point.key)
        if record is None:
            continue
        epochs, losses = validation_points(store.folder(record.id).history().epochs, "reconstruction")
        legend = point.legend if every_seed else " · ".join(point.legend.split(" · ")[:-1])
        entry = lines.setdefault(legend, (point.values[name], [], []))
        entry[1].append(np.asarray(epochs))
        entry[2].append(per_image(losses, record.config))
    if not lines:
        return
    curves, spreads = [], []
    for legend, (value, epochs, losses) in lines.items():
        mean, spread = mean_and_spread(losses)
        seeds = f" · mean of {len(losses)} seeds" if len(losses) > 1 else ""
        curves.append((value, legend + seeds, epochs[0][: len(mean)], mean))
        spreads.append(spread if len(losses) > 1 else None)
    figure = sweep_figures.curves_by_setting(curves, "validation reconstruction loss per image", spreads=spreads)
    shown_chart(figure, f"{key}_curves")
    st.caption(
        ("One line per run" if every_seed else "One line per setting: the mean over its seeds, ± sd as error bars")
        + ": the validation reconstruction loss after each epoch, per image like the table's (a run that sums its "
        f"loss over a batch is divided by its batch size), coloured by {label(name, plan)}."
    )


@st.cache_data(show_spinner=False, max_entries=32)
def _importance(run_ids: tuple[str, ...], metric: str) -> Any:
    """What mattered among these finished runs (computed once per set of runs and metric: 20 small forests)."""
    from aecore.sweeps.importance import runs_importance

    store = run_store()
    return runs_importance([store.record(run_id) for run_id in run_ids], metric)


def importance_panel(plan: plans.SweepPlan, key: str) -> None:
    """What mattered for the metric picked above the plot: each setting against a random one, and the sentence."""
    from aecore.errors import AecoreError
    from aecore.figures import sweeps as sweep_figures

    picked = st.session_state.get(f"{key}_metric", "reconstruction")
    metric = "test_reconstruction" if picked == "reconstruction" else picked
    run_ids = tuple(sorted(record.id for record in plans.finished_points(run_store(), plan).values()))
    st.markdown(f"**What mattered** for {METRICS.get(picked, picked).lower()}")
    try:
        with st.spinner("Fitting 20 random forests, each with a random setting beside the swept ones…"):
            found = _importance(run_ids, metric)
    except AecoreError as error:
        st.caption(str(error))
        return
    labels = {name: label(name, plan) for name in plan.parameters}
    st.markdown(found.sentence(labels))
    figure = sweep_figures.importance_bars(
        [labels.get(setting.name, setting.name) for setting in found.settings],
        [setting.importance for setting in found.settings],
        [setting.rank_correlation for setting in found.settings],
        found.dummy_p95,
        METRICS.get(picked, picked).lower(),
    )
    shown_chart(figure, f"{key}_importance", height=None)
    st.caption(
        f"Over {found.runs} finished runs: each bar is a setting's permutation importance in a random forest that "
        "predicts the metric from the settings (mean of 20 fits); ρₛ its rank correlation with the metric. Each fit "
        "also gets a setting of random numbers: a setting mattered when it beats that random setting's 95th "
        "percentile (dashed), so the seed-to-seed spread alone does not make a setting look important."
    )


def _filters(table: Any, labels: dict[str, str], key: str) -> dict[str, Any]:
    """A range slider per number column and a pick list per other column, four to a row."""
    names = [*table.settings, *table.metrics]
    columns = st.columns(min(4, len(names)))
    ranges: dict[str, Any] = {}
    for index, name in enumerate(names):
        values = table.column(name)
        with columns[index % len(columns)]:
            if table.numeric(name):
                finite = [float(value) for value in values if math.isfinite(float(value))]
                low, high = min(finite), max(finite)
                if low < high:
                    ranges[name] = st.slider(
                        labels[name], low, high, (low, high), step=(high - low) / 100, format="%.3g",
                        key=f"{key}_range_{name}",
                    )  # fmt: skip
            else:
                options = sorted({str(value) for value in values})
                ranges[name] = st.multiselect(labels[name], options, default=options, key=f"{key}_pick_{name}")
    return ranges


def runs_panel(plan: plans.SweepPlan, key: str) -> None:
    """Every finished run across the settings that vary and the metrics: parallel coordinates or a scatter matrix
    coloured by a metric, and a table below with range filters per column; a run picked there opens on Train."""
    from aecore.figures import sweeps as sweep_figures
    from aecore.sweeps.table import METRIC_LABELS, runs_table, within
    from pages._ui.session import open_in_train

    records = sorted(plans.finished_points(run_store(), plan).values(), key=lambda record: record.id)
    table = runs_table(records)
    if len(records) < 2 or not table.settings or not table.metrics:
        return
    labels = {name: label(name, plan) for name in table.settings} | {m: METRIC_LABELS[m] for m in table.metrics}
    st.markdown("**Every run** · settings against metrics, one line or dot per run")
    colour = st.selectbox("Colour by", list(table.metrics), format_func=METRIC_LABELS.get, key=f"{key}_colour")
    parallel, scatter = st.tabs(["Parallel coordinates", "Scatter matrix"])
    with parallel:
        columns = {labels[name]: table.column(name) for name in [*table.settings, *table.metrics]}
        shown_chart(sweep_figures.parallel_coordinates(columns, labels[colour]), f"{key}_parallel", height=None)
        st.caption("Drag along an axis to keep a range of lines; the filters below do the same for the table.")
    with scatter:
        settings = {labels[name]: table.settings[name] for name in table.settings}
        figure = sweep_figures.scatter_matrix(settings, labels[colour], table.metrics[colour])
        shown_chart(figure, f"{key}_scatter", height=None)
    keep = within(table, _filters(table, labels, key))
    kept = [record for record, passes in zip(records, keep, strict=True) if passes]
    frame = pd.DataFrame(
        [
            {
                "Run": record.id,
                "Seed": record.parameters.get("seed"),
                **{labels[name]: plans.format_value(record.parameters.get(name)) for name in table.settings},
                **{labels[metric]: record.metrics.get(metric) for metric in table.metrics},
            }
            for record in kept
        ]
    )
    st.caption(f"{len(kept)} of {len(records)} runs pass the filters · pick one to open it on the Train page.")
    event = st.dataframe(
        frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key=f"{key}_runs"
    )
    picked = [kept[row] for row in event.selection.rows if row < len(kept)]
    if picked and st.button(f"Open {picked[0].id} in Train", icon=":material/open_in_new:", key=f"{key}_open"):
        open_in_train(picked[0].id, picked[0].config)
