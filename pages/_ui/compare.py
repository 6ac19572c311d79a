"""Two to six stored runs side by side: loss curves on one axis, test metrics with the best marked, probe
reconstructions under the same clean images, and only the settings that differ."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from aecore.runs.compare import METRIC_DIRECTIONS, best_runs, config_differences, epoch_axis
from aecore.runs.folder import validation_points
from pages._ui.panels import METRIC_LABELS, shown_chart
from pages._ui.session import stored_snapshot

if TYPE_CHECKING:
    from aecore.runs.index import RunRecord

#: the term a comparison shows first
DEFAULT_TERM = "reconstruction"


#: longer run names are cut at the front in legends and table headers (a sweep's runs differ at the end)
MAX_LABEL = 32


def run_labels(records: list[RunRecord]) -> dict[str, str]:
    """A short unique label per run: its name (its end, if long), with its id's tail when two runs share one."""
    names = [
        record.name if len(record.name) <= MAX_LABEL else "…" + record.name[-MAX_LABEL + 1 :] for record in records
    ]
    return {
        record.id: name if names.count(name) == 1 else f"{name} ({record.id[-6:]})"
        for record, name in zip(records, names, strict=True)
    }


def curves_panel(snapshots: dict[str, Any]) -> None:
    terms = [
        term
        for term in next(iter(snapshots.values())).batch_terms
        if all(term in s.batch_terms for s in snapshots.values())
    ]
    if not terms:
        st.caption("These runs have no loss term in common.")
        return
    pick, scale = st.columns([2, 1], vertical_alignment="bottom")
    term = pick.selectbox("Loss term", terms, index=terms.index(DEFAULT_TERM) if DEFAULT_TERM in terms else 0)
    log_y = scale.toggle("Log scale", value=True, key="compare_log_scale")
    from aecore.figures import curves

    runs = {}
    for label, snapshot in snapshots.items():
        history = snapshot.epoch_history
        values = snapshot.batch_terms[term]
        per_epoch = snapshot.batches_per_epoch or max(len(values), 1)
        runs[label] = (
            epoch_axis(len(values), per_epoch),
            values,
            *validation_points(history, term),
        )
    shown_chart(curves.compared_curves(runs, term, log_y), "compare_curves_chart")
    st.caption("Per batch (solid) and on the validation set after each epoch (dashed), against epochs.")


def metrics_panel(snapshots: dict[str, Any]) -> None:
    metrics = {label: snapshot.test_metrics or {} for label, snapshot in snapshots.items()}
    present = [name for name in METRIC_DIRECTIONS if any(name in values for values in metrics.values())]
    if not present:
        st.caption("None of these runs got as far as its test metrics.")
        return
    frame = pd.DataFrame(
        {METRIC_LABELS[name][0]: [metrics[label].get(name, np.nan) for label in metrics] for name in present},
        index=list(metrics),
    )
    best = best_runs(metrics, {label: snapshot.config for label, snapshot in snapshots.items()})

    def highlight(column: pd.Series) -> list[str]:
        name = next(key for key, (label, _) in METRIC_LABELS.items() if label == column.name)
        best_run = best[name].run if name in best else None
        return ["font-weight: bold; background-color: #d8f3dc" if run == best_run else "" for run in column.index]

    st.table(frame.style.apply(highlight).format("{:.4g}", na_rep="–"))
    st.caption(
        "Highlighted: the best run in each column (lowest loss and MSE; highest PSNR and ELBO), among runs on the "
        "same dataset and test noise. MSE and PSNR compare across losses; the reconstruction loss and the ELBO only "
        "within one loss. All are per image or pixel, whatever the batch reduction."
    )
    for name, verdict in best.items():
        if verdict.why_none:
            st.caption(f"{METRIC_LABELS[name][0]}: {verdict.why_none}.")


def probes_panel(snapshots: dict[str, Any]) -> None:
    from aecore.figures import mosaics

    with_preview = {label: s for label, s in snapshots.items() if s.preview is not None}
    if not with_preview:
        st.caption("None of these runs got as far as a preview.")
        return
    first = next(iter(with_preview.values()))
    same = {label: s for label, s in with_preview.items() if s.config.dataset == first.config.dataset}
    rows = {"clean": first.preview.probe_clean[:8]}
    rows.update({label[:24]: s.preview.probe_reconstruction[:8] for label, s in same.items()})
    shown_chart(mosaics.image_rows(rows), "compare_probe_chart", height=None, width="content")
    others = [label for label in with_preview if label not in same]
    if others:
        st.caption(f"Not shown (another dataset): {', '.join(others)}.")


def settings_panel(snapshots: dict[str, Any]) -> None:
    differences = config_differences({label: snapshot.config for label, snapshot in snapshots.items()})
    if not differences:
        st.caption("These runs have exactly the same settings.")
        return
    frame = pd.DataFrame(
        {label: [str(values[i]) for values in differences.values()] for i, label in enumerate(snapshots)}
    )
    frame.index = list(differences)
    st.table(frame)


def compare_section(records: list[RunRecord]) -> None:
    st.subheader(f"Compare {len(records)} runs")
    labels = run_labels(records)
    stored = {record.id: stored_snapshot(record.id) for record in records}
    # a run whose settings changed while it trained: its config alone no longer describes it, and its label says so
    snapshots = {
        labels[run_id] + (" · changed live" if snapshot.live_changes else ""): snapshot
        for run_id, snapshot in stored.items()
    }
    notes = [
        f"{label}: "
        + ", ".join(f"{change.label(snapshot.config.model.variant)} at batch {change.batch}" for change in changes)
        for label, snapshot in snapshots.items()
        if (changes := snapshot.live_changes)
    ]
    if notes:
        st.caption(
            "Changed while training (the settings below are those each run started with): " + "; ".join(notes) + "."
        )
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Loss curves**")
        curves_panel(snapshots)
    with right:
        st.markdown("**Test metrics**")
        metrics_panel(snapshots)
        st.markdown("**Settings that differ**")
        settings_panel(snapshots)
    st.markdown("**Probe reconstructions** · one row per run, under the same clean images")
    probes_panel(snapshots)
