"""Names for a network's layers as a student counts them: "hidden 2: Dense 1000→500, ReLU".

A network's layers are grouped into *blocks*: each affine layer (``Dense``, ``WeightNormDense``, ``Maxout``: ``layer.affine``) opens one,
and the layers after it (batch norm, the activation, dropout) belong to it until the next weight
layer. The blocks are counted from 1 as "hidden 1", "hidden 2", ...; the block of the last weight
layer is "output". Every layer of a block carries the block's name, so that a statistic of layer 6
(say, the ReLU after the third Dense) reads "hidden 3: Dense 500→250, BatchNorm, ReLU".
``inspect``, ``diagnose``, the report and ``compare`` all use these names.
"""

from __future__ import annotations


from mlplab.layers import AlphaDropout, Dropout, Layer, Maxout

ARROW = "\u2192"


def _describe(layer: Layer) -> str:
    """One layer in a block's description: "Dense 1000→500", "Maxout 784→256 (2 pieces)", "Dropout 0.2"."""
    kind = type(layer).__name__                   # the name shown, never a test of what the layer can do
    if layer.affine:
        pieces = f" ({layer.pieces} pieces)" if isinstance(layer, Maxout) else ""
        return f"{kind} {layer.in_features}{ARROW}{layer.out_features}{pieces}"
    if isinstance(layer, (Dropout, AlphaDropout)):   # its rate is part of its name
        return f"{kind} {layer.p:g}"
    return kind


def block_names(layers: list[Layer]) -> list[str]:
    """The name of the block each layer belongs to, one entry per layer (layers before the first affine
    layer, which a plain network never has, are named by their type)."""
    weight = [i for i, layer in enumerate(layers) if layer.affine]
    names: list[str] = []
    for i, layer in enumerate(layers):
        starts = [w for w in weight if w <= i]
        if not starts:
            names.append(f"input: {_describe(layer)}")
            continue
        start = starts[-1]
        end = next((w for w in weight if w > start), len(layers))
        role = "output" if start == weight[-1] else f"hidden {weight.index(start) + 1}"
        names.append(f"{role}: " + ", ".join(_describe(layers[j]) for j in range(start, end)))
    return names


def short_name(name: str) -> str:
    """The role alone ("hidden 2", "output") of a full block name, for legends and narrow columns."""
    return name.split(":", 1)[0]


def layer_range(names: list[str]) -> str:
    """A list of block roles said compactly: ["hidden 6", ..., "hidden 10"] -> "hidden 6-10"."""
    roles = [short_name(n) for n in names]
    numbers = [int(r.split()[1]) for r in roles if r.startswith("hidden ")]
    others = [r for r in roles if not r.startswith("hidden ")]
    parts: list[str] = []
    if numbers:
        numbers = sorted(set(numbers))
        runs: list[list[int]] = [[numbers[0], numbers[0]]]
        for n in numbers[1:]:
            if n == runs[-1][1] + 1:
                runs[-1][1] = n
            else:
                runs.append([n, n])
        parts.append("hidden " + ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs))
    parts += list(dict.fromkeys(others))
    return ", ".join(parts)
