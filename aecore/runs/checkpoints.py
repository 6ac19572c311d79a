"""A run's model on disk: the checkpoint aecore resumes from, and ``model.keras`` that plain Keras loads.

The checkpoint is one ``.npz`` of arrays (every weight, every optimiser's state, the noise generator's state),
not a pickled object: it loads into a model rebuilt from the run's config. ``model.keras`` is a functional
Keras model made only of Keras' own layers, with the encoder and the decoder as named sub-models, so
``keras.models.load_model("model.keras")`` works where aecore is not installed (and with ``safe_mode=True``).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import numpy as np

from aecore.errors import AecoreError
from aecore.models.base import Autoencoder
from aecore.models.build import build_model
from aecore.runs.folder import CHECKPOINT_FILE, MODEL_FILE, RunFolder, npz_bytes, read_npz
from aecore.tensorflow_runtime import keras


def checkpoint_bytes(model: Autoencoder, epochs_done: int) -> bytes:
    arrays: dict[str, np.ndarray] = {"epochs_done": np.array(epochs_done)}
    for index, weight in enumerate(model.get_weights()):
        arrays[f"weights/{index}"] = weight
    for number, optimizer in enumerate(model.optimizers):
        for index, variable in enumerate(optimizer.variables):
            arrays[f"optimizer{number}/{index}"] = variable.numpy()
    arrays["random_state"] = model.random.state.numpy()
    return npz_bytes(arrays)


def _numbered(arrays: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    count = sum(1 for name in arrays if name.startswith(prefix))
    return [arrays[f"{prefix}{index}"] for index in range(count)]


def restore_checkpoint(model: Autoencoder, arrays: dict[str, np.ndarray]) -> int:
    """Put a checkpoint's weights and optimiser state into a model built from the same config; returns its epochs."""
    model.set_weights(_numbered(arrays, "weights/"))
    for number, optimizer in enumerate(model.optimizers):
        for variable, value in zip(optimizer.variables, _numbered(arrays, f"optimizer{number}/"), strict=True):
            variable.assign(value)
    model.random.state.assign(arrays["random_state"])
    return int(arrays["epochs_done"])


def load_run_model(folder: RunFolder) -> Autoencoder:
    """The run's aecore model as its last checkpoint left it (for resuming and for the explore pages)."""
    path = folder.file(CHECKPOINT_FILE)
    if not path.is_file():
        raise AecoreError(f"Run '{folder.run_id}' has no saved model yet: it ended before its model was built.")
    image_shape = folder.meta().get("image_shape")
    if not image_shape:
        raise AecoreError(f"Run '{folder.run_id}' does not say what images it was trained on; it cannot be loaded.")
    image_shape = tuple(image_shape)
    model = build_model(folder.config(), image_shape)
    restore_checkpoint(model, read_npz(path))
    return model


def _plain_network(network: keras.Model, code_units: int | None = None) -> keras.Model:
    """A copy of a Sequential network from its config (Keras layers only); ``code_units`` keeps the first units
    of the last Dense layer (the VAE's μ out of [μ, log σ²])."""
    config = network.get_config()
    weights = network.get_weights()
    if code_units is not None:
        config["layers"][-1]["config"]["units"] = code_units
        weights[-2], weights[-1] = weights[-2][:, :code_units], weights[-1][:code_units]
    copy = keras.Sequential.from_config(config)
    copy.set_weights(weights)
    return copy


def plain_model(model: Autoencoder) -> keras.Model:
    """image -> ``encoder`` -> code -> ``decoder`` -> reconstruction, built from Keras' own layers only."""
    mean_only = model.code_size if model.encoder.output_shape[-1] != model.code_size else None
    encoder = _plain_network(model.encoder, mean_only)
    decoder = _plain_network(model.decoder)
    image = keras.Input(model.image_shape, name="image")
    return keras.Model(image, decoder(encoder(image)), name=f"{model.run_config.model.variant}_autoencoder")


def save_plain_model(model: Autoencoder, folder: RunFolder) -> Path:
    """``model.keras`` in the run folder, written under a temporary name and renamed."""
    path = folder.file(MODEL_FILE)
    temporary = path.with_name(f".{secrets.token_hex(4)}.tmp.keras")  # Keras insists on the .keras suffix
    try:
        plain_model(model).save(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def plain_model_bytes(model: Autoencoder) -> bytes:
    """The plain ``model.keras`` of a model in memory (a run the store could not save stays downloadable)."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / MODEL_FILE
        plain_model(model).save(path)
        return path.read_bytes()
