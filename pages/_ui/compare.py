"""Two to six stored runs side by side: loss curves on one axis, test metrics with the best marked, probe
reconstructions under the same clean images, and only the settings that differ."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from aecore.runs.compare import (
    METRIC_DIRECTIONS,
    best_runs,
    config_differences,
    epoch_axis,
    mean_and_spread,
    seed_group_key,
    seed_groups,
    seeds_metrics,
)
from aecore.runs.folder import validation_points
from pages._ui.panels import METRIC_LABELS, shown_chart
from pages._ui.runtime import run_store
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


def curves_panel(groups: dict[str, list[Any]]) -> None:
    """One line per run, or per group of seeds: their mean, with ± one sd as a band."""
    everyone = [snapshot for snapshots in groups.values() for snapshot in snapshots]
    terms = [term for term in everyone[0].batch_terms if all(term in s.batch_terms for s in everyone)]
    if not terms:
        st.caption("These runs have no loss term in common.")
        return
    pick, scale = st.columns([2, 1], vertical_alignment="bottom")
    term = pick.selectbox("Loss term", terms, index=terms.index(DEFAULT_TERM) if DEFAULT_TERM in terms else 0)
    log_y = scale.toggle("Log scale", value=True, key="compare_log_scale")
    from aecore.figures import curves

    runs, spreads = {}, {}
    for label, snapshots in groups.items():
        first = snapshots[0]
        values, spread = mean_and_spread([s.batch_terms[term] for s in snapshots])
        epoch_ends, validation = validation_points(first.epoch_history, term)
        if len(snapshots) > 1:
            validation, _ = mean_and_spread([validation_points(s.epoch_history, term)[1] for s in snapshots])
            epoch_ends, spreads[label] = epoch_ends[: len(validation)], spread
        per_epoch = first.batches_per_epoch or max(len(values), 1)
        runs[label] = (epoch_axis(len(values), per_epoch), values, epoch_ends, validation)
    shown_chart(curves.compared_curves(runs, term, log_y, spreads), "compare_curves_chart")
    st.caption(
        "Per batch (solid) and on the validation set after each epoch (dashed), against epochs"
        + ("; a group of seeds is their mean, with ± one standard deviation as a band." if spreads else ".")
    )


def metrics_panel(groups: dict[str, list[Any]]) -> None:
    """Each run's test metrics, or each group's mean over its seeds (with the sd said below)."""
    snapshots = {label: members[0] for label, members in groups.items()}
    metrics, spreads = {}, []
    for label, members in groups.items():
        metrics[label], sds = seeds_metrics([s.test_metrics or {} for s in members])
        shown = [f"{METRIC_LABELS[name][0]} ± {sds[name]:.2g}" for name in METRIC_DIRECTIONS if name in sds]
        if shown:
            spreads.append(f"{label}: " + ", ".join(shown))
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
    if spreads:
        st.caption("Means over seeds; their standard deviations: " + "; ".join(spreads) + ".")


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
    groups = {label: [snapshot] for label, snapshot in snapshots.items()}
    store = run_store()
    keys = {
        label: seed_group_key(s.config, store.folder(s.run_id).meta(), bool(s.live_changes), s.run_id)
        for label, s in snapshots.items()
    }
    seeded = [members for members in seed_groups(keys) if len(members) > 1]
    if seeded and st.toggle(
        "Seeds as mean ± sd",
        value=True,
        key="compare_seeds",
        help="Runs with the same settings but the seed, trained by the same version of the code and not changed "
        "while training, shown as one line and one row: their mean, with the spread. Off: one per run.",
    ):
        groups = {}
        for members in seed_groups(keys):
            label = members[0] if len(members) == 1 else f"{members[0]} + {len(members) - 1} seeds"
            groups[label] = [snapshots[member] for member in members]
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Loss curves**")
        curves_panel(groups)
    with right:
        st.markdown("**Test metrics**")
        metrics_panel(groups)
        st.markdown("**Settings that differ**")
        settings_panel({label: members[0] for label, members in groups.items()})
    st.markdown("**Probe reconstructions** · one row per run, under the same clean images")
    probes_panel({label: members[0] for label, members in groups.items()})
