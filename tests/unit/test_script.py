"""The script to take home: every variant's trains for two epochs in a Python where aecore cannot be imported,
its loss falls, and the model it saves loads as plain Keras."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap

import pytest
from cli_support import run_cli

from aecore.cli.script import script_settings, training_script
from aecore.settings.config import ModelConfig, RunConfig
from aecore.settings.live import LiveChange
from aecore.settings.variants import VARIANTS, resolve

#: runs each script as ``python train_ae.py --epochs 2 --out NAME.keras``, in one interpreter (TensorFlow imported
#: once), with aecore blocked; prints each script's per-epoch totals and the saved model's output shape
RUNNER = textwrap.dedent(
    """
    import contextlib, io, json, re, sys
    sys.modules["aecore"] = None  # any import of aecore fails
    import keras, numpy as np
    results = {}
    for name in sys.argv[1:]:
        sys.argv = [name, "--epochs", "2", "--out", f"{name}.keras"]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(open(f"{name}.py").read(), f"{name}.py", "exec"), {"__name__": "__main__"})
        totals = [float(value) for value in re.findall(r"total ([-0-9.e+]+)", printed.getvalue())]
        model = keras.models.load_model(f"{name}.keras")
        shape = list(model(np.zeros((2, 8, 8, 1), dtype="float32")).shape)
        results[name] = {"totals": totals, "shape": shape, "parameters": model.count_params()}
    print(json.dumps(results))
    """
)


#: the convolutional model's other downsampling, as the TensorFlow tutorial's denoiser preset trains it
STRIDED = ModelConfig(variant="conv_denoising", channels=(16, 8), downsampling="stride", loss="mse")


def test_every_variants_script_trains_alone_and_saves_a_plain_keras_model(tmp_path) -> None:
    from aecore.models.build import build_model

    configs = {variant: RunConfig(dataset="digits", model=ModelConfig(variant=variant)) for variant in VARIANTS}
    configs["conv_strided"] = RunConfig(dataset="digits", model=STRIDED)
    for name, config in configs.items():
        (tmp_path / f"{name}.py").write_text(training_script(resolve(config)))
    (tmp_path / "runner.py").write_text(RUNNER)
    done = subprocess.run(
        [sys.executable, "-I", "runner.py", *configs],  # -I: no PYTHONPATH, no current folder on the path
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(results) == set(configs)
    for name, result in results.items():
        first, second = result["totals"]
        assert second < first, f"{name}: the loss fell from the first epoch to the second ({first} → {second})"
        assert result["shape"] == [2, 8, 8, 1], f"{name}: the saved model rebuilds 8×8 images"
    for name in ("conv_denoising", "conv_strided"):  # the script's networks are aecore's, layer for layer
        ours = build_model(resolve(configs[name]), (8, 8, 1))
        assert results[name]["parameters"] == ours.encoder.count_params() + ours.decoder.count_params(), name


def test_the_script_carries_the_settings_and_lists_live_changes_as_comments() -> None:
    config = resolve(RunConfig(dataset="mnist-5k", model=ModelConfig(variant="sparse", latent_dim=32)))
    text = training_script(config, [LiveChange(30, "beta", 3.0, 9.0)])
    ast.parse(text)
    settings = json.loads(re.search(r'SETTINGS = json.loads\("""(.*?)"""\)', text, re.DOTALL).group(1))
    assert settings == json.loads(json.dumps(script_settings(config))) and settings["latent_dim"] == 32
    assert "from batch 30: beta 3 -> 9" in text and "mlxtend" in text
    assert "aecore" not in text.split('"""', 2)[2], "the code never imports aecore"
    assert "def penalty_terms" in text and "batch_jacobian" not in text, "only its variant's sections"


def test_the_cli_prints_a_presets_script(capsys) -> None:
    code, out, _ = run_cli(capsys, "script", "--preset", "seed-sparse", "--epochs", "3")
    assert code == 0 and out.startswith("#!/usr/bin/env python3")
    assert '"epochs": 3' in out and '"rho": 0.2' in out
    code, _, err = run_cli(capsys, "script")
    assert code == 2 and "Choose a variant" in err


@pytest.mark.parametrize("variant", ["vae", "conv_denoising"])
def test_a_variants_own_sections_are_kept(variant: str) -> None:
    text = training_script(resolve(RunConfig(dataset="digits", model=ModelConfig(variant=variant))))
    assert ("vae_reconstruction" in text) == (variant == "vae")
    assert ("Conv2DTranspose" in text) == (variant == "conv_denoising")
    assert "# >>>" not in text and "# <<<" not in text and "{{" not in text
