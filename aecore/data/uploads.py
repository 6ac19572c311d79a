"""The user's own data: an uploaded ``.npz``, IDX file, zip of images or a folder of images, checked (shape,
dtype, range, size) and made into a ``Dataset`` split like the built-in ones.

Everything a user can get wrong is an ``AecoreError`` that names the allowed shapes or values. Register the
result with ``aecore.data.registry.add_user_dataset`` to train on it.
"""

from __future__ import annotations

import functools
import io
import math
import os
import posixpath
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from aecore.data.dataset import Dataset, assemble_without_test
from aecore.data.idx import read_idx
from aecore.errors import AecoreError

MIN_USER_IMAGES, MAX_USER_IMAGES = 10, 100_000
MIN_SIDE, MAX_SIDE = 4, 128
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


_SHAPES_ALLOWED = "(N, H, W), (N, H, W, 1) or (N, D) with D a perfect square such as 784 = 28×28"


def _as_image_stack(images: np.ndarray) -> np.ndarray:
    """Bring an array to (N, H, W), or say which shapes are allowed."""
    if images.ndim == 4 and images.shape[-1] == 1:
        return images[..., 0]
    if images.ndim == 3:
        return images
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side == images.shape[1] and side > 0:
            return images.reshape(-1, side, side)
        raise AecoreError(
            f"Flat images must have a square number of pixels, e.g. 784 = 28×28 (got {images.shape[1]}); "
            f"allowed shapes are {_SHAPES_ALLOWED}."
        )
    hint = " Convert colour images to grayscale first." if images.ndim == 4 else ""
    raise AecoreError(f"The images have shape {images.shape}; allowed shapes are {_SHAPES_ALLOWED}.{hint}")


def _image_scale(images: np.ndarray) -> float:
    """1.0 for values in [0, 1], 255.0 for values in [0, 255]; anything else is refused."""
    allowed = "pixel values must all lie in [0, 1] or all in [0, 255]"
    if images.dtype.kind == "f" and not np.isfinite(images).all():
        raise AecoreError(f"The images contain NaN or infinite values; {allowed}.")
    low, high = float(images.min()), float(images.max())
    if low < 0:
        raise AecoreError(f"The images contain negative values (min {low:g}); {allowed}.")
    if high <= 1.0:
        return 1.0
    if high <= 255.0:
        return 255.0
    raise AecoreError(f"The images contain values up to {high:g}; {allowed}. Rescale them first.")


def _encode_labels(labels: Any, n_images: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map any integer or text labels to 0..K-1; ``class_names`` keeps the original values."""
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or len(array) != n_images:
        raise AecoreError(
            f"There must be one label per image: got labels of shape {array.shape} for {n_images} images."
        )
    if array.dtype.kind == "f":
        if not (np.isfinite(array).all() and np.array_equal(array, np.round(array))):
            raise AecoreError("Labels must be whole numbers or text (got fractional or NaN values).")
        array = array.astype(np.int64)
    elif array.dtype.kind not in "biuU":
        raise AecoreError(f"Labels must be whole numbers or text (got dtype {array.dtype}).")
    values, codes = np.unique(array, return_inverse=True)
    return codes.reshape(-1).astype(np.int64), tuple(str(v) for v in values)


def dataset_from_arrays(images: Any, labels: Any = None, name: str = "uploaded") -> Dataset:
    """Validate the user's arrays and turn them into a ``Dataset`` with a seeded 20% test split.

    images: numbers shaped (N, H, W), (N, H, W, 1) or (N, D) with D a perfect square;
    10 <= N <= 100,000; sides 4 to 128; values in [0, 1] or in [0, 255] (then scaled).
    labels: optional, one integer or text label per image.
    """
    array = np.asarray(images)
    if array.dtype.kind not in "biuf":
        raise AecoreError(f"The images must be numbers (got dtype {array.dtype}); save them as uint8 or float32.")
    if array.dtype.kind == "b":
        array = array.astype(np.uint8)
    stack = _as_image_stack(array)
    n_images, height, width = stack.shape
    if not MIN_USER_IMAGES <= n_images <= MAX_USER_IMAGES:
        raise AecoreError(
            f"A dataset needs between {MIN_USER_IMAGES} and {MAX_USER_IMAGES:,} images (got {n_images:,})."
        )
    if not (MIN_SIDE <= height <= MAX_SIDE and MIN_SIDE <= width <= MAX_SIDE):
        raise AecoreError(
            f"Images must be between {MIN_SIDE} and {MAX_SIDE} pixels on each side (got {height}×{width}); "
            "resize them first."
        )
    scale = _image_scale(stack)
    if labels is None:
        codes, class_names = np.full(n_images, -1, dtype=np.int64), ()
    else:
        codes, class_names = _encode_labels(labels, n_images)
    return assemble_without_test(name, stack, codes, class_names, scale)


def _npz_array(archive: Any, key: str, filename: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as error:
        raise AecoreError(
            f"'{filename}' stores '{key}' as Python objects, which are not loaded for safety (allow_pickle=False). "
            "Save plain numeric arrays instead, e.g. np.savez('data.npz', x=images.astype('uint8'), y=labels)."
        ) from error


def _dataset_from_numpy(filename: str, content: bytes, name: str) -> Dataset:
    try:
        archive = np.load(io.BytesIO(content), allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise AecoreError(
            f"'{filename}' is not a readable NumPy file ({error}); save it with np.savez or np.save."
        ) from error
    if isinstance(archive, np.ndarray):  # a single .npy array: images without labels
        return dataset_from_arrays(archive, name=name)
    with archive:
        keys = list(archive.files)
        image_key = next((k for k in ("x", "images", "x_train") if k in keys), keys[0] if len(keys) == 1 else None)
        if image_key is None:
            raise AecoreError(
                f"'{filename}' holds the arrays {keys}; name the images 'x', 'images' or 'x_train' "
                "(and the labels 'y', 'labels' or 'y_train')."
            )
        label_key = next((k for k in ("y", "labels", "y_train") if k in keys), None)
        images = _npz_array(archive, image_key, filename)
        labels = None if label_key is None else _npz_array(archive, label_key, filename)
    return dataset_from_arrays(images, labels, name=name)


def _decode_images(entries: list[tuple[str, Callable[[], bytes]]], where: str, name: str) -> Dataset:
    """Decode PNG/JPEG files to grayscale; labels come from their folders when there are several."""
    from PIL import Image, UnidentifiedImageError

    if not entries:
        raise AecoreError(f"No PNG or JPEG images found in {where}.")
    if len(entries) > MAX_USER_IMAGES:
        raise AecoreError(f"{where} holds {len(entries):,} images; at most {MAX_USER_IMAGES:,} are allowed.")
    pixels = []
    for path, read in entries:
        try:
            with Image.open(io.BytesIO(read())) as image:
                if max(image.size) > MAX_SIDE:
                    raise AecoreError(
                        f"'{path}' in {where} is {image.width}×{image.height}; images may be at most "
                        f"{MAX_SIDE} pixels on a side, resize them first."
                    )
                pixels.append(np.asarray(image.convert("L")))
        except (UnidentifiedImageError, OSError) as error:
            raise AecoreError(f"'{path}' in {where} is not a readable PNG or JPEG image ({error}).") from error
        if pixels[-1].shape != pixels[0].shape:
            raise AecoreError(
                f"All images must have the same size: '{entries[0][0]}' is {pixels[0].shape[1]}×{pixels[0].shape[0]} "
                f"but '{path}' is {pixels[-1].shape[1]}×{pixels[-1].shape[0]}; resize them first."
            )
    folders = [posixpath.dirname(path) for path, _ in entries]
    labels = None
    if len(set(folders)) > 1:
        common = posixpath.commonpath(folders)
        labels = [posixpath.relpath(folder or ".", common or ".") for folder in folders]
        labels = ["(top level)" if label == "." else label for label in labels]
    return dataset_from_arrays(np.stack(pixels), labels, name=name)


def _is_image_name(path: str) -> bool:
    parts = path.split("/")
    hidden = any(part.startswith(".") or part == "__MACOSX" for part in parts)
    return not hidden and path.lower().endswith(IMAGE_SUFFIXES)


def _dataset_from_zip(filename: str, content: bytes, name: str) -> Dataset:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as error:
        raise AecoreError(f"'{filename}' is not a readable .zip file ({error}).") from error
    with archive:
        members = sorted(m.filename for m in archive.infolist() if not m.is_dir() and _is_image_name(m.filename))
        entries = [(member, functools.partial(archive.read, member)) for member in members]
        return _decode_images(entries, f"'{filename}'", name)


def _is_idx_name(lower: str) -> bool:
    return lower.endswith((".gz", "-ubyte")) or ".idx" in lower


def load_user_file(filename: str, content: bytes) -> Dataset:
    """Turn an uploaded file into a ``Dataset``, choosing the reader by the file's extension.

    ``.npz`` (images under x / images / x_train or the only array; labels under y / labels / y_train),
    ``.npy`` (images only),
    IDX (``.gz``, ``-ubyte``, ``.idx*``; images only, so no labels) or ``.zip`` of PNG/JPEG images
    (labels from sub-folder names). The dataset is named after the file.
    """
    lower = filename.lower()
    name = Path(filename).name.split(".")[0] or "uploaded"
    if lower.endswith((".npz", ".npy")):
        return _dataset_from_numpy(filename, content, name)
    if lower.endswith(".zip"):
        return _dataset_from_zip(filename, content, name)
    if _is_idx_name(lower):
        return dataset_from_arrays(read_idx(content, name=f"'{filename}'"), name=name)
    raise AecoreError(
        f"'{filename}' has an unsupported type; upload a .npz archive (np.savez with x= and optionally y=), "
        "a .npy array, an IDX images file (e.g. train-images-idx3-ubyte.gz) or a .zip of PNG/JPEG images."
    )


def load_image_folder(path: str | os.PathLike[str]) -> Dataset:
    """A folder of PNG/JPEG images on disk, one sub-folder per class (or none); same rules as a zip."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise AecoreError(f"{root} is not a folder; name a folder holding PNG or JPEG images.")
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    entries = [(rel, (root / rel).read_bytes) for rel in files if _is_image_name(rel)]
    return _decode_images(entries, str(root), root.name or "folder")
