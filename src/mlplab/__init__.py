"""mlplab: deep fully-connected networks with backpropagation written out by hand.

``import mlplab`` loads the engine (layers, networks, losses, optimizers); ``mlplab.Run`` and the
modules above the engine (``mlplab.train``, ``mlplab.report``, ...) are imported on first use, so that
the engine never loads the run machinery, and ``mlplab.runs`` (which drives it) can import it at its top.
"""

import importlib
from typing import Any

from mlplab import backend, init, kernels, layers, losses, optim
from mlplab.gradcheck import gradcheck
from mlplab.init import lsuv
from mlplab.network import Sequential, load, mlp, save

__version__ = "0.1.0"

__all__ = ["backend", "init", "kernels", "layers", "losses", "optim", "Sequential", "mlp", "save", "load", "gradcheck",
           "lsuv", "Run", "__version__"]


def __getattr__(name: str) -> Any:
    """``mlplab.Run`` and ``mlplab.<module>`` for a module not imported yet, imported on first use (PEP 562)."""
    if name.startswith("__"):                      # asked by tools (inspect, pickle): never a module of ours
        raise AttributeError(f"module 'mlplab' has no attribute {name!r}")
    if name == "Run":
        from mlplab.runs import Run      # the one import kept inside a function: see the module docstring
        return Run
    try:
        return importlib.import_module(f"mlplab.{name}")
    except ModuleNotFoundError as err:
        if err.name != f"mlplab.{name}":             # the module exists, something it imports does not
            raise
        raise AttributeError(f"module 'mlplab' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), "Run"})
