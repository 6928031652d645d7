"""Dataset loaders and preprocessing."""

from mlplab.data.datasets import (NAMES, DataNotFoundError, Dataset, find_idx_folder, load_dataset, load_file,
                                  load_named, stratified_split)
from mlplab.data.idx import load_idx_pair, read_idx, write_idx
from mlplab.data.preprocess import Preprocessor, one_hot
from mlplab.data.toy import circles, gaussian, moons, spirals

__all__ = ["NAMES", "Dataset", "DataNotFoundError", "load_dataset", "load_file", "load_named", "find_idx_folder",
           "stratified_split", "read_idx", "write_idx", "load_idx_pair", "Preprocessor", "one_hot", "spirals",
           "moons", "circles", "gaussian"]
