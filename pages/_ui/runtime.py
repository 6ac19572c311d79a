"""The process's shared machinery: Streamlit's clean-up made safe, the TensorFlow warm-up, the job manager
and the run store. Background threads here touch only plain Python objects, never ``st.``.

Training happens in the job manager's workers, never in this process; the server imports TensorFlow only for
what it shows itself (the devices to choose from, the explore pages' models)."""

from __future__ import annotations

import gc
import threading
import time
from typing import TYPE_CHECKING

import streamlit as st

from aecore.runs.store import RunStore

if TYPE_CHECKING:
    from aecore.jobs.manager import JobManager

#: the dataset the warm-up loads, so the first Train is quick
DEFAULT_DATASET = "mnist-5k"
#: the TensorFlow import waits this long after the first page run (it is drawn meanwhile)
WARM_UP_DELAY_SECONDS = 1.5
#: how long the warm-up waits to learn of the job manager (made by the first page run) before going on alone
MANAGER_WAIT_SECONDS = 10.0


# ---------------------------------------------------------------------------------------------
# Streamlit's after-run clean-up, made safe for background training


def _close_matplotlib_figures() -> None:
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def keep_keras_state_between_runs() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit 1.67 runs ``_clean_problem_modules`` after each script and fragment run: with Keras
    imported it calls ``clear_session()``, which resets Keras' global state, clears TensorFlow's
    eager kernel cache and runs a full garbage collection (about 0.5 s with TensorFlow loaded), all
    while jobs train in other threads. With a live view polling every second that starved training
    (15-20 s to the first loss point instead of about 1 s) and is exactly what DESIGN.md forbids.
    Only the matplotlib half of that clean-up is kept. A no-op if Streamlit's internals change.
    """
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return
    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = _close_matplotlib_figures


keep_keras_state_between_runs()


def use_app_navigation() -> None:
    """Make Streamlit route every URL through app.py's ``st.navigation`` from the very first request.

    Until app.py has called ``st.navigation`` once, Streamlit 1.67 treats the ``pages/`` folder as an old-style
    multipage app: on a just-started server the first tab that opens ``/runs`` would run that page alone, with
    no page config, no sidebar and no navigation bar. Clearing that flag and rerunning sends it through app.py
    (app.py's own first run only clears it).
    A no-op if Streamlit's internals change.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        if not running_the_main_script():  # app.py itself goes on: a rerun would cost its first page 0.2 s
            st.rerun()


def running_the_main_script() -> bool:
    """Whether app.py is the script being run (not a page of the ``pages/`` folder run alone): app.py's frame is
    among the callers of this import. (Streamlit's own page hashes do not tell: in the folder mode app.py's run
    has another hash than the main script's.)"""
    import os
    import sys

    from streamlit.runtime.scriptrunner import get_script_run_ctx

    main = getattr(get_script_run_ctx(), "main_script_path", None)
    if not main:
        return False
    main = os.path.abspath(main)
    frame = sys._getframe()
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename) == main:
            return True
        frame = frame.f_back
    return False


use_app_navigation()


# ---------------------------------------------------------------------------------------------
# TensorFlow warm-up: the first page opens without TensorFlow; a thread imports it meanwhile


class WarmUp:
    """Imports TensorFlow and the training engine, lists the devices and loads the default data, once."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.devices: list[tuple[str, str]] = [("cpu", "CPU")]
        self.error: str | None = None
        self.seconds: float | None = None
        self._thread = threading.Thread(target=self._run, name="aelab-warm-up", daemon=True)
        self._start_lock = threading.Lock()
        self._manager: JobManager | None = None
        self._manager_known = threading.Event()

    def follow(self, manager: JobManager) -> None:
        """The job manager whose workers load TensorFlow first (the server's own import waits for them)."""
        self._manager = manager
        self._manager_known.set()

    def start(self) -> WarmUp:
        """Start once (later calls do nothing): called after a page has been drawn, so it never delays one."""
        with self._start_lock:
            if not self._thread.is_alive() and not self.ready.is_set():
                self._thread.start()
        return self

    def _run(self) -> None:
        # let the browser draw the first page before the import takes a core of a small server for seconds
        time.sleep(WARM_UP_DELAY_SECONDS)
        started = time.perf_counter()
        try:
            if self._manager_known.wait(MANAGER_WAIT_SECONDS):
                self._manager.wait_ready()
            import aecore.training.engine  # noqa: F401  (TensorFlow, Keras and the models: the slow part)
            from aecore.data.registry import load_dataset
            from aecore.training.devices import available_devices

            self.devices = [(choice.value, choice.label) for choice in available_devices()]
            load_dataset(DEFAULT_DATASET)
            # TensorFlow brings ~400,000 long-lived objects; a full collection then takes 0.5 s and holds
            # the GIL, stalling every training thread. Freezing them keeps later collections short.
            gc.collect()
            gc.freeze()
        except Exception as error:  # the page still works: it shows the CPU and says why
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self.seconds = time.perf_counter() - started
            self.ready.set()


@st.cache_resource(show_spinner=False)
def warm_up() -> WarmUp:
    """The process's one warm-up; ``warm_up().start()`` at the end of a page run sets it going."""
    return WarmUp()


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    """The process's run store (``$AECORE_RUNS_DIR``, default ``./runs``), its index repaired from the folders once
    at the server's start (after a power cut); no TensorFlow needed to list it."""
    store = RunStore()
    store.repair_index()
    return store


def _close_manager(manager: JobManager) -> None:
    manager.close()


@st.cache_resource(show_spinner=False, on_release=_close_manager)
def job_manager() -> JobManager:
    """The process's one job manager on ``AECORE_BACKEND`` (worker processes by default, or Ray), saving every run
    in the store; its workers load TensorFlow and the default data as soon as it exists (raises ``AecoreError``
    for a backend that cannot start)."""
    from aecore.jobs.manager import open_backend

    manager = open_backend(store=run_store(), warm_dataset=DEFAULT_DATASET)
    warm_up().follow(manager)
    return manager
