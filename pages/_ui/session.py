"""Which run a browser tab shows, and who may stop it.

A tab's run is named in its URL (``?run=<run id>&key=<secret>``), so a reload, a page switch or a server restart
finds it again: while the job that trains it is in this process the tab reads the job's live snapshot, afterwards
it reads the run back from the store. Run ids are public (the Runs page lists them), so only the secret ``key``
makes a tab the run's owner, the one that may stop it: anyone else who opens ``?run=`` sees it read-only. A
session that goes away stops its runs after a grace period unless a reloaded tab (same key) claims them back.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from aecore.errors import AecoreError
from aecore.runs.snapshots import FAILED, FINISHED, INTERRUPTED, QUEUED, RUNNING, STATUS_LABELS, STOPPED
from aecore.settings.config import RunConfig
from aecore.training.pacing import PAUSE_LIMIT_SECONDS
from pages._ui.runtime import job_manager, run_store

if TYPE_CHECKING:
    from aecore.jobs.manager import JobManager
    from aecore.runs.snapshots import Snapshot
    from aecore.training.live_state import Job

#: how often the live view polls a running job, in seconds
POLL_SECONDS = 1.0
#: how often it polls a job that has no loss point yet (the first point should show within about 2 s)
FIRST_POINT_POLL_SECONDS = 0.3
#: how often it polls a run that waits for a free trainer (its place in the queue changes slowly)
QUEUED_POLL_SECONDS = 3.0
#: how often once Stop was pressed: "Stopped" shows within this of the run saving its end
STOPPING_POLL_SECONDS = 0.25
#: how often while paused or in slow motion: each Step or slow batch shows within this
SLOW_POLL_SECONDS = 0.5
#: how often once Pause was pressed, until the batches under way have trained (a phase of its own: its end reruns
#: the whole page, so Step is enabled once a Step trains exactly one batch)
PAUSING_POLL_SECONDS = 0.4
#: how often once it finished and its codes are laid out (a phase of its own: its start reruns the whole page,
#: so Train, the sidebar and the settings' notes show the run as over)
LAYING_OUT_POLL_SECONDS = 2.0
#: a run whose tab went away is stopped after this long unless a reloaded tab takes it back
ABANDONED_RUN_GRACE_SECONDS = 120.0

RUN_TOKEN_KEY = "run_token"
#: the name a student gives once per tab (the sidebar), shown with their runs on the Class page
STUDENT_KEY = "student_name"
SECRET_KEY = "run_secret"
QUERY_PARAM = "run"
SECRET_PARAM = "key"
#: each status's icon beside its label (the labels are ``aecore.runs.snapshots.STATUS_LABELS``)
STATUS_ICONS = {
    QUEUED: ":material/hourglass_top:",
    RUNNING: ":material/sync:",
    FINISHED: ":material/check_circle:",
    STOPPED: ":material/stop_circle:",
    FAILED: ":material/error:",
    INTERRUPTED: ":material/power_off:",
}


@dataclass
class RunEntry:
    """A tab's run: ``job_id`` is set while this process's job manager has the job (None: read from the store);
    ``owned`` says whether this tab may stop it."""

    token: str
    job_id: int | None
    owner: str
    secret: str = ""
    released_at: float | None = None
    owned: bool = True
    #: who started it (the name given in the sidebar, "" if none), the lesson's title, when (``time.time``)
    student: str = ""
    lesson: str = ""
    started: float = 0.0


class RunRegistry:
    """Maps a run id to the job training it in this process and to the session that owns it."""

    MAX_ENTRIES = 1000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, RunEntry] = OrderedDict()
        self.manager: JobManager = None

    def add(
        self, run_id: str, job_id: int, owner: str, manager: JobManager, student: str = "", lesson: str = ""
    ) -> str:
        """Register a job a session just started; returns the secret that proves ownership of it."""
        secret = secrets.token_urlsafe(8)
        with self._lock:
            self.manager = manager
            self._entries[run_id] = RunEntry(run_id, job_id, owner, secret, student=student, lesson=lesson,
                                             started=time.time())  # fmt: skip
            while len(self._entries) > self.MAX_ENTRIES:
                self._entries.popitem(last=False)
        return secret

    def class_runs(self, since: float) -> list[RunEntry]:
        """Every run this process started since ``since`` (``time.time``), oldest first, with who started it."""
        with self._lock:
            return [dataclasses.replace(entry) for entry in self._entries.values() if entry.started >= since]

    def claim(self, token: str, owner: str, secret: str | None) -> RunEntry | None:
        """The run behind ``token``: owned by ``owner`` from now on if ``secret`` is its secret (a reloaded tab),
        else a read-only view of it; None if no job of this process trains it."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            if secret != entry.secret:
                return RunEntry(token, entry.job_id, owner, owned=False)
            entry.owner = owner
            entry.released_at = None
            return entry

    def owner_of(self, token: str) -> str | None:
        """The session that holds ``token``'s key (None: no job of this process trains it)."""
        with self._lock:
            entry = self._entries.get(token)
            return None if entry is None else entry.owner

    def release_session(self, owner: str, grace: float = ABANDONED_RUN_GRACE_SECONDS) -> None:
        """Called when a session disconnects: stop its runs after ``grace`` seconds unless claimed back."""
        with self._lock:
            mine = [entry for entry in self._entries.values() if entry.owner == owner]
            now = time.monotonic()
            for entry in mine:
                entry.released_at = now
        for entry in mine:
            timer = threading.Timer(grace, self._stop_if_abandoned, (entry.token, owner))
            timer.daemon = True
            timer.start()

    def _stop_if_abandoned(self, token: str, owner: str) -> None:
        with self._lock:
            entry = self._entries.get(token)
            abandoned = entry is not None and entry.owner == owner and entry.released_at is not None
        if abandoned and self.manager is not None:
            self.manager.stop(entry.job_id)


@st.cache_resource(show_spinner=False)
def run_registry() -> RunRegistry:
    return RunRegistry()


@dataclass(frozen=True)
class SessionHandle:
    key: str
    registry: RunRegistry


def _session_released(handle: SessionHandle) -> None:
    handle.registry.release_session(handle.key)


@st.cache_resource(scope="session", on_release=_session_released, show_spinner=False)
def session_handle() -> SessionHandle:
    """One handle per browser session; its release (the tab went away) starts the abandoned-run timer."""
    return SessionHandle(uuid.uuid4().hex, run_registry())


def _set_param(name: str, value: str | None) -> None:
    if value is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def show_run(run_id: str | None, secret: str | None = None) -> None:
    """Make ``run_id`` this tab's run (None: no run), in the session and in the URL, with its secret if owned."""
    for key, value in ((RUN_TOKEN_KEY, run_id), (SECRET_KEY, secret)):
        if value is None:
            st.session_state.pop(key, None)
        else:
            st.session_state[key] = value
    _set_param(QUERY_PARAM, run_id)
    _set_param(SECRET_PARAM, secret)


def current_run() -> RunEntry | None:
    """This tab's run: from session state, else from the URL after a reload; a job of this process if one trains
    it, else the stored run (after a restart, or a run opened from the Runs page)."""
    owner = session_handle().key
    token = st.session_state.get(RUN_TOKEN_KEY) or st.query_params.get(QUERY_PARAM)
    secret = st.session_state.get(SECRET_KEY) or st.query_params.get(SECRET_PARAM)
    entry = run_registry().claim(token, owner, secret) if token else None
    if entry is None and token and run_store().has(token):
        entry = RunEntry(token, None, owner, owned=False)
    if entry is None:
        show_run(None)
    else:
        show_run(entry.token, entry.secret if entry.owned and entry.job_id is not None else None)
    return entry


def _watch(job: Job, lesson: str) -> RunEntry:
    """Make a job just submitted this tab's run."""
    manager = job_manager()
    previous = current_run()
    if previous is not None and previous.job_id is not None:
        manager.forget(previous.job_id)  # this tab shows the new run now: free the old model
    owner = session_handle().key
    student = st.session_state.get(STUDENT_KEY, "").strip()
    secret = run_registry().add(job.run_id, job.job_id, owner, manager, student, lesson)
    show_run(job.run_id, secret)
    return run_registry().claim(job.run_id, owner, secret)


def start_run(config: RunConfig, lesson: str = "") -> RunEntry:
    """Submit a new run for this tab (raises ``AecoreError`` for bad settings), with the tab's student name and
    the title of its lesson for the Class page."""
    return _watch(job_manager().submit(config), lesson)


def resume_run(run_id: str, extra_epochs: int) -> RunEntry:
    """Continue a stored run in this tab (raises ``AecoreError`` if this tab already trains one, or it is busy)."""
    entry = current_run()
    if is_busy(run_snapshot(entry), entry):
        raise AecoreError("This tab already has a run going: stop it before resuming another.")
    return _watch(job_manager().resume(run_id, extra_epochs), "")


@st.cache_resource(show_spinner=False, max_entries=64)
def _stored_snapshot(run_id: str, stamp: tuple[float, ...]) -> Snapshot:
    from aecore.runs.view import stored_snapshot

    return stored_snapshot(run_store(), run_id)


def stored_snapshot(run_id: str) -> Snapshot:
    """A stored run's snapshot, read from its folder again only when its files changed."""
    folder = run_store().folder(run_id)
    files = (folder.file("run.json"), folder.file("history.npz"), folder.file("preview.npz"))
    # the lock's state too: a run whose process died since is read again, as interrupted
    stamp = (*(path.stat().st_mtime if path.exists() else 0.0 for path in files), float(folder.is_locked()))
    return _stored_snapshot(run_id, stamp)


def run_snapshot(entry: RunEntry | None) -> Snapshot | None:
    """The run's ``Snapshot``: live from its job while this process has it, else from the store; None without."""
    if entry is None:
        return None
    if entry.job_id is not None:
        snapshot = job_manager().snapshot(entry.job_id)
        if snapshot is not None:
            return snapshot
    try:
        return stored_snapshot(entry.token)
    except AecoreError:
        return None


def may_change(run_id: str, status: str) -> bool:
    """Whether this tab may rename, tag or delete a run: any run that has ended, a live one only from the tab that
    holds its key (the one that started it, or one opened at its address with ``key=``), as for Stop."""
    return status not in (QUEUED, RUNNING) or run_registry().owner_of(run_id) == session_handle().key


def open_in_train(run_id: str, config: RunConfig) -> None:
    """Show a stored run on the Train page, its settings in the controls."""
    from pages._ui.controls import apply_config

    apply_config(config)
    show_run(run_id)
    st.switch_page("pages/train.py")


def watch_link(run_id: str) -> str:
    """The address of this page showing ``run_id`` without its key: whoever opens it watches, never controls."""
    page = (st.context.url or "").split("?")[0]
    return f"{page}?{QUERY_PARAM}={run_id}"


def stop_requested(entry: RunEntry | None) -> bool:
    return entry is not None and entry.job_id is not None and job_manager().stop_requested(entry.job_id)


def is_busy(snapshot: Snapshot, entry: RunEntry | None) -> bool:
    """Whether this tab's own run still trains or waits (a waiting run that was stopped counts as over)."""
    if snapshot is None or snapshot.ended or entry is None or entry.job_id is None or not entry.owned:
        return False
    return not (snapshot.status == QUEUED and stop_requested(entry))


def is_live(snapshot: Snapshot, entry: RunEntry | None) -> bool:
    """Whether the run a tab shows still changes, owned or only watched (its view then polls): it waits, trains, or
    has finished and its codes are being laid out for the Latent space page."""
    if snapshot is None or (snapshot.ended and snapshot.laying_out is None):
        return False
    return not (entry is not None and entry.owned and snapshot.status == QUEUED and stop_requested(entry))


def status_text(snapshot: Snapshot, stopping: bool = False) -> str:
    if snapshot.status == QUEUED and stopping:
        return "stopped before it started"
    if snapshot.status == RUNNING and snapshot.training_stopped:
        return "stopped, saving"
    if snapshot.status == RUNNING and stopping:
        return "stopping"
    return STATUS_LABELS.get(snapshot.status, snapshot.status)


def queue_text(snapshot: Snapshot, manager: JobManager) -> str:
    """Where a waiting run stands: its place in the queue, the wait to expect, how many train at once."""
    slots = manager.max_concurrent
    where = "the Ray cluster" if manager.backend == "ray" else "this server"
    at_once = f"{slots} run trains at once on {where}" if slots == 1 else f"{slots} runs train at once on {where}"
    if snapshot.queue_position is None:  # taken off the queue: its worker is starting
        return f"Starting a worker for this run… ({at_once})."
    if snapshot.queue_position <= manager.loading_count:  # next in line for a trainer that is still starting
        return f"A trainer is loading TensorFlow; this run starts as soon as it is ready ({at_once})."
    wait = snapshot.estimated_wait_seconds
    expected = (
        ""
        if wait is None
        else f", about {wait / 60:.0f} min to wait"
        if wait >= 90
        else f", about {wait:.0f} s to wait"
    )
    paused = manager.paused_count
    held = (
        ""
        if not paused
        else f" {paused} paused run{'s' if paused > 1 else ''} keep{'' if paused > 1 else 's'} a trainer until "
        f"it continues or stops (a pause ends the run after {PAUSE_LIMIT_SECONDS / 60:g} minutes)."
    )
    return (
        f"Waiting for a free trainer: **position {snapshot.queue_position}** in the queue{expected} ({at_once})." + held
    )


def progress_text(snapshot: Snapshot) -> str:
    """``Epoch 2/5 · batch 14/29 · 3.1 s · 4,200 samples/s · CPU``: what the progress bar says."""
    epochs = snapshot.config.training.epochs
    parts = [
        f"Epoch {min(snapshot.epoch + 1, epochs)}/{epochs}",
        f"batch {snapshot.batch}/{snapshot.batches_per_epoch or '…'}",
        f"{snapshot.elapsed_seconds:.1f} s",
        f"{snapshot.samples_per_second:,.0f} samples/s",
    ]
    if snapshot.device:
        parts.append(snapshot.device)
    return " · ".join(parts)
