"""The IDX format of MNIST and Fashion-MNIST (LeCun et al.), gzipped or raw.

Header: two zero bytes, a type code (0x08 = uint8, ...), the number of dimensions, then
each dimension as a big-endian int32; the data follow, big-endian, row-major.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np

IDX_TYPES: dict[int, str] = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@contextlib.contextmanager
def _open(path: str) -> Iterator[BinaryIO]:
    """The file as a byte stream, decompressed on the fly when it is gzipped (whatever its name);
    both the file and the gzip reader are closed on the way out."""
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file not found: {path!r}") from None
    with raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        if not gzipped:
            yield raw
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            yield stream


def _read_exactly(f: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = f.read(min(left, 1 << 24))       # never ask for more than 16 MiB at once
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file into an array, checking the magic number, dimensions and size.

    The size the header declares is checked against the file before anything that large is
    allocated (a corrupt header must not ask for terabytes); raw files are read straight into
    the result, gzipped ones in chunks that stop one byte past the declared size.
    """
    path = os.fspath(path)
    try:
        with _open(path) as f:
            head = _read_exactly(f, 4)
            if len(head) < 4:
                raise ValueError(f"IDX file {path!r} is too short ({len(head)} bytes) to hold a header")
            if head[0] != 0 or head[1] != 0 or head[2] not in IDX_TYPES:
                raise ValueError(f"IDX file {path!r}: bad magic number 0x{head.hex()}; an IDX file starts "
                                 f"0x0000 then a type code in {[hex(t) for t in IDX_TYPES]} and the dimension count")
            ndim = head[3]
            if ndim == 0:
                raise ValueError(f"IDX file {path!r}: the header declares 0 dimensions")
            dims = _read_exactly(f, 4 * ndim)
            if len(dims) < 4 * ndim:
                raise ValueError(f"IDX file {path!r} is truncated inside its header "
                                 f"({4 + len(dims)} of {4 + 4 * ndim} bytes)")
            shape = tuple(int(d) for d in np.frombuffer(dims, dtype=">u4"))
            dtype = np.dtype(IDX_TYPES[head[2]])
            expected = math.prod(shape) * dtype.itemsize
            if isinstance(f, gzip.GzipFile):
                data = _read_exactly(f, expected + 1)
                found, extra = min(len(data), expected), int(len(data) > expected)
                out = np.frombuffer(data[:expected], dtype=dtype).reshape(shape) if found == expected else None
            else:
                found = os.fstat(f.fileno()).st_size - 4 - 4 * ndim
                extra, found = int(found > expected), min(found, expected)
                out = None
                if found == expected and not extra:
                    out = np.empty(shape, dtype=dtype)
                    f.readinto(memoryview(out).cast("B")) if expected else None
    except FileNotFoundError:
        raise
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"IDX file {path!r}: broken gzip stream ({err})") from None
    if found != expected or extra or out is None:
        kind = "truncated" if found < expected else "longer than its header says"
        found_text = f"found {found}" if found < expected else "found more"
        raise ValueError(f"IDX file {path!r} is {kind}: shape {shape} needs {expected} data bytes, {found_text}")
    return out.astype(dtype.newbyteorder("="), copy=False)


def write_idx(path: str | os.PathLike, array: Any) -> None:
    """Write ``array`` as IDX (gzipped when the name ends in ``.gz``); used by tests and tools."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("=").str: k for k, v in IDX_TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("=").str)
    if code is None:
        raise ValueError(f"array dtype {array.dtype} has no IDX type code")
    payload = (bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
               + array.astype(np.dtype(IDX_TYPES[code])).tobytes())
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)


def load_idx_pair(images_path: str | os.PathLike, labels_path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, rows, cols)`` flattened to ``(n, rows*cols)`` and labels ``(n,)``, checked to agree."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim < 2:
        raise ValueError(f"IDX file {os.fspath(images_path)!r} should hold images (n, rows, cols), "
                         f"got shape {images.shape}")
    if labels.ndim != 1:
        raise ValueError(f"IDX file {os.fspath(labels_path)!r} should hold labels (n,), got shape {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"IDX files disagree: {images.shape[0]} images in {os.fspath(images_path)!r} "
                         f"but {labels.shape[0]} labels in {os.fspath(labels_path)!r}")
    return images.reshape(images.shape[0], -1), labels.astype(np.int64)
