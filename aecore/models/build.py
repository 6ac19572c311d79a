"""The autoencoder models, one module per family; ``build_model`` makes the one a config names."""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterator

from aecore.models import aae, contractive, conv, sparse, vae  # noqa: F401  (registers each class with Keras)
from aecore.models.base import Autoencoder, make_optimizer
from aecore.settings.config import RunConfig
from aecore.settings.variants import VARIANTS
from aecore.tensorflow_runtime import keras

keras.saving.register_keras_serializable(package="aecore")(Autoencoder)


_SEED_LOCK = threading.RLock()


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Hold the process-wide seed for one job while it draws its weights and builds its shuffle.

    Keras and tf.data derive their random streams from one global seed, and jobs build in threads: without
    the lock a run's weights or batch order would depend on which other run was built in between.
    """
    with _SEED_LOCK:
        keras.utils.set_random_seed(seed)
        yield


def model_class(variant: str) -> type[Autoencoder]:
    module, name = VARIANTS[variant].model_class.split(":")
    return getattr(importlib.import_module(f"aecore.models.{module}"), name)


def build_model(config: RunConfig, image_shape: tuple[int, ...]) -> Autoencoder:
    """A new, compiled model for a validated config, its weights drawn from the run's seed."""
    with seeded(config.training.seed):
        model = model_class(config.model.variant)(config, image_shape)
    model.compile(optimizer=make_optimizer(config.training))
    model.optimizer.build(model.trainable_variables)  # what Keras builds on load, so a saved state fits
    return model
