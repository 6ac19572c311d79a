"""Arrays read by what their files declare: the shape and type in a ``.npy`` or IDX header are checked against the
limits before a single value is unpacked, and the values are turned into 8-bit images a chunk at a time.

A 1.6 MB compressed ``.npz`` can declare 100,000 images of 128×128 (1.6 GB): read whole, it grew the server by
4.3 GB and ended in numpy's ``ArrayMemoryError``. Here it is refused from its header, and an accepted file never
exists in memory at more than its final 8-bit size plus one chunk.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from aecore.errors import AecoreError

MIN_USER_IMAGES, MAX_USER_IMAGES = 10, 100_000
MIN_SIDE, MAX_SIDE = 4, 128
#: the most an upload may hold as 8-bit images (it trains as float32: four times that in memory)
MAX_STORED_BYTES = 10**9
#: the values converted at once: what an accepted upload costs in memory beyond its 8-bit images
CHUNK_BYTES = 16 * 2**20
SHAPES_ALLOWED = "(N, H, W), (N, H, W, 1) or (N, D) with D a perfect square such as 784 = 28×28"
VALUES_ALLOWED = "pixel values must all lie in [0, 1] or all in [0, 255]"


@dataclass(frozen=True)
class DeclaredArray:
    """An array known by its declared shape and type; ``chunks`` yields its values in order, row blocks at a time."""

    shape: tuple[int, ...]
    dtype: np.dtype
    chunks: Callable[[int], Iterator[np.ndarray]]
    where: str

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def npy_header(stream: BinaryIO, where: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """A ``.npy`` stream's (shape, Fortran order, type) from its header, nothing after it read."""
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in read_header:
            raise ValueError(f"format version {version} is not read here")
        shape, fortran_order, dtype = read_header[version](stream)
    except ValueError as error:
        raise AecoreError(f"{where} is not a readable NumPy array ({error}); save it with np.savez.") from None
    return tuple(int(side) for side in shape), bool(fortran_order), dtype


def npz_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """The shape and type of every array in an ``.npz`` file, read from their headers only."""
    headers = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                with archive.open(member) as stream:
                    shape, _, dtype = npy_header(stream, f"'{path.name}' ('{member}')")
                headers[member.removesuffix(".npy")] = (shape, dtype)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise AecoreError(f"'{path.name}' is not a readable NumPy file ({error}).") from None
    return headers


def in_memory(array: np.ndarray, where: str) -> DeclaredArray:
    """An array already in memory, read through the same checks."""

    def chunks(rows: int) -> Iterator[np.ndarray]:
        for start in range(0, len(array), rows):
            yield array[start : start + rows]

    return DeclaredArray(tuple(array.shape), array.dtype, chunks, where)


def from_stream(open_stream: Callable[[], BinaryIO], skip: int, shape: tuple[int, ...], dtype: np.dtype, where: str):
    """An array stored after ``skip`` header bytes of a stream that ``open_stream`` opens afresh for each pass."""
    row_bytes = math.prod(shape[1:]) * dtype.itemsize

    def chunks(rows: int) -> Iterator[np.ndarray]:
        with open_stream() as stream:
            read_exactly(stream, skip, where)
            for start in range(0, shape[0], rows):
                count = min(rows, shape[0] - start)
                data = read_exactly(stream, count * row_bytes, where)
                yield np.frombuffer(data, dtype=dtype).reshape(count, *shape[1:])
            if stream.read(1):
                raise AecoreError(
                    f"{where} holds more data than its header declares (shape {shape}); the file is not what it "
                    "says it is."
                )

    return DeclaredArray(shape, dtype, chunks, where)


def read_exactly(stream: BinaryIO, size: int, where: str) -> bytes:
    """``size`` bytes, or a message that the file is cut short (a stream may return fewer bytes per read)."""
    parts, missing = [], size
    while missing > 0:
        part = stream.read(missing)
        if not part:
            raise AecoreError(f"{where} is cut short: it holds less data than its header declares.")
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def image_stack_shape(shape: tuple[int, ...], where: str) -> tuple[int, int, int]:
    """The (N, H, W) an array of ``shape`` holds, checked against every limit; nothing read yet."""
    if len(shape) == 4 and shape[-1] == 1:
        shape = shape[:3]
    if len(shape) == 2:
        side = math.isqrt(shape[1])
        if side * side != shape[1] or side == 0:
            raise AecoreError(
                f"Flat images must have a square number of pixels, e.g. 784 = 28×28 (got {shape[1]}) in {where}; "
                f"allowed shapes are {SHAPES_ALLOWED}."
            )
        shape = (shape[0], side, side)
    if len(shape) != 3:
        hint = " Convert colour images to grayscale first." if len(shape) == 4 else ""
        raise AecoreError(f"The images in {where} have shape {shape}; allowed shapes are {SHAPES_ALLOWED}.{hint}")
    count, height, width = (int(side) for side in shape)
    check_image_count(count, where)
    check_image_size(height, width, where)
    check_stored_size(count, height, width, where)
    return count, height, width


def check_image_count(count: int, where: str) -> None:
    if not MIN_USER_IMAGES <= count <= MAX_USER_IMAGES:
        raise AecoreError(
            f"A dataset needs between {MIN_USER_IMAGES} and {MAX_USER_IMAGES:,} images ({where} holds {count:,})."
        )


def check_image_size(height: int, width: int, where: str) -> None:
    if not (MIN_SIDE <= height <= MAX_SIDE and MIN_SIDE <= width <= MAX_SIDE):
        raise AecoreError(
            f"Images must be between {MIN_SIDE} and {MAX_SIDE} pixels on each side ({where} has {height}×{width}); "
            "resize them first."
        )


def check_stored_size(count: int, height: int, width: int, where: str) -> None:
    size = count * height * width
    if size > MAX_STORED_BYTES:
        raise AecoreError(
            f"{where} holds {count:,} images of {height}×{width}, {size / 1e9:.2f} GB as 8-bit images; at most "
            f"{MAX_STORED_BYTES / 1e9:g} GB is allowed. Upload fewer or smaller images."
        )


def check_no_objects(dtype: np.dtype, where: str) -> None:
    """Refuse pickled Python objects by the declared type alone: they are never loaded."""
    if dtype.hasobject:
        raise AecoreError(
            f"{where} stores Python objects, which are never loaded (they could run code). Save plain numeric "
            "arrays instead, e.g. np.savez('data.npz', x=images.astype('uint8'), y=labels)."
        )


def check_numbers(dtype: np.dtype, where: str) -> None:
    check_no_objects(dtype, where)
    if dtype.kind not in "biuf":
        raise AecoreError(f"The images in {where} must be numbers (got type {dtype}); save them as uint8 or float32.")


def to_uint8_images(array: DeclaredArray) -> np.ndarray:
    """The images as (N, H, W) uint8: values in [0, 1] are scaled by 255, values in [0, 255] kept (rounded).

    Two passes over the values, a chunk at a time: the first finds their range, the second converts.
    """
    check_numbers(array.dtype, array.where)
    count, height, width = image_stack_shape(array.shape, array.where)
    rows = max(1, CHUNK_BYTES // max(1, height * width * array.dtype.itemsize))
    low, high = math.inf, -math.inf
    for chunk in array.chunks(rows):
        if chunk.dtype.kind == "f" and not np.isfinite(chunk).all():
            raise AecoreError(f"The images in {array.where} contain NaN or infinite values; {VALUES_ALLOWED}.")
        if chunk.size:
            low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
    if low < 0:
        raise AecoreError(f"The images in {array.where} contain negative values (min {low:g}); {VALUES_ALLOWED}.")
    if high > 255.0:
        raise AecoreError(
            f"The images in {array.where} contain values up to {high:g}; {VALUES_ALLOWED}. Rescale them first."
        )
    factor = 255.0 if high <= 1.0 else 1.0
    images = np.empty((count, height, width), dtype=np.uint8)
    start = 0
    for chunk in array.chunks(rows):
        flat = chunk.reshape(len(chunk), height, width)
        if factor == 1.0 and flat.dtype == np.uint8:
            images[start : start + len(flat)] = flat
        else:
            images[start : start + len(flat)] = np.rint(flat.astype(np.float32) * np.float32(factor))
        start += len(flat)
    return images
