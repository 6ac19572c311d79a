"""The model's steps compiled once per job, and the batches they eat.

``Compiled`` wraps a model's train and test steps and its networks in ``tf.function`` (replicated under a
mirrored strategy, batches weighted by their image count); batches are gathered by (shuffled) index from one
tensor per dataset split with ``tf.data`` prefetching and autotuning off (autotuning stalls the epoch boundary for
seconds on CPU). ``aecore.training`` drives them; ``aecore.evaluation`` reads the networks.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from aecore.config import RunConfig
from aecore.data import Dataset
from aecore.devices import Placement
from aecore.models.base import Autoencoder
from aecore.noise import corrupt_images
from aecore.tensorflow_runtime import tf

#: images per validation batch (batches are weighted by their size, so it changes no value, only the speed)
VALIDATION_BATCH = 512
#: the validation set is corrupted once per run with this seed, so every epoch is measured on the same inputs
VALIDATION_NOISE_SEED = 4321


def image_batches(images: tf.Tensor | tuple[tf.Tensor, ...], batch_size: int, seed: int | None) -> tf.data.Dataset:
    """Batches gathered by (shuffled) index from one tensor: no per-image copies, no shuffle buffer of images.

    A tuple of tensors (noisy inputs and their clean targets) gives tuples of batches, gathered at the same rows.

    Shuffled (training) batches drop the last, smaller batch when there is more than one batch: every
    step then has one shape, so an XLA-compiled step compiles once instead of stalling at each epoch's end.
    """
    count = int(tf.nest.flatten(images)[0].shape[0])
    indices = tf.data.Dataset.range(count)
    if seed is not None:
        indices = indices.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    drop_remainder = seed is not None and count >= batch_size
    batches = indices.batch(batch_size, drop_remainder=drop_remainder)
    batches = batches.map(lambda index: tf.nest.map_structure(lambda part: tf.gather(part, index), images))
    batches = batches.prefetch(2)
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.with_options(options)


#: keyed on the Dataset object itself: a dataset replaced under the same name (a new upload) gets new
#: tensors, and a dataset nobody holds any more takes its tensors with it
_TENSORS: weakref.WeakKeyDictionary[Dataset, dict[str, tf.Tensor]] = weakref.WeakKeyDictionary()
_TENSORS_LOCK = threading.Lock()


def dataset_tensor(dataset: Dataset, split: str) -> tf.Tensor:
    """One tensor per dataset split and process, shared by every job's input pipeline."""
    with _TENSORS_LOCK:
        tensors = _TENSORS.setdefault(dataset, {})
        if split not in tensors:
            with tf.device("/CPU:0"):
                tensors[split] = tf.constant(getattr(dataset, f"x_{split}"))
        return tensors[split]


def validation_inputs(dataset: Dataset, config: RunConfig, clean: tf.Tensor) -> tf.Tensor:
    """The validation images as the model sees them: corrupted once with a fixed seed (the model's own noise
    generator would draw new noise every epoch, and the curve would move with the draw), clean at level 0."""
    noise = config.noise
    if noise.level == 0:
        return clean
    with tf.device("/CPU:0"):
        return tf.constant(corrupt_images(dataset.x_val, noise.kind, noise.level, seed=VALIDATION_NOISE_SEED))


class Compiled:
    """The model's steps and networks wrapped once in ``tf.function``; one per job."""

    def __init__(self, model: Autoencoder, placement: Placement) -> None:
        self.model = model
        self.strategy = placement.strategy
        xla = model.run_config.training.xla
        self.train_step = self._replicated(model.train_step, xla)
        # a run's first batch trains eagerly: tracing a step takes 0.3-1.2 s here and an XLA compile 2 s more, and
        # a person who just pressed Train should see a loss point before that (the second batch traces it)
        self.first_train_step = model.train_step if self.strategy is None else self.train_step
        self.test_step = self._replicated(model.test_step, xla)
        self.encode = tf.function(model.encode, reduce_retracing=True)
        self.decode = tf.function(model.decode, reduce_retracing=True)
        self.reconstruct = tf.function(model.call, reduce_retracing=True)
        self.diagnostics = tf.function(model.diagnostics, reduce_retracing=True)

    def _replicated(self, step: Callable[[tf.Tensor], dict[str, tf.Tensor]], xla: bool) -> Callable:
        if self.strategy is None:
            return tf.function(step, reduce_retracing=True, jit_compile=xla)
        strategy = self.strategy

        def weighted(batch: Any) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
            """This replica's terms times its image count: a replica with no images (a last batch smaller than
            the replica count) adds zero instead of the NaN of an empty mean."""
            terms = step(batch)
            count = tf.cast(tf.shape(tf.nest.flatten(batch)[0])[0], tf.float32)
            return {name: tf.where(count > 0, value * count, 0.0) for name, value in terms.items()}, count

        @tf.function  # XLA is for one device: a mirrored step across GPUs is left to the strategy
        def distributed(batch: Any) -> dict[str, tf.Tensor]:
            sums, counts = strategy.run(weighted, args=(batch,))
            images = strategy.reduce("SUM", counts, axis=None)
            return {name: strategy.reduce("SUM", value, axis=None) / images for name, value in sums.items()}

        return distributed

    def batches(self, images: tf.Tensor, batch_size: int, seed: int | None) -> Any:
        data = image_batches(images, batch_size, seed)
        return data if self.strategy is None else self.strategy.experimental_distribute_dataset(data)

    def validation_means(self, inputs: tf.Tensor, targets: tf.Tensor) -> dict[str, float]:
        """Every term over a validation set, batches weighted by their image count; terms that belong to the
        whole set (``population_terms``: the sparsity KL of ρ̂ over all of it) replace their batch means."""
        model = self.model
        for tracker in model.metrics:
            tracker.reset_state()
        for batch in self.batches((inputs, targets), VALIDATION_BATCH, None):
            self.test_step(batch)
        means = {name: float(tracker.result()) for name, tracker in model.term_trackers.items()}
        population = model.population_terms(self.in_batches(self.encode, inputs))
        for name, value in population.items():
            if name not in model.monitored_terms:
                means["total"] += float(value) - means[name]
            means[name] = float(value)
        return means

    def in_batches(self, function: Callable, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Apply a network to many images without building one huge tensor."""
        parts = [function(images[start : start + batch_size]).numpy() for start in range(0, len(images), batch_size)]
        return np.concatenate(parts)
