"""The user's own data: an uploaded ``.npz``, IDX file, zip of images or a folder of images, checked (shape,
type, range, size) by what it declares before anything is unpacked, and kept as 8-bit images (``UserImages``).

Everything a user can get wrong is an ``AecoreError`` that names the allowed shapes, values or the limit passed.
``aecore.data.library`` stores the result in the run store; ``UserImages.dataset`` splits it like a built-in one.
"""

from __future__ import annotations

import functools
import gzip
import io
import math
import os
import posixpath
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from aecore.data.dataset import Dataset, assemble_without_test
from aecore.data.declared import (
    MAX_USER_IMAGES,
    DeclaredArray,
    check_image_count,
    check_image_size,
    check_no_objects,
    check_numbers,
    check_stored_size,
    from_stream,
    in_memory,
    npy_header,
    to_uint8_images,
)
from aecore.data.idx import IDX_EXPECTED, idx_header_from_stream
from aecore.errors import AecoreError, quoted

#: the largest file a user may upload (Streamlit's own limit is set to match in .streamlit/config.toml)
MAX_UPLOAD_BYTES = 200 * 10**6
#: the largest single image file in a zip or folder: a 128×128 PNG or JPEG is far below it
MAX_IMAGE_FILE_BYTES = 4 * 10**6
#: the largest label array: one short text per image
MAX_LABEL_BYTES = 64 * 10**6
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True, eq=False)
class UserImages:
    """A user's images as stored: (N, H, W) uint8, one label code per image (-1 without labels), class names."""

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]

    def dataset(self, name: str) -> Dataset:
        """Split like the built-in datasets without a test part: a seeded 20 % test split, then validation."""
        return assemble_without_test(name, self.images, self.labels, self.class_names, 255.0)


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


def user_images(images: DeclaredArray, labels: Any = None) -> UserImages:
    """Check declared images (and labels) and convert them to 8-bit images, a chunk at a time."""
    pixels = to_uint8_images(images)
    if labels is None:
        return UserImages(pixels, np.full(len(pixels), -1, dtype=np.int64), ())
    codes, class_names = _encode_labels(labels, len(pixels))
    return UserImages(pixels, codes, class_names)


def dataset_from_arrays(images: Any, labels: Any = None, name: str = "uploaded") -> Dataset:
    """Validate arrays already in memory and turn them into a ``Dataset`` with a seeded 20% test split.

    images: numbers shaped (N, H, W), (N, H, W, 1) or (N, D) with D a perfect square;
    10 <= N <= 100,000; sides 4 to 128; values in [0, 1] or in [0, 255] (then scaled).
    labels: optional, one integer or text label per image.
    """
    array = np.asarray(images)
    check_numbers(array.dtype, "the array")
    if array.dtype.kind == "b":
        array = array.astype(np.uint8)
    return user_images(in_memory(array, "the array"), labels).dataset(name)


# ---------------------------------------------------------------------------------------------
# NumPy files: headers first


def _npy_declared(open_stream: Callable[[], BinaryIO], where: str) -> tuple[DeclaredArray, Callable[[], np.ndarray]]:
    """A ``.npy`` stream's array by its header, and a reader of the whole array (for small label arrays)."""
    with open_stream() as stream:
        shape, fortran_order, dtype = npy_header(stream, where)
        skip = stream.tell()
    check_no_objects(dtype, where)
    if fortran_order and len(shape) > 1:
        raise AecoreError(f"{where} is stored in Fortran order; save np.ascontiguousarray(images) instead.")

    def whole() -> np.ndarray:
        declared = math.prod(shape) * dtype.itemsize
        if declared > MAX_LABEL_BYTES:
            raise AecoreError(f"The labels in {where} take {declared:,} bytes; at most {MAX_LABEL_BYTES:,} are read.")
        with open_stream() as stream:
            stream.read(skip)
            return np.frombuffer(stream.read(declared), dtype=dtype, count=math.prod(shape)).reshape(shape)

    return from_stream(open_stream, skip, tuple(shape), dtype, where), whole


def _from_npz(filename: str, content: bytes) -> UserImages:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as error:
        raise AecoreError(
            f"{quoted(filename)} is not a readable NumPy file ({error}); save it with np.savez or np.save."
        ) from None
    with archive:
        keys = [member[: -len(".npy")] for member in archive.namelist() if member.endswith(".npy")]
        image_key = next((k for k in ("x", "images", "x_train") if k in keys), keys[0] if len(keys) == 1 else None)
        if image_key is None:
            raise AecoreError(
                f"{quoted(filename)} holds the arrays {keys[:10]}; name the images 'x', 'images' or 'x_train' "
                "(and the labels 'y', 'labels' or 'y_train')."
            )
        label_key = next((k for k in ("y", "labels", "y_train") if k in keys), None)

        def member(key: str) -> tuple[DeclaredArray, Callable[[], np.ndarray]]:
            return _npy_declared(lambda: archive.open(f"{key}.npy"), f"{quoted(filename)} ('{key}')")

        try:
            images, _ = member(image_key)
            labels = None if label_key is None else member(label_key)[1]()
            return user_images(images, labels)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise AecoreError(f"{quoted(filename)} is damaged ({error}); save it again with np.savez.") from None


def _from_npy(filename: str, content: bytes) -> UserImages:
    images, _ = _npy_declared(lambda: io.BytesIO(content), quoted(filename))
    return user_images(images)


def _from_idx(filename: str, content: bytes) -> UserImages:
    """An IDX images file, gzip-compressed or not: its dimensions are read before anything else is unpacked."""
    where = f"{quoted(filename)}"

    def open_stream() -> BinaryIO:
        raw = io.BytesIO(content)
        return gzip.GzipFile(fileobj=raw) if content[:2] == b"\x1f\x8b" else raw

    try:
        with open_stream() as stream:
            dtype, dims, skip = idx_header_from_stream(stream, where)
        return user_images(from_stream(open_stream, skip, dims, dtype, where))
    except (OSError, EOFError, zlib.error) as error:
        raise AecoreError(f"{where} is not an IDX file: it cannot be unpacked ({error}); {IDX_EXPECTED}.") from None


# ---------------------------------------------------------------------------------------------
# Image files: sizes from their headers and the zip's directory first


def _decode_images(entries: list[tuple[str, int, Callable[[], bytes]]], where: str) -> UserImages:
    """Decode PNG/JPEG files to grayscale; labels come from their folders when there are several.

    ``entries`` are (path, declared file size, reader). The count, each file's size and each image's pixel size
    (from its header) are checked before it is decoded; the first image's size bounds the whole stack.
    """
    from PIL import Image, UnidentifiedImageError

    if not entries:
        raise AecoreError(f"No PNG or JPEG images found in {where}.")
    if len(entries) > MAX_USER_IMAGES:
        raise AecoreError(f"{where} holds {len(entries):,} images; at most {MAX_USER_IMAGES:,} are allowed.")
    pixels: np.ndarray | None = None
    for index, (path, size, read) in enumerate(entries):
        if size > MAX_IMAGE_FILE_BYTES:
            raise AecoreError(
                f"{quoted(path)} in {where} takes {size:,} bytes; an image file may take at most "
                f"{MAX_IMAGE_FILE_BYTES / 1e6:g} MB (images are at most 128 pixels on a side)."
            )
        try:
            with Image.open(io.BytesIO(read())) as image:  # opening reads the header only
                width, height = image.size
                if pixels is None:
                    check_image_size(height, width, f"{quoted(path)} in {where}")
                    check_stored_size(len(entries), height, width, where)
                    pixels = np.empty((len(entries), height, width), dtype=np.uint8)
                elif (height, width) != pixels.shape[1:]:
                    raise AecoreError(
                        f"All images must have the same size: {quoted(entries[0][0])} is {pixels.shape[2]}×"
                        f"{pixels.shape[1]} but {quoted(path)} is {width}×{height}; resize them first."
                    )
                pixels[index] = np.asarray(image.convert("L"))
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError, zlib.error) as error:
            raise AecoreError(f"{quoted(path)} in {where} is not a readable PNG or JPEG image ({error}).") from None
    check_image_count(len(pixels), where)
    folders = [posixpath.dirname(path) for path, _, _ in entries]
    labels = None
    if len(set(folders)) > 1:
        common = posixpath.commonpath(folders)
        labels = [posixpath.relpath(folder or ".", common or ".") for folder in folders]
        labels = ["(top level)" if label == "." else label for label in labels]
    codes, class_names = _encode_labels(labels, len(pixels)) if labels else (np.full(len(pixels), -1), ())
    return UserImages(pixels, codes.astype(np.int64), class_names)


def _is_image_name(path: str) -> bool:
    parts = path.split("/")
    hidden = any(part.startswith(".") or part == "__MACOSX" for part in parts)
    return not hidden and path.lower().endswith(IMAGE_SUFFIXES)


def _from_zip(filename: str, content: bytes) -> UserImages:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as error:
        raise AecoreError(f"{quoted(filename)} is not a readable .zip file ({error}).") from None
    with archive:
        members = sorted(
            (info for info in archive.infolist() if not info.is_dir() and _is_image_name(info.filename)),
            key=lambda info: info.filename,
        )
        entries = [(info.filename, info.file_size, functools.partial(archive.read, info)) for info in members]
        try:
            return _decode_images(entries, quoted(filename))
        except (zipfile.BadZipFile, EOFError) as error:
            raise AecoreError(f"{quoted(filename)} is damaged ({error}); make the .zip again.") from None


def _is_idx_name(lower: str) -> bool:
    return lower.endswith((".gz", "-ubyte")) or ".idx" in lower


def read_user_file(filename: str, content: bytes) -> UserImages:
    """An uploaded file's images, choosing the reader by the file's extension.

    ``.npz`` (images under x / images / x_train or the only array; labels under y / labels / y_train),
    ``.npy`` (images only), IDX (``.gz``, ``-ubyte``, ``.idx*``; images only, so no labels) or ``.zip`` of
    PNG/JPEG images (labels from sub-folder names).
    """
    if len(content) > MAX_UPLOAD_BYTES:
        raise AecoreError(
            f"{quoted(filename)} takes {len(content) / 1e6:,.0f} MB; an upload may take at most "
            f"{MAX_UPLOAD_BYTES / 1e6:g} MB."
        )
    lower = filename.lower()
    if lower.endswith(".npz"):
        return _from_npz(filename, content)
    if lower.endswith(".npy"):
        return _from_npy(filename, content)
    if lower.endswith(".zip"):
        return _from_zip(filename, content)
    if _is_idx_name(lower):
        return _from_idx(filename, content)
    raise AecoreError(
        f"{quoted(filename)} has an unsupported type; upload a .npz archive (np.savez with x= and optionally y=), "
        "a .npy array, an IDX images file (e.g. train-images-idx3-ubyte.gz) or a .zip of PNG/JPEG images."
    )


def name_of_file(filename: str) -> str:
    """A dataset's default name: the file's name without its extensions."""
    return Path(filename).name.split(".")[0] or "uploaded"


def load_user_file(filename: str, content: bytes) -> Dataset:
    """An uploaded file as a ``Dataset`` named after the file (``read_user_file`` says what is read)."""
    return read_user_file(filename, content).dataset(name_of_file(filename))


def load_image_folder(path: str | os.PathLike[str]) -> Dataset:
    """A folder of PNG/JPEG images on disk, one sub-folder per class (or none); same rules as a zip."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise AecoreError(f"{root} is not a folder; name a folder holding PNG or JPEG images.")
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    entries = [(rel, (root / rel).stat().st_size, (root / rel).read_bytes) for rel in files if _is_image_name(rel)]
    return _decode_images(entries, str(root)).dataset(root.name or "folder")
