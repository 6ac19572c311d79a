"""What a tab asks of its run while it trains: Pause / Continue, Step and the pace beside Train and Stop (a class
watches one batch at a time), and the settings that change the run as it trains (``aecore.settings.live``).

The commands go through the job manager to the run's worker; the tab remembers what it asked (``PAUSE_KEY``), so
the buttons follow a click at once rather than at the next poll.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from aecore.errors import AecoreError
from aecore.runs.snapshots import RUNNING, Snapshot
from aecore.training.pacing import PAUSE_LIMIT_SECONDS
from pages._ui.runtime import job_manager
from pages._ui.session import RunEntry

PAUSE_KEY = "pause_asked"
PACE_KEY = "train_pace"
#: batches a second offered in slow motion (0: full speed)
PACES = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0)


def pace_label(pace: float) -> str:
    return "Full speed" if not pace else f"{pace:g} batch{'es' if pace > 1 else ''}/s"


def is_paused(entry: RunEntry | None, snapshot: Snapshot | None) -> bool:
    """Whether this tab's run is paused, or was just asked to be (the worker's answer is a poll away)."""
    if entry is None or snapshot is None or snapshot.ended:
        return False
    asked = st.session_state.get(PAUSE_KEY)
    return asked[1] if asked and asked[0] == entry.job_id else snapshot.paused


def is_pausing(entry: RunEntry | None, snapshot: Snapshot | None) -> bool:
    """Whether this tab's run was paused but still trains the batches under way (Step waits for them)."""
    return snapshot is not None and is_paused(entry, snapshot) and not snapshot.held


def _pause_or_continue(job_id: int, paused: bool) -> None:
    job_manager().control(job_id, "resume" if paused else "pause")
    st.session_state[PAUSE_KEY] = (job_id, not paused)


def _step(job_id: int) -> None:
    job_manager().control(job_id, "step")


def _pace_changed(job_id: int | None) -> None:
    if job_id is not None:
        job_manager().control(job_id, "set_pace", st.session_state[PACE_KEY])


def send_live_change(job_id: int, name: str, key: str) -> None:
    """A control of a setting that can change live, changed while the tab's run trains: the run takes it at its
    next call of steps (the control keeps the value for the next run too)."""
    try:
        job_manager().control(job_id, "change_setting", name, st.session_state[key])
    except AecoreError as error:
        st.session_state["train_error"] = str(error)


def send_pace(job_id: int) -> None:
    """A run started in slow motion gets the pace at once (a queued run takes it when it starts)."""
    pace = st.session_state.get(PACE_KEY, 0.0)
    if pace:
        job_manager().control(job_id, "set_pace", pace)


def pace_controls(columns: list[Any], entry: RunEntry | None, snapshot: Snapshot | None, busy: bool) -> None:
    """Pause / Continue, Step and the pace, in three columns of the Train page's button row."""
    job_id = entry.job_id if entry is not None and busy else None
    training = job_id is not None and snapshot is not None and snapshot.status == RUNNING
    paused = is_paused(entry, snapshot)
    columns[0].button(
        "Continue" if paused else "Pause",
        icon=":material/play_circle:" if paused else ":material/pause:",
        on_click=_pause_or_continue,
        args=(job_id or 0, paused),
        disabled=not training,
        width="stretch",
        help="Hold the run once the batches under way have trained (it says Pausing until then), and step "
        "through it one batch at a time. A paused run keeps "
        f"its place on the server; after {PAUSE_LIMIT_SECONDS / 60:g} minutes paused it stops, saved.",
    )
    columns[1].button(
        "Step",
        icon=":material/skip_next:",
        on_click=_step,
        args=(job_id or 0,),
        disabled=not (training and paused) or is_pausing(entry, snapshot),
        width="stretch",
        help="Train one batch of the paused run: the loss chart gains a point and the probe images change.",
    )
    columns[2].selectbox(
        "Pace",
        PACES,
        format_func=pace_label,
        key=PACE_KEY,
        label_visibility="collapsed",
        on_change=_pace_changed,
        args=(job_id,),
        help="Slow motion: 1 to 20 batches a second, the probe images refreshed after each. Full speed trains as "
        "fast as the server can.",
    )
