"""Where the lecture notes are wrong or ambiguous, and what mlplab does instead (EXPERIMENTS.md's last section)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Erratum:
    where: str          # the lecture and the place in it
    says: str           # what the notes say
    problem: str        # why it is wrong or ambiguous
    mlplab: str         # what mlplab does, and where it shows


ERRATA: list[Erratum] = [
    Erratum("Balasubramanian lecture 30 (section 4.5), the initialisation slide and its \"Homework!\"",
            "He's initialisation: uniform(-4/(fan_in + fan_out), 4/(fan_in + fan_out))",
            "He et al. 2015 draw from N(0, 2/fan_in); the uniform with that variance is U(+-sqrt(6/fan_in)). A "
            "bound of 4/(fan_in + fan_out) gives Var(w) = 16/(3 (fan_in + fan_out)^2), which shrinks with the square "
            "of the width: on 500-unit ReLU layers the standard deviation of the signal would fall by a factor of "
            "about 27 per layer",
            "`he_normal` is N(0, 2/fan_in) and `he_uniform` is U(+-sqrt(6/fan_in)) (PyTorch's kaiming_*); "
            "`init-activations` measures what each predicts"),
    Erratum("Balasubramanian lecture 30 (section 4.5), deriving Xavier's initialisation",
            "\"let us hence go with the average variance of w to be 2/sqrt(fan_in + fan_out)\"",
            "The average of the forward (1/fan_in) and backward (1/fan_out) conditions is Var(w) = 2/(fan_in + "
            "fan_out), with no square root; only that variance gives the slide's own bound sqrt(6)/sqrt(fan_in + "
            "fan_out) through Var(U[-a, a]) = a^2/3",
            "`xavier_normal` has Var(w) = 2/(fan_in + fan_out) and `xavier_uniform` the bound sqrt(6/(fan_in + "
            "fan_out)), as Glorot & Bengio 2010 (equation 16) and PyTorch"),
    Erratum("Balasubramanian lecture 30 (section 4.5), on random initialisation",
            "\"Both very large and small weights can cause activation functions such as sigmoid and tanh to "
            "saturate\"",
            "Small weights keep pre-activations near 0, where sigmoid and tanh are almost linear: nothing saturates. "
            "What small weights cause is vanishing activations and gradients layer after layer (DD2424 lecture 4's "
            "10 x 500 tanh histograms); large weights cause saturation",
            "`init-activations` measures both: with N(0, 0.01^2) weights the saturated share is 0 and the "
            "activations shrink; with N(0, 1) weights most tanh units saturate"),
    Erratum("DD2424 lecture 4 (\"Weight initialization with Xavier initialization\"); CS7015 lecture 9 (module 9.4)",
            "Xavier initialisation is W ~ N(0, sigma^2) with sigma = 1/sqrt(n_in)",
            "That is LeCun et al.'s 1998 initialisation. Glorot & Bengio's (\"Xavier\") normalised initialisation "
            "has Var(w) = 2/(n_in + n_out); the two agree only when n_in = n_out, as on the slides' 500-unit layers, "
            "and differ on layers of unequal width",
            "`lecun_normal` is the lectures' \"Xavier\" (std 1/sqrt(n_in)); `xavier_normal` / `xavier_uniform` "
            "are Glorot & Bengio's; `init-activations` uses unequal widths so the two predict different things"),
]


def errata_markdown() -> str:
    """The errata as a Markdown section."""
    lines = ['<a id="errata"></a>', "", "## Errata: where the lecture notes are wrong or ambiguous", ""]
    if not ERRATA:
        return "\n".join(lines + ["(none recorded)", ""])
    lines += ["| where | the notes say | the problem | what mlplab does |", "|---|---|---|---|"]
    lines += [f"| {e.where} | {e.says} | {e.problem} | {e.mlplab} |".replace("\n", " ") for e in ERRATA]
    return "\n".join(lines) + "\n"
