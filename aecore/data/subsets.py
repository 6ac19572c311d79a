"""Class subsets: a dataset with its training and validation images limited to some classes, its test set whole.

``"<dataset>:classes=0,1"`` names such a subset: what an anomaly detector trains on. Built on ``Dataset`` alone;
the dataset registry dispatches such names here and passes its own loader.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from aecore.data.dataset import Dataset
from aecore.errors import AecoreError

CLASS_SUBSET_MARK = ":classes="
"""What joins a dataset's name and its chosen classes: ``"mnist-5k:classes=0,1"``."""
#: class subsets kept loaded per process (each holds a filtered copy of its dataset's training images)
MAX_CACHED_SUBSETS = 4


def subset_name(base: str, classes: Sequence[int]) -> str:
    """The dataset name of ``base`` limited to ``classes`` (sorted, without repeats): ``"mnist-5k:classes=0,1"``."""
    chosen = sorted({int(label) for label in classes})
    if not chosen:
        raise AecoreError("Choose at least one normal class to train on.")
    return f"{base}{CLASS_SUBSET_MARK}{','.join(str(label) for label in chosen)}"


def parse_subset_name(name: str) -> tuple[str, tuple[int, ...]] | None:
    """``"mnist-5k:classes=0,1"`` -> ``("mnist-5k", (0, 1))``; None for a plain dataset name."""
    if CLASS_SUBSET_MARK not in name:
        return None
    base, _, listed = name.rpartition(CLASS_SUBSET_MARK)
    parts = [part.strip() for part in listed.split(",")]
    if not base or not all(part.lstrip("-").isdigit() for part in parts):
        raise AecoreError(
            f"Cannot read the dataset name '{name}': write the classes as whole numbers separated by commas, "
            "for example mnist-5k:classes=0,1."
        )
    return base, tuple(sorted({int(part) for part in parts}))


def class_subset(dataset: Dataset, classes: Sequence[int], name: str | None = None) -> Dataset:
    """``dataset`` with its training and validation images limited to ``classes``; the test set stays whole.

    An anomaly detector learns what normal looks like from these classes alone, and is then scored on every
    test image, the held-out classes included. The probe batch stays too, so the live grids show how badly
    the held-out classes are rebuilt.
    """
    chosen = sorted({int(label) for label in classes})
    known = np.unique(np.concatenate([dataset.y_train, dataset.y_val, dataset.y_test]))
    known = known[known >= 0]
    if known.size == 0:
        raise AecoreError(f"The dataset '{dataset.name}' has no labels, so it has no classes to choose from.")
    listed = ", ".join(str(label) for label in known)
    if not chosen:
        raise AecoreError(f"Choose at least one normal class of '{dataset.name}' (its classes: {listed}).")
    unknown = sorted(set(chosen) - {int(label) for label in known})
    if unknown:
        raise AecoreError(
            f"'{dataset.name}' has no class {', '.join(map(str, unknown))}; choose among its classes: {listed}."
        )
    if len(chosen) == known.size:
        raise AecoreError(
            "Leave at least one class out: with every class normal there is nothing left to detect as an anomaly."
        )
    in_train, in_val = np.isin(dataset.y_train, chosen), np.isin(dataset.y_val, chosen)
    if not in_train.any() or not in_val.any():
        raise AecoreError(
            f"'{dataset.name}' has too few training images of class {', '.join(map(str, chosen))}: choose more."
        )
    return replace(
        dataset,
        name=name or subset_name(dataset.name, chosen),
        x_train=dataset.x_train[in_train],
        y_train=dataset.y_train[in_train],
        x_val=dataset.x_val[in_val],
        y_val=dataset.y_val[in_val],
    )


_SUBSETS: OrderedDict[str, tuple[Dataset, Dataset]] = OrderedDict()


_SUBSETS_LOCK = threading.Lock()


def load_class_subset(name: str, load: Callable[[str], Dataset]) -> Dataset:
    """The dataset a ``"<base>:classes=..."`` name stands for, built once per process and base dataset.

    ``load`` is ``aecore.data.registry.load_dataset`` (passed in: that module calls this one). Keeping the same object
    lets the training engine reuse its tensors; a base dataset replaced since (a new upload) is filtered anew.
    """
    parsed = parse_subset_name(name)
    if parsed is None:
        raise AecoreError(f"'{name}' names no class subset; write it as <dataset>{CLASS_SUBSET_MARK}0,1.")
    base_name, classes = parsed
    base = load(base_name)
    with _SUBSETS_LOCK:
        cached = _SUBSETS.get(name)
        if cached is not None and cached[0] is base:
            _SUBSETS.move_to_end(name)
            return cached[1]
    subset = class_subset(base, classes, name)
    with _SUBSETS_LOCK:
        _SUBSETS[name] = (base, subset)
        while len(_SUBSETS) > MAX_CACHED_SUBSETS:
            _SUBSETS.popitem(last=False)
    return subset
