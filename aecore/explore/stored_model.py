"""A stored run's model put to work for the explore pages: encode, decode, reconstruct, on numpy, quickly.

The model comes from the run's folder (its last checkpoint), never from the job that trained it, so the pages
work whatever process trained the run. The networks are wrapped in ``tf.function`` once, so a slider that
decodes one code costs about a millisecond, not Keras' per-call overhead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from aecore.data.dataset import Dataset
from aecore.data.registry import load_dataset
from aecore.explore import layouts
from aecore.models.base import Autoencoder
from aecore.runs.checkpoints import load_run_model
from aecore.runs.folder import RunFolder
from aecore.runs.index import RunRecord
from aecore.settings.variants import VARIANTS
from aecore.tensorflow_runtime import tf

#: how many test images the codes, projections and clustering use: all of Fashion-MNIST's (TensorBoard's projector
#: lays out as many with t-SNE)
MAX_TEST_IMAGES = 10_000
BATCH = 512


def in_batches(call, array: np.ndarray) -> np.ndarray:
    """A compiled network called on ``array`` in batches of ``BATCH``, as one numpy array."""
    array = np.asarray(array, dtype=np.float32)
    if len(array) == 0:
        return array
    return np.concatenate([call(array[start : start + BATCH]).numpy() for start in range(0, len(array), BATCH)])


@dataclass
class TrainedRun:
    """One stored run's model and dataset, with its networks compiled for fast numpy calls."""

    record: RunRecord
    model: Autoencoder
    dataset: Dataset
    folder: RunFolder | None = None
    _calls: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, folder: RunFolder, record: RunRecord) -> TrainedRun:
        """Build the model from the run's config and checkpoint; raises ``AecoreError`` if it cannot be loaded."""
        return cls(record, load_run_model(folder), load_dataset(record.config.dataset), folder)

    def _compiled(self, name: str):
        if name not in self._calls:
            self._calls[name] = tf.function(getattr(self.model, name), reduce_retracing=True)
        return self._calls[name]

    def _batched(self, name: str, array: np.ndarray) -> np.ndarray:
        return in_batches(self._compiled(name), array)

    def encode(self, images: np.ndarray) -> np.ndarray:
        """Codes (N, K); the VAE's mean μ."""
        return self._batched("encode", images)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Images (N, H, W, 1) in [0, 1]."""
        return self._batched("decode", codes)

    def reconstruct(self, images: np.ndarray) -> np.ndarray:
        return self._batched("call", images)

    @property
    def config(self):
        return self.record.config

    @property
    def code_kind(self) -> str:
        return VARIANTS[self.config.model.variant].code_kind

    @cached_property
    def test_images(self) -> np.ndarray:
        return self.dataset.x_test[:MAX_TEST_IMAGES]

    @cached_property
    def test_labels(self) -> np.ndarray:
        return np.asarray(self.dataset.y_test[:MAX_TEST_IMAGES])

    @cached_property
    def test_codes(self) -> np.ndarray:
        """Codes of the first ``MAX_TEST_IMAGES`` test images: the ones stored when the run finished, else computed
        once per loaded run."""
        stored = None if self.folder is None else layouts.read_codes(self.folder, len(self.test_images))
        return stored if stored is not None else self.encode(self.test_images)

    @property
    def class_names(self) -> list[str]:
        return list(self.dataset.class_names) or [str(label) for label in np.unique(self.test_labels)]


def store_test_codes(folder: RunFolder) -> None:
    """Encode the run's first ``MAX_TEST_IMAGES`` test images with its last checkpoint and keep the codes in its
    folder (``aecore.explore.layouts``): what a worker does once a run has finished, TensorFlow already loaded."""
    model = load_run_model(folder)
    images = load_dataset(folder.config().dataset).x_test[:MAX_TEST_IMAGES]
    layouts.write_codes(folder, in_batches(tf.function(model.encode, reduce_retracing=True), images))


#: the draws of q(z|x) per image the dashboard's estimate takes (the CLI's ``--nll K`` chooses)
PAGE_NLL_SAMPLES = 200


def estimate_nll(folder: RunFolder, samples: int, images: int | None = None, progress=None) -> float:
    """A stored VAE's importance-sampled NLL on its dataset's first ``images`` test images (all by default), nats
    per image (``evaluation.test_nll``)."""
    from aecore.training.evaluation import test_nll

    test_images = load_dataset(folder.config().dataset).x_test[:images]
    return test_nll(load_run_model(folder), test_images, samples, progress)


def store_nll(folder: RunFolder, store, samples: int, progress=None) -> float:
    """``estimate_nll`` on every test image, kept in the run's metrics (and its index row, when it is in a store)."""
    nll = estimate_nll(folder, samples, progress=progress)
    folder.write_json("metrics.json", {**folder.metrics(), "test_nll": nll})
    if store is not None:
        store.save(folder)
    return nll
