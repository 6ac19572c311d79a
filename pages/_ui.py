"""What app.py and the pages share: the job manager, run ownership, TensorFlow warm-up, and controls.

Everything here that touches ``st.`` runs in a script thread. Background threads (the warm-up, the
grace timers that stop an abandoned run) touch only plain Python objects: a thread with no script
context that used ``st.session_state`` would silently write to one state shared by every user.
"""

from __future__ import annotations

import gc
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from aecore.config import ModelConfig, RunConfig, validate
from aecore.errors import AecoreError
from aecore.presets import PRESETS
from aecore.variants import COMMON_DEFAULTS, COMMON_HYPERPARAMETERS, PARAMETERS, VARIANTS, config_from_settings

#: the variant and dataset a fresh session starts with: the seed paper's denoising model on embedded MNIST
DEFAULT_VARIANT = "conv_denoising"
DEFAULT_DATASET = "mnist-5k"
#: how often the live view polls a running job, in seconds
POLL_SECONDS = 1.0
#: how often it polls a job that has no loss point yet (the first point should show within about 2 s)
FIRST_POINT_POLL_SECONDS = 0.3
#: the TensorFlow import waits this long after the first page run (it is drawn meanwhile)
WARM_UP_DELAY_SECONDS = 1.5
#: a run whose tab went away is stopped after this long unless a reloaded tab takes it back
ABANDONED_RUN_GRACE_SECONDS = 120.0

VALUES_KEY = "train_values"
RUN_TOKEN_KEY = "run_token"
QUERY_PARAM = "run"
STATUS_LABELS = {
    "queued": "waiting in the queue",
    "running": "training",
    "finished": "finished",
    "stopped": "stopped",
    "failed": "failed",
}
STATUS_ICONS = {
    "queued": ":material/hourglass_top:",
    "running": ":material/sync:",
    "finished": ":material/check_circle:",
    "stopped": ":material/stop_circle:",
    "failed": ":material/error:",
}
#: readable names for the registry's choice values (display only; the value stays the registry's)
CHOICE_LABELS = {
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "mse": "squared error Σ(x − x̂)²",
    "bce": "binary cross-entropy (BCE)",
    "mae": "absolute error Σ|x − x̂|",
    "gaussian": "Gaussian",
    "salt_pepper": "salt and pepper",
    "masking": "masking",
    "block": "block occlusion",
    "kl": "KL divergence (ρ, β)",
    "l1": "L1 on activations (λ)",
    "normal": "normal N(0, I)",
    "mixture": "mixture of 10 Gaussians (2-D)",
}
SECTION_TITLES = {
    "model": "Architecture",
    "noise": "Noise",
    "regularisation": "Regularisation",
    "training": "Training",
}


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
            import aecore.jobs  # noqa: F401  (TensorFlow, Keras and the models: the slow part)
            from aecore.data import load_dataset
            from aecore.devices import available_devices

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
def job_manager() -> Any:
    """The process's one ``JobManager`` (imports TensorFlow: call it only when a run is needed)."""
    from aecore.jobs import JobManager

    manager = JobManager()
    run_registry().manager = manager
    return manager


# ---------------------------------------------------------------------------------------------
# Which run belongs to which browser tab


@dataclass
class RunEntry:
    token: str
    job_id: int
    owner: str
    released_at: float | None = None


class RunRegistry:
    """Maps the token in a tab's URL (``?run=...``) to a job, and stops runs whose tab has gone for good.

    A token is random, so one student cannot watch or stop another's run by guessing a number. When a
    session ends (tab closed or reloaded) its runs get a grace period: a reloaded tab claims the run back
    through its URL; otherwise the run is stopped so a classroom's abandoned runs free their trainers.
    """

    MAX_ENTRIES = 1000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, RunEntry] = OrderedDict()
        self.manager: Any = None

    def add(self, job_id: int, owner: str) -> str:
        token = secrets.token_urlsafe(6)
        with self._lock:
            self._entries[token] = RunEntry(token, job_id, owner)
            while len(self._entries) > self.MAX_ENTRIES:
                self._entries.popitem(last=False)
        return token

    def claim(self, token: str, owner: str) -> RunEntry | None:
        """The run behind ``token``, now owned by ``owner`` (None if the server does not know it)."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is not None:
                entry.owner = owner
                entry.released_at = None
            return entry

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


def current_run() -> RunEntry | None:
    """This tab's run: from session state, else from the URL after a reload; keeps the URL pointing at it."""
    registry = run_registry()
    owner = session_handle().key
    token = st.session_state.get(RUN_TOKEN_KEY)
    if token is None:
        token = st.query_params.get(QUERY_PARAM)
    entry = registry.claim(token, owner) if token else None
    if entry is None:
        st.session_state.pop(RUN_TOKEN_KEY, None)
        if QUERY_PARAM in st.query_params:
            del st.query_params[QUERY_PARAM]
        return None
    st.session_state[RUN_TOKEN_KEY] = token
    if st.query_params.get(QUERY_PARAM) != token:
        st.query_params[QUERY_PARAM] = token
    return entry


def start_run(config: RunConfig) -> RunEntry:
    """Submit a run for this tab (raises ``AecoreError`` for bad settings) and remember it in the URL."""
    manager = job_manager()
    job = manager.submit(config)
    previous = current_run()
    if previous is not None:
        manager.forget(previous.job_id)  # this tab shows the new run now: free the old model
    registry = run_registry()
    token = registry.add(job.job_id, session_handle().key)
    st.session_state[RUN_TOKEN_KEY] = token
    st.query_params[QUERY_PARAM] = token
    return registry.claim(token, session_handle().key)


def run_snapshot(entry: RunEntry | None) -> Any:
    """The run's ``Snapshot``, or None when there is no run or the server no longer has it."""
    if entry is None:
        return None
    return job_manager().snapshot(entry.job_id)


def stop_requested(entry: RunEntry | None) -> bool:
    job = None if entry is None else job_manager().get(entry.job_id)
    return job is not None and job.stop_event.is_set()


def is_busy(snapshot: Any, entry: RunEntry | None) -> bool:
    """Whether this tab's run still trains or waits (a waiting run that was stopped counts as over)."""
    if snapshot is None or snapshot.ended:
        return False
    return not (snapshot.status == "queued" and stop_requested(entry))


def status_text(snapshot: Any, stopping: bool = False) -> str:
    if snapshot.status == "queued" and stopping:
        return "stopped before it started"
    if snapshot.status == "running" and stopping:
        return "stopping"
    return STATUS_LABELS.get(snapshot.status, snapshot.status)


def progress_text(snapshot: Any) -> str:
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


# ---------------------------------------------------------------------------------------------
# Controls built from the variant registry


def widget_key(name: str) -> str:
    return f"control_{name}"


def format_widths(widths: tuple[int, ...] | None) -> str:
    return ", ".join(str(width) for width in widths or ())


def values_from_config(config: RunConfig) -> dict[str, Any]:
    """Every control's value for a config, the variant's defaults filled in."""
    from aecore.variants import resolve

    resolved = resolve(config)
    values: dict[str, Any] = {
        "variant": resolved.model.variant,
        "dataset": resolved.dataset,
        "device": resolved.training.device,
    }
    for name, parameter in PARAMETERS.items():
        value = getattr(getattr(resolved, parameter.section), parameter.field)
        if parameter.kind == "widths":
            value = format_widths(value)
        elif parameter.kind == "float":
            value = float(value)
        elif parameter.kind == "int":
            value = int(value)
        values[name] = value
    return values


def control_values(initial: RunConfig | None = None) -> dict[str, Any]:
    """The session's control values; they outlive the widgets, which Streamlit drops on a page change.

    A new session starts from ``initial`` when given (a reloaded tab: the settings of the run it shows).
    """
    if VALUES_KEY not in st.session_state:
        default = initial or RunConfig(dataset=DEFAULT_DATASET, model=ModelConfig(variant=DEFAULT_VARIANT))
        st.session_state[VALUES_KEY] = values_from_config(default)
    return st.session_state[VALUES_KEY]


def set_values(changes: dict[str, Any]) -> None:
    """Change controls from a callback (before the widgets exist in this run)."""
    values = control_values()
    for name, value in changes.items():
        values[name] = value
        st.session_state[widget_key(name)] = value


def variant_parameters(variant: str) -> tuple[str, ...]:
    """The names of the controls a variant shows, in registry order."""
    return VARIANTS[variant].hyperparameters + COMMON_HYPERPARAMETERS


def on_variant_change() -> None:
    """A new variant brings its own defaults (e.g. the VAE's 400-100-2, the conv model's noise and no XLA);
    the training settings no variant sets (epochs, batch size, rate, seed) stay as the user left them."""
    variant = st.session_state[widget_key("variant")]
    defaults = values_from_config(RunConfig(model=ModelConfig(variant=variant)))
    variant_defaults = {**COMMON_DEFAULTS, **VARIANTS[variant].defaults}
    own = set(VARIANTS[variant].hyperparameters) | {
        name for name, parameter in PARAMETERS.items() if parameter.field in variant_defaults.get(parameter.section, {})
    }
    set_values({"variant": variant, **{name: defaults[name] for name in own}})


def apply_preset(name: str) -> None:
    """Fill every control from a preset (the device stays what this machine has)."""
    preset = PRESETS[name]
    values = values_from_config(preset.config)
    values.pop("device")
    set_values(values)


def on_preset_pick() -> None:
    name = st.session_state.get("preset_pick")
    if name:
        apply_preset(name)
        st.session_state["preset_applied"] = name
    st.session_state["preset_pick"] = None


def bind(name: str) -> str:
    """Prepare a widget key from the stored value (never passing ``value=`` too) and return the key."""
    key = widget_key(name)
    if key not in st.session_state:
        st.session_state[key] = control_values()[name]
    return key


def remember(name: str) -> Any:
    value = st.session_state[widget_key(name)]
    control_values()[name] = value
    return value


def render_parameter(name: str, disabled: bool = False) -> Any:
    """One control for one registry parameter: its kind picks the widget, its label and help come along."""
    parameter = PARAMETERS[name]
    key = bind(name)
    common = {"label": parameter.label, "help": parameter.help, "key": key, "disabled": disabled}
    if parameter.kind == "choice":
        st.selectbox(options=parameter.choices, format_func=lambda value: CHOICE_LABELS.get(value, value), **common)
    elif parameter.kind == "bool":
        st.toggle(**common)
    elif parameter.kind == "widths":
        st.text_input(placeholder="e.g. 128, 64 (empty: none)", **common)
    elif parameter.kind == "int":
        st.number_input(
            min_value=int(parameter.minimum), max_value=int(parameter.maximum), step=int(parameter.step), **common
        )
    elif parameter.log_scale or (parameter.maximum - parameter.minimum) > 1.0 and parameter.step < 0.05:
        st.number_input(
            min_value=float(parameter.minimum),
            max_value=float(parameter.maximum),
            step=float(parameter.step),
            format="%g",
            **common,
        )
    else:
        st.slider(
            min_value=float(parameter.minimum),
            max_value=float(parameter.maximum),
            step=float(parameter.step),
            **common,
        )
    return remember(name)


def config_from_values(values: dict[str, Any]) -> RunConfig:
    """The validated ``RunConfig`` of the controls a variant shows (raises ``AecoreError``)."""
    variant = values["variant"]
    settings = {name: values[name] for name in variant_parameters(variant)}
    return validate(config_from_settings(values["dataset"], variant, values["device"], settings))


def guarded(action: Callable[[], Any], what: str) -> Any:
    """Run ``action``; show a user error as ``st.error`` (never a traceback) and return None."""
    try:
        return action()
    except AecoreError as error:
        st.error(f"{what}: {error}", icon=":material/error:")
        return None
