"""What a dataset is, whichever loader made it: the arrays, their fixed splits and the probe batch.

Every dataset comes out the same way: float32 images shaped (N, H, W, 1) in [0, 1], int64
labels (-1 where unknown), a validation split and a probe batch (the images shown in grids).
The splits and the probe are drawn with ``SPLIT_SEED``, a constant of this module, not with a
run's seed, so two runs on the same dataset see the same validation images and the same probe.
Where the datasets come from is ``aecore.data.registry``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

SPLIT_SEED = 20_240_607
"""Seeds the test / validation splits and the probe batch of every dataset (fixed, never the run's seed)."""
VAL_FRACTION = 0.1
"""Share of the training part kept aside for validation."""
TEST_FRACTION = 0.2
"""Share kept aside for testing when a dataset has no test part of its own (mnist-5k, digits, user data)."""
PROBE_SIZE = 16


@dataclass(frozen=True, eq=False)
class Dataset:
    """One dataset, split and ready to train on; arrays are read-only and shared between runs.

    Equality is identity (``eq=False``): comparing arrays element-wise is never what is meant.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    probe_images: np.ndarray
    probe_labels: np.ndarray
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(H, W, 1), the input shape of a model for this dataset."""
        height, width, channels = self.x_train.shape[1:]
        return int(height), int(width), int(channels)

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_val(self) -> int:
        return int(self.x_val.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.x_test.shape[0])


@dataclass(frozen=True)
class DatasetInfo:
    """What the UI shows about a dataset before loading it; ``reason`` says why it is unavailable."""

    name: str
    description: str
    available: bool
    reason: str
    n_train: int | None
    n_test: int | None
    shape: tuple[int, ...] | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["shape"] = None if self.shape is None else list(self.shape)
        return data


# ---------------------------------------------------------------------------------------------
# Splits and assembly


def validation_count(n_pool: int) -> int:
    """How many images of a training pool are kept aside for validation."""
    return max(1, round(n_pool * VAL_FRACTION))


def holdout_count(n_total: int) -> int:
    """How many images become the test set of data that has none of its own."""
    return max(1, round(n_total * TEST_FRACTION))


def _to_unit(raw: np.ndarray, scale: float) -> np.ndarray:
    """(N, H, W) raw values -> float32 (N, H, W, 1) in [0, 1]."""
    images = raw.astype(np.float32)
    if scale != 1.0:
        images /= np.float32(scale)
    return images.reshape(*images.shape, 1)


def _probe_indices(y_test: np.ndarray) -> np.ndarray:
    """Indices of the probe batch: one image of each class in turn, so every class shows."""
    rng = np.random.default_rng([SPLIT_SEED, 2])
    known = y_test >= 0
    if not known.any():
        return rng.choice(len(y_test), size=min(PROBE_SIZE, len(y_test)), replace=False)
    queues = [rng.permutation(np.flatnonzero(y_test == c)) for c in np.unique(y_test[known])]
    size = min(PROBE_SIZE, int(known.sum()))
    picked: list[int] = []
    depth = 0
    while len(picked) < size:
        picked += [int(queue[depth]) for queue in queues if depth < len(queue)]
        depth += 1
    return np.array(picked[:size])


def assemble(
    name: str,
    pool_x: np.ndarray,
    pool_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    class_names: tuple[str, ...],
    scale: float,
) -> Dataset:
    """Split validation off the training pool, pick the probe, scale to float32 [0, 1].

    The raw arrays (often uint8) are indexed before scaling, so a 70,000-image dataset never
    exists twice in float32.
    """
    order = np.random.default_rng([SPLIT_SEED, 1]).permutation(len(pool_x))
    n_val = validation_count(len(pool_x))
    val_idx, train_idx = order[:n_val], order[n_val:]
    probe_idx = _probe_indices(test_y)
    return Dataset(
        name=name,
        x_train=_to_unit(pool_x[train_idx], scale),
        y_train=pool_y[train_idx].astype(np.int64),
        x_val=_to_unit(pool_x[val_idx], scale),
        y_val=pool_y[val_idx].astype(np.int64),
        x_test=_to_unit(test_x, scale),
        y_test=test_y.astype(np.int64),
        probe_images=_to_unit(test_x[probe_idx], scale),
        probe_labels=test_y[probe_idx].astype(np.int64),
        class_names=class_names,
    )


def assemble_without_test(
    name: str, x: np.ndarray, y: np.ndarray, class_names: tuple[str, ...], scale: float
) -> Dataset:
    """For data with no test part of its own: a seeded 20% test split, then ``_assemble``."""
    order = np.random.default_rng([SPLIT_SEED, 0]).permutation(len(x))
    n_test = holdout_count(len(x))
    test_idx, pool_idx = order[:n_test], order[n_test:]
    return assemble(name, x[pool_idx], y[pool_idx], x[test_idx], y[test_idx], class_names, scale)


def batches_per_epoch(image_count: int, batch_size: int) -> int:
    """Training batches in one epoch: the last, smaller batch is dropped (``aecore.training.steps.image_batches``), one
    batch at least."""
    return max(1, image_count // batch_size)
