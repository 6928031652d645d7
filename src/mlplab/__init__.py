"""mlplab: deep fully-connected networks with backpropagation written out by hand."""

from mlplab import backend, init, kernels, layers, losses, optim
from mlplab.gradcheck import gradcheck
from mlplab.init import lsuv
from mlplab.network import Sequential, load, mlp, save
from mlplab.runs import Run

__version__ = "0.1.0"

__all__ = ["backend", "init", "kernels", "layers", "losses", "optim", "Sequential", "mlp", "save", "load", "gradcheck",
           "lsuv", "Run", "__version__"]
