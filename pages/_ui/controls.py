"""The Train page's controls, built from the variant registry, kept across page changes and in the URL.

The controls' values live in the session (Streamlit drops widget state when the page changes) and in the
address bar (``?variant=sparse&rho=0.2&...``), so copying the URL shares the settings with someone else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from aecore.errors import AecoreError
from aecore.settings.config import NOISE_NAMES, ModelConfig, RunConfig
from aecore.settings.links import RESERVED, config_from_query, query_from_config
from aecore.settings.parameters import PARAMETERS, config_from_settings
from aecore.settings.presets import PRESETS
from aecore.settings.validation import validate
from aecore.settings.variants import COMMON_DEFAULTS, VARIANTS
from pages._ui.runtime import DEFAULT_DATASET

#: the variant a fresh session starts with: the seed paper's denoising model on embedded MNIST
DEFAULT_VARIANT = "conv_denoising"
VALUES_KEY = "train_values"
LINK_NOTICE_KEY = "link_notices"
#: readable names for the registry's choice values (display only; the value stays the registry's)
CHOICE_LABELS = {
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "mse": "squared error",
    "bce": "binary cross-entropy (BCE)",
    "mae": "absolute error",
    "cb": "continuous Bernoulli",
    "linear": "linear",
    "glorot_uniform": "Glorot uniform",
    "fan_in_uniform": "uniform ±1/√fan-in",
    "adam": "Adam",
    "sgd": "SGD, momentum 0.9",
    "mean": "mean over the batch",
    "sum": "sum over the batch",
    **NOISE_NAMES,
    "kl": "KL divergence (ρ, β)",
    "l1": "L1 on activations (λ)",
    "normal": "normal N(0, I)",
    "mixture": "mixture of 10 Gaussians (2-D)",
    "pool": "max pooling (the seed paper)",
    "stride": "stride 2 (the TensorFlow tutorial)",
}
SECTION_TITLES = {
    "model": "Architecture",
    "noise": "Noise",
    "regularisation": "Regularisation",
    "training": "Training",
}


# ---------------------------------------------------------------------------------------------
# Controls built from the variant registry


def widget_key(name: str) -> str:
    return f"control_{name}"


def format_widths(widths: tuple[int, ...] | None) -> str:
    return ", ".join(str(width) for width in widths or ())


def values_from_config(config: RunConfig) -> dict[str, Any]:
    """Every control's value for a config, the variant's defaults filled in."""
    from aecore.settings.variants import resolve

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


def _link_settings() -> dict[str, str]:
    return {name: st.query_params[name] for name in st.query_params if name not in RESERVED}


def control_values(initial: RunConfig | None = None) -> dict[str, Any]:
    """The session's control values; they outlive the widgets, which Streamlit drops on a page change.

    A new session starts from the settings in its URL (a shared link, or a reloaded tab), else from
    ``initial`` (the settings of the run the tab shows), else from the defaults.
    """
    if VALUES_KEY not in st.session_state:
        default = initial or RunConfig(dataset=DEFAULT_DATASET, model=ModelConfig(variant=DEFAULT_VARIANT))
        link = _link_settings()
        if link:
            from aecore.data.registry import list_datasets

            default, notices = config_from_query(link, [info.name for info in list_datasets()], default)
            if notices:
                st.session_state[LINK_NOTICE_KEY] = notices
        st.session_state[VALUES_KEY] = values_from_config(default)
    return st.session_state[VALUES_KEY]


def settings_link(config: RunConfig) -> str:
    """A link to this page with these settings and nothing else (the address bar also names this tab's run)."""
    from urllib.parse import urlencode

    page = (st.context.url or "").split("?")[0]
    return f"{page}?{urlencode(query_from_config(config))}"


def share_in_url(config: RunConfig, lesson_query: dict[str, str] | None = None) -> None:
    """Put the settings, and the tab's lesson if it has one, in the address bar (only what changed, so the URL stays
    as the person left it)."""
    query = {**query_from_config(config), **(lesson_query or {})}
    for name in [name for name in st.query_params if name not in RESERVED and name not in query]:
        del st.query_params[name]
    for name, text in query.items():
        if st.query_params.get(name) != text:
            st.query_params[name] = text


def set_values(changes: dict[str, Any]) -> None:
    """Change controls from a callback (before the widgets exist in this run)."""
    values = control_values()
    for name, value in changes.items():
        values[name] = value
        st.session_state[widget_key(name)] = value


def variant_parameters(variant: str) -> tuple[str, ...]:
    """The names of the controls a variant shows, in registry order."""
    return VARIANTS[variant].settings


def on_variant_change() -> None:
    """A new variant brings its own defaults (e.g. the VAE's 400-100-2, the conv model's noise and no XLA, the deep
    model's learning rate); the training settings no variant sets (epochs, batch size, seed) stay as the user left
    them."""
    variant = st.session_state[widget_key("variant")]
    defaults = values_from_config(RunConfig(model=ModelConfig(variant=variant)))
    own_defaults = VARIANTS[variant].defaults
    variant_defaults = {  # section by section, as ``resolve`` merges them: a variant's section adds, never replaces
        section: {**COMMON_DEFAULTS.get(section, {}), **own_defaults.get(section, {})}
        for section in {*COMMON_DEFAULTS, *own_defaults}
    }
    own = set(VARIANTS[variant].hyperparameters) | {
        name for name, parameter in PARAMETERS.items() if parameter.field in variant_defaults.get(parameter.section, {})
    }
    set_values({"variant": variant, **{name: defaults[name] for name in own}})


def apply_config(config: RunConfig) -> None:
    """Fill every control from a config (a preset, a stored run); the device stays what this machine has."""
    values = values_from_config(config)
    values.pop("device")
    set_values(values)


def apply_preset(preset_id: str) -> None:
    apply_config(PRESETS[preset_id].config)


def on_preset_pick() -> None:
    preset_id = st.session_state.get("preset_pick")
    if preset_id:
        apply_preset(preset_id)
        st.session_state["preset_applied"] = preset_id
    st.session_state["preset_pick"] = None


def bind(name: str) -> str:
    """Prepare a widget key from the stored value (never passing ``value=`` too) and return the key."""
    key = widget_key(name)
    if key not in st.session_state:
        st.session_state[key] = control_values()[name]
    return key


def current_values() -> dict[str, Any]:
    """The controls' values as this run of the page sees them: a widget changed just now counts already."""
    return {name: st.session_state.get(widget_key(name), value) for name, value in control_values().items()}


def remember(name: str) -> Any:
    value = st.session_state[widget_key(name)]
    control_values()[name] = value
    return value


def render_parameter(name: str, disabled: bool = False, on_change: Callable[..., None] | None = None) -> Any:
    """One control for one registry parameter: its kind picks the widget, its label and help come along;
    ``on_change(name, key)`` is called when a person changes it."""
    parameter = VARIANTS[control_values()["variant"]].parameter(name)
    key = bind(name)
    common = {"label": parameter.label, "help": parameter.help, "key": key, "disabled": disabled}
    if on_change is not None:
        common.update(on_change=on_change, args=(name, key))
    if parameter.kind == "choice":
        st.selectbox(options=parameter.choices, format_func=lambda value: CHOICE_LABELS.get(value, value), **common)
    elif parameter.kind == "bool":
        st.toggle(**common)
    elif parameter.kind == "widths":
        st.text_input(placeholder=f"e.g. {parameter.example}", **common)
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


def succeeded(action: Callable[[], Any], what: str) -> bool:
    """Run an action that returns nothing; on a user error show it with ``st.error`` and return False."""
    return guarded(lambda: action() or True, what) is not None
