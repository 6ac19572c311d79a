"""Shareable settings: a run's settings as URL query parameters, and a link read back into settings.

A link comes from anywhere (a student's chat, a typo), so reading one never fails: each name that is not a
setting of the variant, and each value that does not parse or lies outside its range, is dropped with a
notice saying so, and the rest of the link still applies.
"""

from __future__ import annotations

import math
from typing import Any

from aecore.errors import AecoreError, quoted
from aecore.settings.config import RunConfig
from aecore.settings.parameters import PARAMETERS, config_from_settings, parsed_widths
from aecore.settings.validation import validate
from aecore.settings.variants import VARIANTS

#: a lesson's own query parameters (``aecore.settings.lessons``), in this order
LESSON_PARAMETERS = ("hide", "lock", "title", "note", "present")
#: query parameters that are not settings (the run a tab shows, the secret that makes the tab its owner, a lesson)
RESERVED = ("run", "key", *LESSON_PARAMETERS)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(width) for width in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def query_from_config(config: RunConfig) -> dict[str, str]:
    """``{"variant": "sparse", "dataset": "mnist-5k", "rho": "0.2", ...}``: every setting the variant shows."""
    config = validate(config)
    query = {"variant": config.model.variant, "dataset": config.dataset}
    for name in VARIANTS[config.model.variant].settings:
        parameter = PARAMETERS[name]
        query[name] = _text(getattr(getattr(config, parameter.section), parameter.field))
    return query


def parse_setting(name: str, text: str) -> Any:
    """One setting's value from its text, checked against the setting's kind and range (raises ``AecoreError``)."""
    parameter = PARAMETERS[name]
    if parameter.kind == "choice":
        if text not in parameter.choices:
            raise AecoreError(f"{quoted(text)} is not one of {', '.join(parameter.choices)}")
        return text
    if parameter.kind == "bool":
        if text.lower() not in ("true", "false"):
            raise AecoreError(f"{quoted(text)} is not true or false")
        return text.lower() == "true"
    if parameter.kind == "widths":
        return parsed_widths(name, text)
    try:
        value = int(text) if parameter.kind == "int" else float(text)
    except ValueError:
        raise AecoreError(f"{quoted(text)} is not a {'whole ' if parameter.kind == 'int' else ''}number") from None
    if not math.isfinite(value) or not parameter.minimum <= value <= parameter.maximum:
        raise AecoreError(f"{quoted(text)} lies outside {parameter.minimum:g} … {parameter.maximum:g}")
    return value


def config_from_query(query: dict[str, str], datasets: list[str], default: RunConfig) -> tuple[RunConfig, list[str]]:
    """The settings a link names, on top of its variant's defaults, and a notice for everything it dropped.

    ``datasets`` are the names this server offers; ``default`` gives the variant, dataset and device when the
    link names none (or an unknown one). Returns a validated config; if the kept settings still do not make a
    valid run together, the variant's defaults are used and the notice says why.
    """
    notices: list[str] = []
    variant = query.get("variant", default.model.variant)
    if variant not in VARIANTS:
        notices.append(f"unknown variant {quoted(variant)}")
        variant = default.model.variant
    dataset = query.get("dataset", default.dataset)
    if dataset not in datasets:
        notices.append(f"unknown dataset {quoted(dataset)}")
        dataset = default.dataset
    shown = VARIANTS[variant].settings
    settings: dict[str, Any] = {}
    for name, text in query.items():
        if name in ("variant", "dataset", *RESERVED):
            continue
        if name not in shown:
            notices.append(f"{quoted(name)} is not a setting of the {variant} variant")
            continue
        try:
            settings[name] = parse_setting(name, text)
        except AecoreError as error:
            notices.append(f"{VARIANTS[variant].parameter(name).label}: {error}")
    device = default.training.device
    try:
        config = validate(config_from_settings(dataset, variant, device, settings))
    except AecoreError as error:
        notices.append(f"these settings do not make a valid run together ({error})")
        config = validate(config_from_settings(dataset, variant, device, {}))
    return config, notices
