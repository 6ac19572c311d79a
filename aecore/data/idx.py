"""The IDX file format of MNIST and Fashion-MNIST: read whole (gzip-compressed or not), or only its shape.

Built-in datasets read Debian's and Keras' files with it, and uploads (``aecore.data.uploads``) the user's own.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from aecore.errors import AecoreError

_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IDX_EXPECTED = (
    "expected the IDX format of MNIST / Fashion-MNIST (e.g. train-images-idx3-ubyte.gz): two zero bytes, "
    "a type code, the number of dimensions, then each dimension as a big-endian 32-bit integer"
)


def _idx_header(data: bytes, name: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """Parse an IDX header: (dtype, dims, offset of the first value)."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise AecoreError(f"{name} is not an IDX file: it starts with bytes {data[:4].hex(' ')}; {IDX_EXPECTED}.")
    ndim = data[3]
    offset = 4 + 4 * ndim
    if ndim == 0 or len(data) < offset:
        raise AecoreError(f"{name} is not an IDX file: its header is cut short ({ndim} dimensions announced).")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    return _IDX_DTYPES[data[2]], dims, offset


def idx_header_from_stream(stream: BinaryIO, name: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """An IDX header read from the start of a stream, before any value: (dtype, dims, header bytes)."""
    head = stream.read(4)
    if len(head) == 4:
        head += stream.read(4 * head[3])
    return _idx_header(head, name)


def _read_source(source: str | os.PathLike[str] | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name or "the data"
    path = Path(source)
    try:
        return path.read_bytes(), name or str(path)
    except OSError as error:
        raise AecoreError(f"Cannot read {path}: {error.strerror or error}.") from error


def _gunzip_if_needed(data: bytes, name: str) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise AecoreError(
            f"{name} is not an IDX file: it looks gzip-compressed but cannot be unpacked ({error})."
        ) from error


def read_idx(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) from a path or from bytes, as a native-endian array.

    Every IDX type code is supported (ubyte, byte, short, int, float, double). ``name`` is used
    in error messages (default: the path, or "the data").
    """
    data, name = _read_source(source, name)
    data = _gunzip_if_needed(data, name)
    dtype, dims, offset = _idx_header(data, name)
    count = math.prod(dims)
    expected = offset + count * dtype.itemsize
    if len(data) != expected:
        raise AecoreError(
            f"{name} is not an IDX file: its header announces shape {dims} ({expected} bytes in all) "
            f"but it holds {len(data)} bytes; the file may be truncated or not IDX."
        )
    values = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return values.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def idx_dims(path: Path) -> tuple[int, ...]:
    """Only the dimensions of an IDX file, read from its first bytes (cheap, even for big files)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            head = stream.read(4 + 4 * 255)
    except (OSError, EOFError, zlib.error) as error:
        raise AecoreError(f"{path} is not an IDX file: it cannot be read ({error}).") from error
    return _idx_header(head, str(path))[1]
