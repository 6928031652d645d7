"""The IDX format of MNIST and Fashion-MNIST (LeCun et al.), gzipped or raw.

Header: two zero bytes, a type code (0x08 = uint8, ...), the number of dimensions, then
each dimension as a big-endian int32; the data follow, big-endian, row-major.
"""

from __future__ import annotations

import gzip
import os
from typing import Any

import numpy as np

IDX_TYPES: dict[int, str] = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file not found: {path!r}") from None
    if raw[:2] == b"\x1f\x8b":          # gzip magic: decompress whatever the name says
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ValueError(f"IDX file {path!r}: broken gzip stream ({err})") from None
    return raw


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file into an array, checking the magic number, dimensions and size."""
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"IDX file {path!r} is too short ({len(raw)} bytes) to hold a header")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise ValueError(f"IDX file {path!r}: bad magic number 0x{raw[:4].hex()}; an IDX file starts "
                         f"0x0000 then a type code in {[hex(t) for t in IDX_TYPES]} and the dimension count")
    ndim = raw[3]
    if ndim == 0:
        raise ValueError(f"IDX file {path!r}: the header declares 0 dimensions")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"IDX file {path!r} is truncated inside its header ({len(raw)} of {header_size} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_size
    if found != expected:
        kind = "truncated" if found < expected else "longer than its header says"
        raise ValueError(f"IDX file {path!r} is {kind}: shape {shape} needs {expected} data bytes, found {found}")
    return np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape).astype(dtype.newbyteorder("="))


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
