"""Class: what a teacher projects. Every run on this server that started in the last hour or still trains, each
with its student's name, on one loss chart, with a strip of its latest reconstructions.

It reads what the server already mirrors from its workers (the job manager's snapshots: no new poll of any worker),
and builds the chart once per new state for the whole server (``ui.shown_chart`` over ``shared_figure``).
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from aecore.runs.snapshots import Snapshot
from aecore.settings.lessons import plain_markdown
from aecore.settings.variants import VARIANTS
from pages import _ui as ui

#: how often the class view looks again; runs started this long ago (and since ended) leave it
CLASS_POLL_SECONDS = 2.0
CLASS_WINDOW_SECONDS = 3600.0
ALL_RUNS = "All runs"
#: reconstructions in each run's strip
STRIP_IMAGES = 6
#: the script that fades every line but the one under the pointer
CLASS_HOVER_SCRIPT = Path(__file__).resolve().parent.parent / "assets" / "class_hover.js"


def student_labels(entries: list[ui.RunEntry]) -> dict[str, str]:
    """Each tab's name as its student gave it, or "Student N" numbered by the order of its first run."""
    numbers: dict[str, int] = {}
    labels = {}
    for entry in entries:
        if not entry.student:
            numbers.setdefault(entry.owner, len(numbers) + 1)
        labels[entry.token] = entry.student or f"Student {numbers[entry.owner]}"
    return labels


def class_runs(lesson: str) -> list[tuple[str, ui.RunEntry, Snapshot]]:
    """(student, entry, snapshot) of each run in the class view, oldest first, of one lesson or all."""
    manager = ui.job_manager()
    entries = ui.run_registry().class_runs(since=time.time() - 24 * CLASS_WINDOW_SECONDS)
    labels = student_labels(entries)
    recent = time.time() - CLASS_WINDOW_SECONDS
    runs = []
    for entry in entries:
        snapshot = manager.snapshot(entry.job_id) if entry.job_id is not None else None
        if snapshot is None or (snapshot.ended and entry.started < recent):
            continue
        if lesson in (ALL_RUNS, entry.lesson):
            runs.append((labels[entry.token], entry, snapshot))
    return runs


def run_row(student: str, snapshot: Snapshot) -> None:
    name, progress, strip = st.columns([1.2, 1.4, 2.4], vertical_alignment="center")
    name.markdown(f"**{plain_markdown(student)}**  \n{VARIANTS[snapshot.config.model.variant].title}")
    totals = snapshot.batch_terms.get("total")
    loss = f" · loss {totals[-1]:.3g}" if totals is not None and len(totals) else ""
    progress.caption(f"{ui.STATUS_LABELS.get(snapshot.status, snapshot.status).capitalize()}{loss}")
    progress.progress(snapshot.progress)
    if snapshot.preview is not None:
        images = list(snapshot.preview.probe_reconstruction[:STRIP_IMAGES])
        strip.image(images, width=40, alt=[f"{student}'s reconstruction {i + 1}" for i in range(len(images))])
    else:
        strip.caption("Reconstructions after its first epoch.")


st.title("Class")
st.caption(
    "Every run on this server that started in the last hour or is still training, one line each on a log scale: "
    "point at a line to see whose it is (the others fade). Students give their name in the sidebar."
)
entries = ui.run_registry().class_runs(since=time.time() - CLASS_WINDOW_SECONDS)
lessons = sorted({entry.lesson for entry in entries if entry.lesson})
lesson = st.selectbox("Lesson", [ALL_RUNS, *lessons], key="class_lesson") if lessons else ALL_RUNS


@st.fragment(run_every=CLASS_POLL_SECONDS)
def class_view() -> None:
    runs = class_runs(lesson)
    if not runs:
        st.info("No run has started on this server in the last hour.", icon=":material/groups:")
        return
    from aecore.figures.classroom import class_loss_chart

    curves = {
        f"{student} · {snapshot.run_id[-6:]}": (snapshot.batch_steps, snapshot.batch_terms["total"])
        for student, _, snapshot in runs
        if "total" in snapshot.batch_terms
    }
    state = tuple((snapshot.run_id, len(snapshot.batch_steps)) for _, _, snapshot in runs)
    figure = ui.shared_figure(("class", lesson, state), lambda: class_loss_chart(curves))
    training = sum(1 for _, _, snapshot in runs if not snapshot.ended)
    st.markdown(f"**{len(runs)} run{'s' if len(runs) > 1 else ''}** · {training} training or waiting")
    with st.container(key="class_chart_box"):  # assets/class_hover.js highlights the line under the pointer
        ui.shown_chart(figure, "class_chart", height=None)
    for student, _, snapshot in reversed(runs):  # the newest first
        run_row(student, snapshot)


class_view()
st.html(f"<script>{CLASS_HOVER_SCRIPT.read_text()}</script>", unsafe_allow_javascript=True)
