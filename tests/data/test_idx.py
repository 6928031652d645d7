import gzip

import numpy as np
import pytest

from mlplab.data import load_idx_pair, read_idx, write_idx


@pytest.mark.parametrize("name", ["images.idx", "images.idx.gz"])
def test_idx_round_trip_raw_and_gzipped(tmp_path, rng, name):
    images = rng.integers(0, 256, size=(7, 4, 3)).astype(np.uint8)
    write_idx(tmp_path / name, images)
    np.testing.assert_array_equal(read_idx(tmp_path / name), images)


def test_idx_header_is_the_documented_format(tmp_path):
    write_idx(tmp_path / "labels", np.array([3, 1, 4], dtype=np.uint8))
    raw = (tmp_path / "labels").read_bytes()
    assert raw == b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + bytes([3, 1, 4])   # magic 0x00000801


def test_pair_flattens_images_and_checks_counts(tmp_path, rng):
    write_idx(tmp_path / "x.gz", rng.integers(0, 256, size=(5, 2, 3)).astype(np.uint8))
    write_idx(tmp_path / "y.gz", np.arange(5, dtype=np.uint8))
    X, y = load_idx_pair(tmp_path / "x.gz", tmp_path / "y.gz")
    assert X.shape == (5, 6) and y.dtype == np.int64
    write_idx(tmp_path / "y4.gz", np.arange(4, dtype=np.uint8))
    with pytest.raises(ValueError, match="IDX files disagree: 5 images .* but 4 labels"):
        load_idx_pair(tmp_path / "x.gz", tmp_path / "y4.gz")


def test_truncated_file_is_explained(tmp_path, rng):
    write_idx(tmp_path / "x", rng.integers(0, 256, size=(10, 3, 3)).astype(np.uint8))
    raw = (tmp_path / "x").read_bytes()
    (tmp_path / "cut").write_bytes(raw[:-5])
    with pytest.raises(ValueError, match=r"is truncated: shape \(10, 3, 3\) needs 90 data bytes, found 85"):
        read_idx(tmp_path / "cut")
    (tmp_path / "cut.gz").write_bytes(gzip.compress(raw[:10]))
    with pytest.raises(ValueError, match="truncated inside its header"):
        read_idx(tmp_path / "cut.gz")
    (tmp_path / "broken.gz").write_bytes(gzip.compress(raw)[:-20])
    with pytest.raises(ValueError, match="broken gzip stream"):
        read_idx(tmp_path / "broken.gz")


def test_wrong_magic_number_is_explained(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x12\x34\x08\x01" + bytes(8))
    with pytest.raises(ValueError, match="bad magic number 0x12340801"):
        read_idx(tmp_path / "bad")
    (tmp_path / "badtype").write_bytes(b"\x00\x00\x07\x01" + bytes(8))
    with pytest.raises(ValueError, match="bad magic number 0x00000701"):
        read_idx(tmp_path / "badtype")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="IDX file not found"):
        read_idx(tmp_path / "nothing")
