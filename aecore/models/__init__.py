"""The autoencoder models, one module per family; ``build_model`` makes the one a config names."""

from __future__ import annotations

import importlib
import threading

from aecore.config import RunConfig
from aecore.models import aae, contractive, conv, sparse, vae  # noqa: F401  (registers each class with Keras)
from aecore.models.base import Autoencoder
from aecore.tensorflow_runtime import keras
from aecore.variants import VARIANTS

keras.saving.register_keras_serializable(package="aecore")(Autoencoder)

_BUILD_LOCK = threading.Lock()


def model_class(variant: str) -> type[Autoencoder]:
    module, name = VARIANTS[variant].model_class.split(":")
    return getattr(importlib.import_module(f"aecore.models.{module}"), name)


def build_model(config: RunConfig, image_shape: tuple[int, ...]) -> Autoencoder:
    """A new, compiled model for a validated config, its weights drawn from the run's seed.

    Building holds a lock because Keras' seed is process-wide and jobs build in threads.
    """
    with _BUILD_LOCK:
        keras.utils.set_random_seed(config.training.seed)
        model = model_class(config.model.variant)(config, image_shape)
    model.compile(optimizer=keras.optimizers.Adam(config.training.learning_rate))
    model.optimizer.build(model.trainable_variables)  # what Keras builds on load, so a saved state fits
    return model
