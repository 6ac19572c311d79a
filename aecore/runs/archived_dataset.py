"""The uploaded dataset a run trained on, carried in the run's archive: inside it when it fits the archive limit,
else named by its key, so that an import says which dataset is missing instead of failing later.

In an archive it is the folder ``dataset/``: ``dataset.json`` always, ``images.npy`` and ``labels.npy`` when included.
On import the images go through the same checks as an upload (``aecore.data.uploads``) before they are stored.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from aecore.data.library import META_FILE, USER_PREFIX, StoredDataset
from aecore.data.subsets import CLASS_SUBSET_MARK
from aecore.data.uploads import UserImages, read_user_file
from aecore.errors import AecoreError
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig

ARCHIVE_FOLDER = "dataset"


def uploaded_name(config: RunConfig) -> str | None:
    """The uploaded dataset a run trained on (its class subset's too), or None for a built-in one."""
    base = config.dataset.split(CLASS_SUBSET_MARK)[0]
    return base if base.startswith(USER_PREFIX) else None


def add_to_archive(archive: zipfile.ZipFile, store: RunStore, config: RunConfig, room: int) -> None:
    """Put the run's uploaded dataset in ``archive``: whole if its files take at most ``room`` bytes, else by name
    and key only."""
    name = uploaded_name(config)
    stored = None if name is None else store.datasets.find(name)
    if stored is None:
        return
    folder = store.datasets.folder / stored.key
    files = [folder / "images.npy", folder / "labels.npy"]
    included = sum(path.stat().st_size for path in files) <= room
    reference = {**json.loads((folder / META_FILE).read_text()), "included": included}
    archive.writestr(f"{ARCHIVE_FOLDER}/{META_FILE}", json.dumps(reference))
    if included:
        for path in files:
            archive.write(path, f"{ARCHIVE_FOLDER}/{path.name}")


def import_from_folder(store: RunStore, run_folder: Path, config: RunConfig) -> tuple[RunConfig, str]:
    """Store the dataset an imported run brought along (checked as an upload is) and take its folder out of the
    run; returns the run's config (naming the dataset as stored) and a note when the dataset is missing here."""
    name = uploaded_name(config)
    folder = run_folder / ARCHIVE_FOLDER
    reference = _reference(folder)
    if name is None:
        return config, ""
    if reference is not None and (folder / "images.npy").is_file():
        stored = store.datasets.add_images(reference, _images(folder))
        config = RunConfig.from_dict({**config.to_dict(), "dataset": config.dataset.replace(name, stored.full_name, 1)})
    elif store.datasets.find(name) is None:
        key = f" (key {reference.key})" if reference is not None else ""
        return config, (
            f"Its dataset {name}{key} is not in this store and was not in the archive: upload that file again "
            "(Dataset → Upload your own…) under the same name to explore or resume the run."
        )
    return config, ""


def _reference(folder: Path) -> StoredDataset | None:
    path = folder / META_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return StoredDataset(
            key=str(data["key"]),
            name=str(data["name"]),
            filename=str(data.get("filename", "")),
            count=int(data["count"]),
            height=int(data["height"]),
            width=int(data["width"]),
            class_names=tuple(str(value) for value in data.get("class_names", ()))[:1000],
            added=float(data.get("added", 0.0)),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise AecoreError(
            f"The archive's {ARCHIVE_FOLDER}/{META_FILE} is not a dataset's description ({error})."
        ) from None


def _images(folder: Path) -> UserImages:
    """The archived images through an upload's checks, and their label codes checked against the images."""
    images = read_user_file("images.npy", (folder / "images.npy").read_bytes())
    labels_path = folder / "labels.npy"
    if labels_path.is_file():
        try:
            labels = np.load(labels_path, allow_pickle=False)
        except ValueError as error:
            raise AecoreError(f"The archive's {ARCHIVE_FOLDER}/labels.npy cannot be read ({error}).") from None
        names = _reference(folder).class_names
        codes_fit = labels.size == 0 or (labels.min() >= -1 and labels.max() < max(len(names), 0))
        if labels.shape != (len(images.images),) or labels.dtype.kind not in "iu" or not codes_fit:
            raise AecoreError(f"The archive's {ARCHIVE_FOLDER}/labels.npy does not hold one label code per image.")
        images = UserImages(images.images, labels.astype(np.int64), names)
    return images
