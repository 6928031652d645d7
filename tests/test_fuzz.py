"""Fuzzing (issue 9): random bytes and mutated valid files fed to the IDX reader, the model loader
and the config reader raise only mlplab's documented error for a bad file, ``ValueError``
(``TypeError`` never, a stray ``KeyError``/``IndexError``/``MemoryError``/``BadZipFile`` never),
or they load, when the mutation left a valid file."""

from __future__ import annotations

import gzip
import io
import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="fuzzing needs hypothesis: pip install -e '.[test]'")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import mlplab as ml  # noqa: E402
from mlplab.config import read_toml, resolve, validate  # noqa: E402
from mlplab.data import read_idx, write_idx  # noqa: E402

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
SCRATCH = Path(tempfile.mkdtemp(prefix="mlplab-fuzz-"))


def _valid_idx(gzipped: bool) -> bytes:
    buffer = io.BytesIO()
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    payload = bytes([0, 0, 8, 3]) + np.array(images.shape, ">u4").tobytes() + images.tobytes()
    if gzipped:
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as f:
            f.write(payload)
        return buffer.getvalue()
    return payload


def _valid_model() -> bytes:
    net = ml.mlp(4, [3], 2, batchnorm=True, dropout=0.1)
    buffer = io.BytesIO()
    np.savez(buffer, **ml.network.model_arrays(net))
    return buffer.getvalue()


VALID_TOML = (b'data = "moons"\nhidden = [16, 8]\nactivation = "tanh"\nlr = 0.05\nepochs = 3\n'
              b'batchnorm = false\ndropout = 0.1\nschedule = "cosine"\ndiagnostics = "every=2,probe=50"\n')


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """``original`` after 1-4 edits: flip a byte, cut the tail, insert bytes, or delete a span."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif data:
            del data[at:at + draw(st.integers(1, 16))]
    return bytes(data)


def _write(name: str, data: bytes) -> Path:
    path = SCRATCH / name
    path.write_bytes(data)
    return path


def _only_documented_errors(call) -> None:
    try:
        call()
    except ValueError as err:
        assert str(err), "an error must say what is wrong"


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(_valid_idx(False)), mutated(_valid_idx(True))))
def test_the_idx_reader_raises_only_value_errors(data):
    path = _write("fuzz.idx", data)
    _only_documented_errors(lambda: read_idx(path))


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(_valid_model())))
def test_the_model_loader_raises_only_value_errors_on_bytes(data):
    path = _write("fuzz-model.npz", data)
    _only_documented_errors(lambda: ml.load(path))


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                        max_size=3), max_leaves=6)


@st.composite
def mutated_model_arrays(draw) -> dict[str, np.ndarray]:
    """A well-formed .npz whose contents are wrong: arrays dropped, reshaped, retyped, or the
    architecture's JSON edited at a random place to a random value."""
    net = ml.mlp(4, [3], 2, batchnorm=True, dropout=0.1)
    arrays = ml.network.model_arrays(net)
    keys = sorted(arrays)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(keys))
        kind = draw(st.sampled_from(["drop", "shape", "dtype", "json", "extra"]))
        if kind == "drop":
            arrays.pop(key, None)
        elif kind == "shape" and key in arrays and arrays[key].size:
            arrays[key] = np.resize(arrays[key], draw(st.lists(st.integers(0, 5), max_size=3)))
        elif kind == "dtype" and key in arrays and key != "__architecture__":
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")      # the generator's own lossy casts are the point
                    arrays[key] = arrays[key].astype(draw(st.sampled_from(["U3", "c8", "i1", "bool", "f2", "f8"])))
            except ValueError:           # e.g. text from an earlier edit that is not a number
                pass
        elif kind == "json":
            try:
                header = json.loads(str(arrays.get("__architecture__", np.array("{}"))))
            except ValueError:           # an earlier edit already broke it
                continue
            target = header
            path = draw(st.lists(st.sampled_from(["layers", 0, 1, 2, "config", "type", "in_features", "out_features",
                                                  "p", "momentum", "eps", "dtype", "format", "version"]), max_size=4))
            for step in path[:-1]:
                try:
                    target = target[step]
                except (KeyError, IndexError, TypeError):
                    break
            if path and isinstance(target, (dict, list)):
                try:
                    target[path[-1]] = draw(JSON_VALUES)
                except (IndexError, TypeError):
                    pass
            arrays["__architecture__"] = np.array(json.dumps(header))
        else:
            arrays[f"param:{draw(st.integers(0, 9))}.{draw(st.sampled_from(['W', 'b', 'x']))}"] = np.zeros(2)
    return arrays


@FUZZ
@given(mutated_model_arrays())
def test_the_model_loader_raises_only_value_errors_on_wrong_contents(arrays):
    path = SCRATCH / "fuzz-arrays.npz"
    np.savez(path, **arrays)
    _only_documented_errors(lambda: ml.load(path))


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(VALID_TOML)))
def test_the_config_reader_raises_only_value_errors(data):
    path = _write("fuzz.toml", data)
    _only_documented_errors(lambda: validate(resolve(read_toml(path), {})))


def test_the_fuzzers_valid_files_are_valid():
    """The seeds of the mutations load: the fuzzers start from working files."""
    assert read_idx(_write("ok.idx", _valid_idx(False))).shape == (3, 4, 5)
    assert read_idx(_write("ok.idx.gz", _valid_idx(True))).shape == (3, 4, 5)
    assert len(ml.load(_write("ok.npz", _valid_model())).layers) == 5
    assert validate(resolve(read_toml(_write("ok.toml", VALID_TOML)), {}))["hidden"] == [16, 8]
    write_idx(SCRATCH / "roundtrip.idx", np.arange(6, dtype=np.int32).reshape(2, 3))
    assert read_idx(SCRATCH / "roundtrip.idx").tolist() == [[0, 1, 2], [3, 4, 5]]
