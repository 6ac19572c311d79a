"""The user's datasets, stored in the run store: a folder per uploaded file, named by the file's content hash.

Two uploads of the same file are one dataset; every process that opens the store (the web server, its workers,
the command line) lists and loads the same datasets, and they survive a restart. A dataset is named
``upload:NAME`` wherever a dataset is named (configs, links, the CLI). Each folder holds the 8-bit images
(``images.npy``), the label codes (``labels.npy``) and ``dataset.json``; it is written under a staging name and
renamed into place, so a folder that exists is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aecore.data.dataset import DatasetInfo, holdout_count, validation_count
from aecore.data.uploads import UserImages, name_of_file, read_user_file
from aecore.errors import AecoreError, quoted

USER_PREFIX = "upload:"
META_FILE = "dataset.json"
#: a dataset's name as people type it: letters, digits and a few marks, as a URL or a command line keeps it
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.\-]{0,39}")
#: the hash characters that name a dataset's folder (64 bits: no two uploads of a classroom collide)
KEY_LENGTH = 16


@dataclass(frozen=True)
class StoredDataset:
    """What ``dataset.json`` says about one stored dataset."""

    key: str
    name: str
    filename: str
    count: int
    height: int
    width: int
    class_names: tuple[str, ...]
    added: float

    @property
    def full_name(self) -> str:
        return USER_PREFIX + self.name

    @property
    def stored_bytes(self) -> int:
        return self.count * self.height * self.width

    def info(self) -> DatasetInfo:
        n_test = holdout_count(self.count)
        n_pool = self.count - n_test
        labels = f", {len(self.class_names)} classes" if self.class_names else ", no labels"
        return DatasetInfo(
            name=self.full_name,
            description=f"Your data: {self.count:,} images of {self.height}×{self.width}{labels} "
            f"(from {self.filename}).",
            available=True,
            reason="",
            n_train=n_pool - validation_count(n_pool),
            n_test=n_test,
            shape=(self.height, self.width, 1),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["class_names"] = list(self.class_names)
        data["full_name"] = self.full_name
        return data


def checked_name(name: str) -> str:
    """A dataset name a user typed, or a message that says what a name may hold."""
    name = name.strip()
    if name.startswith(USER_PREFIX):
        name = name[len(USER_PREFIX) :]
    if not NAME_PATTERN.fullmatch(name):
        raise AecoreError(
            f"The name {quoted(name)} cannot name a dataset: use 1 to 40 letters, digits, spaces, '_', '-' or '.', "
            "starting with a letter or digit."
        )
    return name


def content_key(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:KEY_LENGTH]


class DatasetLibrary:
    """The datasets stored under one folder (``<run store>/datasets``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def datasets(self) -> list[StoredDataset]:
        """Every complete dataset, oldest first; a folder that cannot be read is left out, not fatal."""
        if not self.folder.is_dir():
            return []
        found = []
        for meta in self.folder.glob(f"*/{META_FILE}"):
            try:
                data = json.loads(meta.read_text())
                found.append(StoredDataset(**{**data, "class_names": tuple(data["class_names"])}))
            except (OSError, ValueError, TypeError, KeyError):
                continue
        return sorted(found, key=lambda stored: stored.added)

    def find(self, name: str) -> StoredDataset | None:
        """The dataset called ``name`` (with or without ``upload:``), or None."""
        bare = name[len(USER_PREFIX) :] if name.startswith(USER_PREFIX) else name
        return next((stored for stored in self.datasets() if stored.name == bare), None)

    def add(self, filename: str, content: bytes, name: str | None = None) -> tuple[StoredDataset, bool]:
        """Check and store an uploaded file; returns the dataset and whether it is new.

        The same file uploaded again is the dataset already stored, under its first name.
        """
        name = checked_name(name or name_of_file(filename))
        key = content_key(content)
        existing = next((stored for stored in self.datasets() if stored.key == key), None)
        if existing is not None:
            return existing, False
        taken = self.find(name)
        if taken is not None:
            raise AecoreError(
                f"A different dataset is already called {quoted(name)} (from {taken.filename}); choose another name."
            )
        images = read_user_file(filename, content)
        stored = StoredDataset(
            key=key,
            name=name,
            filename=Path(filename).name[:100],
            count=len(images.images),
            height=int(images.images.shape[1]),
            width=int(images.images.shape[2]),
            class_names=images.class_names,
            added=time.time(),
        )
        self._write(stored, images)
        return stored, True

    def add_images(self, stored: StoredDataset, images: UserImages) -> StoredDataset:
        """Store images that come with a known key (a run archive's dataset): the dataset already stored under that
        key if there is one; under ``NAME-<key>`` when another dataset holds its name."""
        if not re.fullmatch(f"[0-9a-f]{{{KEY_LENGTH}}}", stored.key):
            raise AecoreError(f"The dataset key {quoted(stored.key)} is not one this product writes.")
        existing = next((known for known in self.datasets() if known.key == stored.key), None)
        if existing is not None:
            return existing
        name = checked_name(stored.name)
        if self.find(name) is not None:
            name = f"{name[: 40 - KEY_LENGTH // 2 - 1]}-{stored.key[: KEY_LENGTH // 2]}"
        count, height, width = images.images.shape
        stored = StoredDataset(
            stored.key, name, stored.filename[:100], count, height, width, images.class_names, time.time()
        )
        self._write(stored, images)
        return stored

    def _write(self, stored: StoredDataset, images: UserImages) -> None:
        staging = self.folder / f".adding-{stored.key}-{os.getpid()}"
        try:
            staging.mkdir(parents=True, exist_ok=True)
            np.save(staging / "images.npy", images.images)
            np.save(staging / "labels.npy", images.labels)
            (staging / META_FILE).write_text(json.dumps(asdict(stored)))
            os.replace(staging, self.folder / stored.key)
        except OSError as error:
            raise AecoreError(
                f"The dataset {quoted(stored.name)} could not be stored: {error.strerror or error}. Free some disk "
                "space or make the run store writable; nothing else was changed."
            ) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def images(self, stored: StoredDataset) -> UserImages:
        folder = self.folder / stored.key
        try:
            pixels = np.load(folder / "images.npy", mmap_mode="r", allow_pickle=False)
            labels = np.load(folder / "labels.npy", allow_pickle=False)
        except (OSError, ValueError) as error:
            raise AecoreError(f"The dataset {quoted(stored.name)} could not be read ({error}).") from None
        return UserImages(np.asarray(pixels), labels, stored.class_names)

    def remove(self, name: str) -> StoredDataset:
        """Delete a dataset's folder (``RunStore.remove_dataset`` first checks that no run needs it)."""
        stored = self.find(name)
        if stored is None:
            raise AecoreError(f"No dataset is called {quoted(name)}; `python -m aecore datasets` lists them.")
        shutil.rmtree(self.folder / stored.key, ignore_errors=True)
        return stored
