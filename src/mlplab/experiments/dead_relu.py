"""Dead ReLUs: a unit whose input is negative for every example outputs 0, gets exactly zero
gradient, and never recovers (CS7015 lecture 9, module 9.3).

Causes the seeds name: a large learning rate (one big update pushes the bias far negative) and
a large negative bias.  Remedies: Leaky ReLU (never exactly 0) and a small positive bias (0.01).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import mlplab as ml
from mlplab.diagnostics import probe
from mlplab.experiments.base import Claim, Result, Table, Timer, add_figure, load_split, mean_spread
from mlplab.layers import Dense, LeakyReLU, ReLU
from mlplab.train import Callback, Trainer, TrainingDiverged

NAME = "dead-relu"
TITLE = "a high learning rate or a negative bias kills ReLU units for good; Leaky ReLU does not die"
SOURCE = "CS7015 lecture 9 (module 9.3, ReLU: 'the neuron will now stay dead forever')"
# label -> (activation, learning rate, bias init)
CONFIGS = {"ReLU, lr 0.05": ("relu", 0.05, 0.0), "ReLU, lr 0.05, bias 0.01": ("relu", 0.05, 0.01),
           "ReLU, lr 2": ("relu", 2.0, 0.0), "ReLU, lr 2, bias 0.01": ("relu", 2.0, 0.01),
           "ReLU, bias -2": ("relu", 0.05, -2.0), "Leaky ReLU, lr 2": ("leaky_relu", 2.0, 0.0),
           "Leaky ReLU, bias -2": ("leaky_relu", 0.05, -2.0)}


class DeadUnits(Callback):
    """After every epoch (and before training): which units of each rectifier layer output 0
    for every probe example, and the largest |dJ/dW| entry into those units on the probe."""

    def __init__(self, x, y) -> None:
        self.x, self.y = x, y
        self.masks: list[list[np.ndarray]] = []
        self.dead_grad = 0.0

    def on_train_begin(self, trainer) -> None:
        self._record(trainer.net)

    def on_epoch_end(self, trainer, epoch, metrics) -> None:
        self._record(trainer.net)

    def _record(self, net) -> None:
        seen = probe(net, self.x, self.y)
        layers = [i for i, layer in enumerate(net.layers) if isinstance(layer, (ReLU, LeakyReLU))]
        masks = [~np.asarray(seen.outputs[i]).any(axis=0) for i in layers]
        self.masks.append(masks)
        for i, mask in zip(layers, masks):
            dense = max(j for j in range(i) if isinstance(net.layers[j], Dense))
            if mask.any():
                self.dead_grad = max(self.dead_grad, float(np.abs(seen.weight_grads[dense][mask]).max()))

    def fractions(self) -> np.ndarray:
        """(records, layers) dead fractions."""
        return np.array([[float(m.mean()) for m in masks] for masks in self.masks])


def run(out: Path, seeds: int = 5, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    X, y, Xt, yt = load_split("digits" if quick else "fashion-mnist", None if quick else 10000)
    epochs = 5 if quick else 10
    found: dict[str, list[DeadUnits]] = {label: [] for label in CONFIGS}
    diverged: dict[str, int] = {label: 0 for label in CONFIGS}
    for seed in range(seeds):
        for label, (activation, lr, bias) in CONFIGS.items():
            net = ml.mlp(X.shape[1], [128, 128], 10, activation=activation, init="he_normal", bias_init=bias,
                         seed=seed)
            dead = DeadUnits(X[:1000], y[:1000])
            try:
                Trainer(net, ml.optim.SGD(lr=lr), epochs=epochs, seed=seed, callbacks=[dead]).fit(X, y)
            except TrainingDiverged:
                diverged[label] += 1
                continue
            found[label].append(dead)

    def final(label: str) -> list[float]:
        return [float(d.fractions()[-1].mean()) for d in found[label]]

    def initial(label: str) -> list[float]:
        return [float(d.fractions()[0].mean()) for d in found[label]]

    rows = []
    for label in CONFIGS:
        if found[label]:
            curve = np.mean([d.fractions().mean(axis=1) for d in found[label]], axis=0)
            rows.append([label, mean_spread(initial(label)), mean_spread([float(d.fractions()[1].mean())
                                                                          for d in found[label]]),
                         mean_spread(final(label)), diverged[label]])
        else:
            rows.append([label, "-", "-", "-", diverged[label]])
    result.tables.append(Table(f"Dead fraction (mean of the two hidden layers of 128; plain SGD, {epochs} epochs, "
                               f"{'digits' if quick else 'Fashion-MNIST, 10,000 images'})",
                               ["configuration", "before training", "after epoch 1", "at the end", "runs diverged"],
                               rows))
    base, high = final("ReLU, lr 0.05"), final("ReLU, lr 2")
    result.claims.append(Claim("Too high a learning rate kills ReLU units", f"dead at the end: lr 0.05 "
                               f"{mean_spread(base)}, lr 2 {mean_spread(high)}",
                               bool(high) and np.mean(high) > np.mean(base) + 0.05))
    negative = found["ReLU, bias -2"]
    recovered = []
    for d in negative:
        first_dead = np.concatenate(d.masks[1])
        last_dead = np.concatenate(d.masks[-1])
        recovered.append(float((first_dead & ~last_dead).sum() / max(first_dead.sum(), 1)))
    result.claims.append(Claim("A large negative bias kills units, and dead units never recover (their gradients "
                               "are exactly zero)", f"bias -2: dead before training {mean_spread(initial('ReLU, bias -2'))}, "
                               f"of the units dead after epoch 1 revived by the end {mean_spread(recovered)}; "
                               f"largest |dJ/dW| into a dead unit {max(d.dead_grad for d in negative):.1g}",
                               np.mean(initial("ReLU, bias -2")) > 0.5 and max(recovered) == 0.0
                               and max(d.dead_grad for d in negative) == 0.0))
    leaky = final("Leaky ReLU, lr 2") + final("Leaky ReLU, bias -2") + initial("Leaky ReLU, bias -2")
    result.claims.append(Claim("Leaky ReLU does not die", f"largest dead fraction in any Leaky ReLU run: "
                               f"{max(leaky):.3g} (at lr 2, {diverged['Leaky ReLU, lr 2']} of {seeds} Leaky runs "
                               f"diverged instead: with no dead units the large steps keep growing)",
                               bool(leaky) and max(leaky) == 0.0))
    small, zero = final("ReLU, lr 2, bias 0.01"), final("ReLU, lr 2")
    spread = max(np.std(small), np.std(zero)) if small and zero else 0.0
    result.claims.append(Claim("A small positive bias (0.01) reduces deaths (by more than the spread over seeds)",
                               f"dead at the end with lr 2: bias 0 {mean_spread(zero)}, bias 0.01 {mean_spread(small)}",
                               bool(small) and bool(zero) and np.mean(zero) - np.mean(small) > spread))
    from mlplab.report import pyplot
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for label in CONFIGS:
        if found[label]:
            ax.plot(np.mean([d.fractions().mean(axis=1) for d in found[label]], axis=0), marker=".", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("dead fraction (mean over layers and seeds)")
    add_figure(result, fig, out, "dead.png", "Dead ReLU units over training (0 for every one of 1,000 probe examples)")
    result.seconds = timer.seconds()
    return result
