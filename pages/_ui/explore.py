"""What the explore pages share: the run picker at the top of each, the run's model, loaded once per process, and
long computations kept once per process, computed under a progress bar.

Each explore page works on an ended run from the store (default: this tab's latest run, else the newest) and
never needs the job that trained it. With no trained run at all, a page says so in one line, with a button to
the Train page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import streamlit as st

from aecore.errors import AecoreError
from aecore.runs.snapshots import ACTIVE
from pages._ui.runtime import run_store, warm_up
from pages._ui.session import QUERY_PARAM, RUN_TOKEN_KEY

if TYPE_CHECKING:
    from aecore.explore.stored_model import TrainedRun
    from aecore.runs.index import RunRecord

PICKED_KEY = "explore_run"

#: what a long computation of ``aecore`` tells its caller: the fraction done and what is happening
Progress = Callable[[float, str], None]
Result = TypeVar("Result")


def explorable_runs() -> list[Any]:
    """Stored runs that have a model to look at: ended, with at least one finished epoch."""
    return [record for record in run_store().list() if record.status not in ACTIVE and record.epochs_done >= 1]


def _label(record: RunRecord) -> str:
    return f"{record.name} · {record.variant} on {record.dataset} · {record.epochs_done} epochs · {record.id}"


def run_picker(
    variants: tuple[str, ...] | None = None, what: str = "trained run", per_run_keys: tuple = ()
) -> TrainedRun | None:
    """The picker at the top of an explore page; returns the chosen ``TrainedRun`` (None: the page says why).

    ``variants`` limits the choice (the Sparsity page wants a sparse code); the pick is kept across pages. The
    widgets named in ``per_run_keys`` start again from their defaults when another run is picked: an image index
    or a noise level chosen for one run may not fit the next.
    """
    records = explorable_runs()
    if variants is not None:
        records = [record for record in records if record.variant in variants]
    if not records:
        st.info(f"There is no {what} yet: train one first, then come back here.", icon=":material/info:")
        if st.button("Go to Train", icon=":material/model_training:", key="explore_to_train"):
            st.switch_page("pages/train.py")
        return None
    ids = [record.id for record in records]
    mine = st.session_state.get(RUN_TOKEN_KEY) or st.query_params.get(QUERY_PARAM)
    preferred = st.session_state.get(PICKED_KEY)
    default = ids.index(preferred) if preferred in ids else ids.index(mine) if mine in ids else 0
    chosen = st.selectbox("Run", records, index=default, format_func=_label, key="explore_run_picker")
    if st.session_state.get(PICKED_KEY) != chosen.id:
        for key in per_run_keys:
            st.session_state.pop(key, None)
    st.session_state[PICKED_KEY] = chosen.id
    try:
        with st.spinner("Loading the run's model…"):
            return trained_run(chosen.id, model_stamp(chosen.id))
    except AecoreError as error:
        st.error(f"This run cannot be explored: {error}", icon=":material/error:")
        return None


def model_stamp(run_id: str) -> float:
    """When the run's checkpoint last changed: a resumed run is loaded again, an unchanged one never."""
    path = run_store().folder(run_id).file("checkpoint.npz")
    return path.stat().st_mtime if path.exists() else 0.0


@st.cache_resource(show_spinner=False, max_entries=8)
def trained_run(run_id: str, stamp: float) -> TrainedRun:
    """The run's model and dataset, loaded once per process and checkpoint (TensorFlow is imported here)."""
    warm_up().start()
    from aecore.explore.stored_model import TrainedRun

    store = run_store()
    return TrainedRun.load(store.folder(run_id), store.record(run_id))


@st.cache_resource(show_spinner=False, max_entries=64)
def result_slot(computation: str, key: tuple) -> list:
    """Where one long computation's result for ``key`` is kept for the process: an empty list until it is computed
    (Streamlit keeps the 64 slots used last)."""
    return []


@contextlib.contextmanager
def progress_bar(what: str) -> Iterator[Progress]:
    """An ``st.progress`` bar saying ``what`` until the computation reports; the callback it yields moves it (fraction
    done, what is happening). Removed when the computation ends, or fails."""
    bar = st.progress(0.0, text=what)
    try:
        yield lambda fraction, text: bar.progress(fraction, text=text)
    finally:
        bar.empty()


def computed_once(computation: str, key: tuple, what: str, compute: Callable[[Progress], Result]) -> Result:
    """``compute(progress)``'s result for ``key``: computed the first time under a progress bar, then kept.

    Not ``st.cache_data``: Streamlit replays the elements a cached function drew at every later hit, and a bar
    created outside the function cannot be replayed (``CacheReplayClosureError``). So only the slot is cached and the
    computation runs outside it; a kept result draws nothing, so a rerun does not flash a bar.
    """
    slot = result_slot(computation, key)
    if not slot:
        with progress_bar(what) as report:
            slot.append(compute(report))
    return slot[0]
