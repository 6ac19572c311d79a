"""Runs: every stored run in one table; rename, tag, open, resume, download, delete, import, and compare runs.

The store lists runs without TensorFlow, so this page opens quickly even on a server that has not trained yet.
While a run in the table trains (in this session or any other), the table refreshes every few seconds.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from aecore.errors import AecoreError
from aecore.runs.compare import MAX_COMPARED, settings_summary, tensorboard_command
from aecore.runs.snapshots import ACTIVE, STATUSES
from aecore.settings.variants import VARIANTS
from pages import _ui as ui
from pages._ui.compare import compare_section

if TYPE_CHECKING:
    from aecore.runs.index import RunRecord

#: how often the table reads the store again: a training run's row moves on, a run started elsewhere appears
REFRESH_SECONDS = 3.0
METRIC_COLUMNS = {"test_mse": "Test MSE", "test_psnr": "PSNR (dB)", "test_ssim": "SSIM", "test_elbo": "ELBO (nats)"}


def run_table(records: list[RunRecord]) -> pd.DataFrame:
    """One row per run: what identifies it and how it did first, the rest to the right."""
    rows = []
    for record in records:
        row = {
            "Name": record.name,
            "Variant": VARIANTS[record.variant].title if record.variant in VARIANTS else record.variant,
            "Settings": settings_summary(record.variant, record.parameters),
            "Status": ui.STATUS_LABELS.get(record.status, record.status),
            "Epochs": f"{record.epochs_done}/{record.epochs}",
        }
        row.update({label: record.metrics.get(key, np.nan) for key, label in METRIC_COLUMNS.items()})
        row["Dataset"] = record.dataset
        row["Tags"] = ", ".join(record.tags)
        row["Created"] = datetime.datetime.fromtimestamp(record.created)
        row["Id"] = record.id
        rows.append(row)
    frame = pd.DataFrame(rows)
    empty = [label for label in METRIC_COLUMNS.values() if label in frame and frame[label].isna().all()]
    return frame.drop(columns=empty)  # no ELBO column unless a VAE is listed


def filters(records: list[RunRecord]) -> Callable[[RunRecord], bool]:
    """The filter row: variant, dataset, status, tag and a name search; returns which runs pass (applied to the
    store as it is at each refresh, so a run started elsewhere appears in the table without a reload)."""
    columns = st.columns([1, 1, 1, 1, 1.4])

    def pick(column: int, label: str, options: list[str], none_yet: str = "Any", **more: Any) -> list[str]:
        """A filter: left empty it lets every run through, so it says "Any" (or that nothing has one yet)."""
        placeholder = "Any" if options else none_yet
        return columns[column].multiselect(
            label, options, key=f"runs_filter_{label.lower()}", placeholder=placeholder, **more
        )

    variants = pick(0, "Variant", sorted({r.variant for r in records}))
    datasets = pick(1, "Dataset", sorted({r.dataset for r in records}))
    statuses = pick(2, "Status", [status for status in STATUSES if any(r.status == status for r in records)])
    tags = pick(
        3,
        "Tag",
        sorted({tag for r in records for tag in r.tags}),
        none_yet="No tags yet",
        help="Select a run alone in the table to tag it.",
    )
    search = columns[4].text_input("Name contains", key="runs_filter_name", placeholder="e.g. sparse")

    def passes(record: RunRecord) -> bool:
        return (
            (not variants or record.variant in variants)
            and (not datasets or record.dataset in datasets)
            and (not statuses or record.status in statuses)
            and (not tags or bool(set(tags) & set(record.tags)))
            and search.strip().lower() in record.name.lower()
        )

    return passes


def single_run_actions(record: RunRecord) -> None:
    """What one selected run offers: open, resume, download, rename, tag."""
    from aecore.runs.archive import export_archive

    store = ui.run_store()
    active = record.status in ACTIVE
    st.markdown(f"**{record.name}** · `{record.id}` · {ui.STATUS_LABELS.get(record.status, record.status)}")
    if record.message:
        st.caption(record.message)
    open_column, resume_column, download_column = st.columns([1, 1.6, 1], vertical_alignment="bottom")
    if open_column.button("Open in Train", icon=":material/open_in_new:", disabled=active, width="stretch"):
        ui.open_in_train(record.id, record.config)
    with resume_column:
        epochs_column, button_column = st.columns([1, 1.2], vertical_alignment="bottom")
        extra = epochs_column.number_input("More epochs", 1, 500, 2, key=f"resume_epochs_{record.id}")
        if button_column.button("Resume", icon=":material/play_arrow:", disabled=active, width="stretch"):
            if ui.guarded(lambda: ui.resume_run(record.id, int(extra)), "Could not resume") is not None:
                ui.apply_config(record.config)  # the Train page shows the settings of the run it trains
                st.switch_page("pages/train.py")
    download_column.download_button(
        "Archive (.zip)",
        data=lambda: export_archive(store, record.id),
        file_name=f"autoencoder-run-{record.id}.zip",
        mime="application/zip",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
    )
    allowed = ui.may_change(record.id, record.status)
    if not allowed:
        st.caption(LIVE_ELSEWHERE)
    name_column, tags_column = st.columns(2, vertical_alignment="bottom")
    with name_column.form(f"rename_{record.id}", border=False):
        name = st.text_input("Name", value=record.name, disabled=not allowed)
        if st.form_submit_button("Rename", icon=":material/edit:", disabled=not allowed):
            if ui.succeeded(lambda: changed(record, lambda: store.rename(record.id, name)), "Could not rename"):
                st.rerun()
    with tags_column.form(f"tags_{record.id}", border=False):
        tags = st.text_input(
            "Tags, comma separated",
            value=", ".join(record.tags),
            placeholder="e.g. class 3, best",
            disabled=not allowed,
        )
        if st.form_submit_button("Save tags", icon=":material/sell:", disabled=not allowed):
            if ui.succeeded(
                lambda: changed(record, lambda: store.set_tags(record.id, tags.split(","))), "Could not tag"
            ):
                st.rerun()


#: why a run training in another tab offers no rename, tag or delete here
LIVE_ELSEWHERE = (
    "This run is training for another tab: only the tab that holds its key (the address with `key=`) can rename, "
    "tag or delete it until it ends."
)


def changed(record: RunRecord, change: Any) -> Any:
    """Make a change to a run, checked again when it is made: the run may have started training elsewhere since."""
    if not ui.may_change(record.id, ui.run_store().record(record.id).status):  # its status now, not the table's
        raise AecoreError(LIVE_ELSEWHERE)
    return change()


def delete_action(selected: list[Any]) -> None:
    store = ui.run_store()
    label = f"run '{selected[0].name}'" if len(selected) == 1 else f"{len(selected)} runs"
    with st.popover(f"Delete {label}", icon=":material/delete:"):
        st.markdown(f"Delete {label} and {'its' if len(selected) == 1 else 'their'} files for good?")
        if st.button("Yes, delete", type="primary", key="confirm_delete"):
            results = [
                ui.succeeded(
                    lambda record=record: changed(record, lambda: store.delete(record.id)),
                    f"Could not delete '{record.name}'",
                )  # fmt: skip
                for record in selected
            ]
            if all(results):  # a refusal stays on the page: a rerun now would wipe its message
                st.rerun()


def import_section() -> None:
    from aecore.runs.archive import MAX_ARCHIVE_BYTES, import_archive

    with st.expander("Upload a run archive", icon=":material/upload:"):
        upload = st.file_uploader(
            f"A run exported from this dashboard or the CLI (.zip, at most {MAX_ARCHIVE_BYTES // 2**20} MB)",
            type=["zip"],
            key="archive_upload",
        )
        if upload is not None and st.button("Add to the store", icon=":material/add:"):
            run_id = ui.guarded(lambda: import_archive(ui.run_store(), upload.getvalue(), upload.name), "Not imported")
            if run_id is not None:
                st.success(f"Added run `{run_id}`.", icon=":material/check_circle:")


def prune_section() -> None:
    """Remove old runs (and the uploaded datasets and sweeps they leave unused), after saying what and how much."""
    from aecore.runs.prune import prune, prune_plan
    from aecore.sweeps.plans import prune_sweeps

    with st.expander("Remove old runs", icon=":material/auto_delete:"):
        days_column, tagged_column = st.columns([1, 1.4], vertical_alignment="bottom")
        days = days_column.number_input("Older than (days)", 0, 3650, 30, key="prune_days")
        keep_tagged = tagged_column.checkbox("Keep tagged runs", value=True, key="prune_keep_tagged")
        store = ui.run_store()
        plan = ui.guarded(lambda: prune_plan(store, days, keep_tagged=keep_tagged), "Could not look at the store")
        if plan is None:
            return
        if plan.empty:
            st.caption(f"Nothing is older than {days} days{' and untagged' if keep_tagged else ''}.")
            return
        st.caption(f"Would remove {plan.summary()}; a run still training is never removed.")
        if st.button(f"Remove {plan.summary()}", type="primary", icon=":material/delete:", key="confirm_prune"):
            removed, notes = prune(store, plan)
            ui.guarded(lambda: prune_sweeps(store, days), "Could not remove the sweeps left without runs")
            st.success(f"Removed {removed.summary()}.", icon=":material/check_circle:")
            for note in notes:
                st.warning(f"Kept: {note}", icon=":material/info:")


def runs_view() -> None:
    store = ui.run_store()
    records = ui.guarded(store.list, "The run store could not be read")
    if records is None:
        return
    problem = store.write_problem()  # a full or read-only disk: the runs still show, the page says what is wrong
    if problem:
        st.warning(problem, icon=":material/report:")
    if not records:
        st.info("No runs yet: every run trained here is kept, so it will appear in this table.", icon=":material/info:")
        if st.button("Train a model", icon=":material/model_training:"):
            st.switch_page("pages/train.py")
        import_section()
        prune_section()
        return
    passes = filters(records)

    @st.fragment(run_every=REFRESH_SECONDS)
    def table() -> None:
        # re-read inside the fragment, so a run training elsewhere updates its row and a run started elsewhere
        # (the CLI, another tab, a sweep) appears: one indexed read of the store
        current = {record.id: record for record in (ui.guarded(store.list, "The run store could not be read") or [])}
        visible = [record for record in current.values() if passes(record)]
        frame = run_table(visible)
        st.caption(f"{len(visible)} of {len(current)} runs · select rows to act on them, or 2 to 6 to compare them.")
        event = st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            height=min(38 + 35 * len(frame), 460),
            on_select="rerun",
            selection_mode="multi-row",
            key=ui.selection_key("runs_table", [record.id for record in visible]),
            column_config={
                "Created": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                "Test MSE": st.column_config.NumberColumn(format="%.4f"),
                "PSNR (dB)": st.column_config.NumberColumn(format="%.2f"),
                "ELBO (nats)": st.column_config.NumberColumn(format="%.1f"),
                "Id": st.column_config.TextColumn(width="small"),
            },
        )
        selected = [visible[index] for index in event.selection.rows if index < len(visible)]
        if not selected:
            return
        if len(selected) == 1:
            single_run_actions(selected[0])
        delete_action(selected)
        with st.popover("Open in TensorBoard", icon=":material/monitoring:"):
            st.code(tensorboard_command(store.root, [record.id for record in selected]), language=None, wrap_lines=True)
            st.caption("Every run writes TensorBoard events: each loss term per batch and per epoch, the probe images.")
        if 2 <= len(selected) <= MAX_COMPARED:
            compare_section(selected)
        elif len(selected) > MAX_COMPARED:
            st.info(f"Compare takes 2 to {MAX_COMPARED} runs; {len(selected)} are selected.", icon=":material/info:")

    table()
    import_section()
    prune_section()


st.title("Runs")
st.caption(
    "Every run trained on this server, whichever page or command started it, kept in the run store "
    f"(`{ui.run_store().root}`). Sort by clicking a column's header."
)
try:
    runs_view()
except AecoreError as error:  # a damaged store shows one message, never a traceback
    st.error(str(error), icon=":material/error:")
