"""Dataset registry: the built-in datasets (``aecore.data.builtin``) and the user's own data, by name.

Every loader hands out a ``Dataset`` (``aecore.data.dataset``: the arrays, their fixed splits and probe batch).
Loaded datasets are cached once per process and their arrays are read-only, so every session
and training thread can share them.

Listing the datasets (``list_datasets``) is cheap: it checks files and importable packages
only, never loads the big arrays and never imports TensorFlow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from aecore.data.builtin import BUILTINS
from aecore.data.dataset import Dataset, DatasetInfo
from aecore.data.library import USER_PREFIX, DatasetLibrary
from aecore.data.subsets import CLASS_SUBSET_MARK, load_class_subset
from aecore.errors import AecoreError, quoted

_LOCK = threading.Lock()


#: datasets registered by code in this process only (a benchmark's scaled copies), named ``memory:NAME``: apart from
#: the stored uploads' ``upload:NAME``, so one never hides the other
MEMORY_PREFIX = "memory:"
_USER_DATASETS: dict[str, Dataset] = {}


_LOADED: dict[tuple[str, str], Dataset] = {}


_LOAD_LOCKS: dict[tuple[str, str], threading.Lock] = {}


def _loaded_once(key: tuple[str, str], load: Callable[[], Dataset]) -> Dataset:
    """``load()`` once per process and key (a name and where it was read from); threads asking at once share it."""
    with _LOCK:
        key_lock = _LOAD_LOCKS.setdefault(key, threading.Lock())
    with key_lock:
        if key not in _LOADED:
            _LOADED[key] = load()
        return _LOADED[key]


def _user_info(dataset: Dataset) -> DatasetInfo:
    height, width, _ = dataset.image_shape
    total = dataset.n_train + dataset.n_val + dataset.n_test
    return DatasetInfo(
        name=dataset.name,
        description=f"Registered in this process: {total:,} images of {height}×{width}.",
        available=True,
        reason="",
        n_train=dataset.n_train,
        n_test=dataset.n_test,
        shape=dataset.image_shape,
    )


#: the run stores' dataset folders this process has opened (``RunStore`` adds its own)
_LIBRARIES: dict[Path, DatasetLibrary] = {}


def use_library(folder: Path) -> DatasetLibrary:
    """Make the datasets stored under ``folder`` known to this process (listed and loadable by name)."""
    folder = Path(folder).absolute()
    with _LOCK:
        return _LIBRARIES.setdefault(folder, DatasetLibrary(folder))


def _stored_infos() -> list[DatasetInfo]:
    with _LOCK:
        libraries = list(_LIBRARIES.values())
    infos: dict[str, DatasetInfo] = {}
    for library in libraries:
        for stored in library.datasets():
            infos.setdefault(stored.full_name, stored.info())
    return list(infos.values())


def list_datasets() -> list[DatasetInfo]:
    """Every dataset with its availability, built-ins first, then the stored uploads; cheap enough to call on every
    page run (a stored dataset is listed from its ``dataset.json``, not loaded)."""
    infos = [find().info for find, _ in BUILTINS.values()]
    with _LOCK:
        uploaded = list(_USER_DATASETS.values())
    in_process = [_user_info(dataset) for dataset in uploaded]
    shown = {info.name for info in in_process}
    return infos + in_process + [info for info in _stored_infos() if info.name not in shown]


def _load_stored(name: str) -> Dataset | None:
    """A stored upload by its full name, loaded once per process and content (a new upload under a removed
    dataset's name is another dataset)."""
    with _LOCK:
        libraries = list(_LIBRARIES.values())
    found = next(((library, stored) for library in libraries if (stored := library.find(name)) is not None), None)
    if found is None:
        return None
    library, stored = found
    return _loaded_once((name, f"{library.folder}/{stored.key}"), lambda: library.images(stored).dataset(name))


def load_dataset(name: str) -> Dataset:
    """Load a dataset by name, once per process (threads asking at the same time share one load).

    A name ``"<dataset>:classes=0,1"`` gives that dataset's class subset (see ``CLASS_SUBSET_MARK``); a name
    ``"upload:NAME"`` a dataset stored in an opened run store (``use_library``); ``"memory:NAME"`` one registered
    by ``add_user_dataset``.
    """
    with _LOCK:
        uploaded = _USER_DATASETS.get(name)
    if uploaded is not None:
        return uploaded
    if CLASS_SUBSET_MARK in name:  # "mnist-5k:classes=0,1": an anomaly detector's normal classes alone
        return load_class_subset(name, load_dataset)
    if name.startswith(USER_PREFIX):
        stored = _load_stored(name)
        if stored is not None:
            return stored
    if name not in BUILTINS:
        known = [info.name for info in list_datasets()]
        hints = {
            USER_PREFIX: " It may have been removed: upload the file again.",
            MEMORY_PREFIX: " It was registered in another process, or before a restart: register it again.",
        }
        hint = next((text for prefix, text in hints.items() if name.startswith(prefix)), "")
        raise AecoreError(f"Unknown dataset {quoted(name)}; choose one of: {', '.join(known)}.{hint}")
    find, load = BUILTINS[name]
    found = find()
    if not found.info.available:
        raise AecoreError(f"The dataset '{name}' is not available. {found.info.reason}")
    return _loaded_once((name, found.source), lambda: load(found.source))


def add_user_dataset(dataset: Dataset) -> str:
    """Register a dataset for this process only as ``memory:<name>`` and return that name (uploads that every
    process sees go through the run store: ``RunStore.add_dataset``).

    A later dataset with the same name replaces the earlier one.
    """
    full_name = dataset.name if dataset.name.startswith(MEMORY_PREFIX) else MEMORY_PREFIX + dataset.name
    with _LOCK:
        _USER_DATASETS[full_name] = replace(dataset, name=full_name)
    return full_name
