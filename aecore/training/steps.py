"""The model's steps compiled once per job, and the batches they eat.

``Compiled`` wraps a model's train and test steps and its networks in ``tf.function``. On one device, training
runs up to ``MAX_STEPS_PER_CALL`` steps in one compiled loop that gathers each batch by the epoch's shuffled index
order from one tensor per dataset split; under a mirrored strategy the step is replicated and fed per batch, with
batches weighted by their image count. ``tf.data`` runs with autotuning off (it stalls the epoch boundary for
seconds on CPU). ``aecore.training.engine`` drives them; ``aecore.training.evaluation`` reads the networks.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np

from aecore.data.dataset import Dataset
from aecore.data.noise import corrupt_images
from aecore.models.base import Autoencoder
from aecore.settings.config import RunConfig
from aecore.tensorflow_runtime import tf
from aecore.training.devices import Placement

#: images per validation batch (batches are weighted by their size, so it changes no value, only the speed)
VALIDATION_BATCH = 512
#: the validation set is corrupted once per run with this seed, so every epoch is measured on the same inputs
VALIDATION_NOISE_SEED = 4321

#: the most training steps one call runs (``Compiled.training_epochs``); the engine asks for fewer when a step is
#: slow, so a call stays short enough for Stop and the live chart
MAX_STEPS_PER_CALL = 32
#: trains batches start..stop-1 of one epoch, returns each step's terms by name
EpochTrainer = Callable[[int, int], dict[str, np.ndarray]]


def index_batches(count: int, batch_size: int, seed: int | None) -> tf.data.Dataset:
    """Batches of image indices, shuffled anew on every pass when there is a seed.

    Shuffled (training) batches drop the last, smaller batch when there is more than one batch: every
    step then has one shape, so an XLA-compiled step compiles once instead of stalling at each epoch's end.
    """
    indices = tf.data.Dataset.range(count)
    if seed is not None:
        indices = indices.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    return indices.batch(batch_size, drop_remainder=seed is not None and count >= batch_size)


def without_autotuning(data: tf.data.Dataset) -> tf.data.Dataset:
    options = tf.data.Options()
    options.autotune.enabled = False
    return data.with_options(options)


def image_batches(images: tf.Tensor | tuple[tf.Tensor, ...], batch_size: int, seed: int | None) -> tf.data.Dataset:
    """Batches gathered by (shuffled) index from one tensor: no per-image copies, no shuffle buffer of images.

    A tuple of tensors (noisy inputs and their clean targets) gives tuples of batches, gathered at the same rows.
    """
    count = int(tf.nest.flatten(images)[0].shape[0])
    batches = index_batches(count, batch_size, seed)
    batches = batches.map(lambda index: tf.nest.map_structure(lambda part: tf.gather(part, index), images))
    return without_autotuning(batches.prefetch(2))


def epoch_orders(count: int, batch_size: int, seed: int) -> Iterator[tf.Tensor]:
    """Every epoch's batches as one [batches, batch size] tensor of image indices: the order ``image_batches``
    gives with the same seed, shuffled anew for each epoch."""
    orders = without_autotuning(index_batches(count, batch_size, seed).batch(count))
    while True:
        yield next(iter(orders))


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
        # one device: consecutive steps in one compiled loop; a mirrored strategy: its replicated step per batch
        if self.strategy is None:
            self.train_steps = tf.function(self._steps, jit_compile=xla)
        else:
            self.train_step = self._replicated(model.train_step, xla)
        self._compiling: threading.Thread | None = None  # the fused steps, compiled beside the first batches

        self.test_step = self._replicated(model.test_step, xla)
        self.encode = tf.function(model.encode, reduce_retracing=True)
        self.decode = tf.function(model.decode, reduce_retracing=True)
        self.reconstruct = tf.function(model.call, reduce_retracing=True)
        self.diagnostics = tf.function(model.diagnostics, reduce_retracing=True)
        #: the VAE's −ELBO of clean images (None for the other variants), traced once per job like the rest
        self.negative_elbo = (
            tf.function(model.negative_elbo, reduce_retracing=True) if hasattr(model, "negative_elbo") else None
        )

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

    def _steps(self, images: tf.Tensor, order: tf.Tensor, start: tf.Tensor, stop: tf.Tensor) -> tf.Tensor:
        """Batches start..stop-1 of an epoch's order, a step each, in one call; a row of terms per step.

        One call per step costs a round trip through Python and TensorFlow's dispatch, about as long as a small
        model's step itself; docs/performance.md's engine table has what running them many to a call gained."""
        names = tuple(self.model.term_trackers)
        rows = tf.TensorArray(tf.float32, size=MAX_STEPS_PER_CALL)  # a fixed size: XLA returns no growing one
        step = start
        while step < stop:  # not ``tf.range``: XLA would compile it anew for every (start, stop)
            terms = self.model.train_step(tf.gather(images, order[step]))
            rows = rows.write(step - start, tf.stack([terms[name] for name in names]))
            step += 1
        return rows.stack()

    def training_epochs(self, images: tf.Tensor, batch_size: int, seed: int) -> Iterator[EpochTrainer]:
        """For every epoch, ``train(start, stop)``: trains that epoch's batches from start on, up to stop-1 (one
        batch, eagerly, while the loop of steps is still being compiled; never past ``MAX_STEPS_PER_CALL``), and
        returns each step's terms, by name, one value per step trained."""
        if self.strategy is None:
            for order in epoch_orders(int(images.shape[0]), batch_size, seed):
                yield partial(self._train_fused, images, order)
        else:
            batches = self.batches(images, batch_size, seed)
            while True:
                yield partial(self._train_replicated, iter(batches))

    def _train_fused(self, images: tf.Tensor, order: tf.Tensor, start: int, stop: int) -> dict[str, np.ndarray]:
        if self._compiling is None:
            # tracing the steps takes 0.3-1.2 s here and an XLA compile 2 s more (far more on a busy machine). They
            # happen in a thread of their own, on a call that trains no batch (start = stop: XLA compiles for the
            # shapes, not the values), while the first batches train eagerly, the same step: the first loss point
            # shows at once, and Stop is answered within a batch even while the compiler works
            self._compiling = threading.Thread(target=self._compile, args=(images, order), daemon=True)
            self._compiling.start()
        if self._compiling.is_alive():
            terms = self.model.train_step(tf.gather(images, order[start]))
            return {name: np.array([float(value)]) for name, value in terms.items()}
        stop = min(stop, start + MAX_STEPS_PER_CALL)  # the rest in the next call: the caller goes by the rows
        rows = self.train_steps(images, order, tf.constant(start), tf.constant(stop)).numpy()[: stop - start]
        return dict(zip(self.model.term_trackers, rows.T, strict=True))

    def wait_compiled(self) -> None:
        """Wait for the thread that compiles the steps, if one was started (a run stopped in its first seconds)."""
        if self._compiling is not None:
            self._compiling.join()

    def _compile(self, images: tf.Tensor, order: tf.Tensor) -> None:
        self.train_steps(images, order, tf.constant(0), tf.constant(0))
        self._trace_networks(tuple(images.shape[1:]))

    def _trace_networks(self, image_shape: tuple[int, ...]) -> None:
        """Trace the networks the previews and the test metrics call, for any batch size, without running them
        (running would draw from the model's random streams beside the training and break a seed's repeat): the
        run's end, a Stop's too, then does not wait for their first trace."""
        images = tf.TensorSpec((None, *image_shape), tf.float32)
        codes = self.encode.get_concrete_function(images).structured_outputs
        self.decode.get_concrete_function(tf.TensorSpec((None, *codes.shape[1:]), codes.dtype))
        self.reconstruct.get_concrete_function(images)
        self.diagnostics.get_concrete_function(images)
        if self.negative_elbo is not None:
            self.negative_elbo.get_concrete_function(images, images)

    def _train_replicated(self, batches: Iterator[Any], start: int, stop: int) -> dict[str, np.ndarray]:
        steps = [self.train_step(next(batches)) for _ in range(start, stop)]
        return {name: np.array([float(step[name]) for step in steps]) for name in steps[0]}

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
