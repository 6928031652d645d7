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
    Erratum("Balasubramanian lecture 30 (section 4.5), variance through depth",
            "Var(a_ik) = (n Var(W))^k Var(x); \"to prevent variance of any layer from blowing up or becoming zero, "
            "we need n Var(w) = 1\"",
            "The recursion is for linear units (or for tanh near 0). Through ReLU layers each layer halves E[h^2] "
            "(He et al. 2015, equations 7-8), so the formula is off by 2^(k-1) and n Var(w) = 1 makes the signal "
            "vanish; the notes never say which activation the derivation assumes",
            "`init-activations` measures the forward and backward recursions with the ReLU's factor 1/2, and "
            "the linear formula's error beside them (a factor of 8 at layer 4)"),
    Erratum("DD2424 lecture 4 (\"Effect of Xavier initialization\", tanh)",
            "\"Mean and spread of activations at each layer remains ~ constant\"",
            "On the slide's own 10 x 500 tanh network the spread falls from 0.63 at layer 1 to 0.23 at layer 10: "
            "n Var(w) = 1 is where tanh's signal decays slowly, not where it stays constant (tanh(s) < s)",
            "`init-activations` judges \"~ constant\" read as \"within a factor of 2\" (not reproduced) and "
            "shows the per-layer spreads"),
    Erratum("DD2424 lecture 4 (ReLU with small and large sigma)",
            "\"Range of non-zero gradient values remains ~ constant across layers\"; \"~90-95% of activations "
            "are zero at each layer\"",
            "Both depend on what is measured. One example's non-zero weight gradients keep one range (measured "
            "1.5x across 10 layers), but a mini-batch's mean gradient does not (4.3x with He weights); which zero "
            "share the 90-95% counts is not said (half of a ReLU layer's outputs are zero for symmetric weights)",
            "`init-activations` judges the per-example reading and shows the batch-mean one in a table"),
    Erratum("CS7015 lecture 9 (module 9.4, the 10 x 500 example)",
            "\"the network has 5 layers\"",
            "The code on the same slides builds `hidden_layer_sizes = [500]*10`: ten layers",
            "`init-activations` uses ten layers of 500, as the code (and DD2424 lecture 4) does"),
    Erratum("CS7015 lecture 9 (module 9.3, sigmoid outputs not zero-centred); DD2424 lecture 4",
            "\"Essentially, either all the gradients at a layer are positive or all the gradients at a layer are "
            "negative\"",
            "The sign is shared by the weights into one unit (it is that unit's error term), not by a whole layer, "
            "and only for one example: a mini-batch update sums examples with different signs, and at batch 100 "
            "about a quarter of the updates are all one sign",
            "`activations` measures the one-sign share on real mini-batch updates and the lean of each update "
            "towards the all-ones direction against a centred sigmoid"),
    Erratum("CS7015 lecture 9 (module 9.3, ELU)",
            "f(x) = a e^x - 1 if x <= 0",
            "That is discontinuous at 0 unless a = 1; the ELU of Clevert et al. 2016 (and DD2424 lecture 4) is "
            "a (e^x - 1)",
            "`ELU(alpha)` is alpha (e^x - 1) for x <= 0, as PyTorch"),
    Erratum("CS7015 lecture 9 (module 9.3, dead ReLU)",
            "\"The neuron will now stay dead forever!!\"",
            "The slide's argument (no gradient reaches the unit's weights) holds for a unit whose inputs are fixed: "
            "a first-layer unit. A dead unit in a deeper layer gets no gradient either, but the layers below it "
            "keep learning, so its inputs move and it can come back",
            "`dead-relu` tests the deeper-layer case as its own claim"),
    Erratum("Balasubramanian lecture 30 (section 4.5, batch normalization)",
            "\"introduces 2 additional parameters: gamma and beta ... gamma = sqrt(Var(x^(k))) and beta = "
            "E[x^(k)]\"",
            "Those are the values at which batch norm would undo its own normalisation, not a definition: gamma and "
            "beta are learned, starting at 1 and 0 (as CS7015 lecture 9, module 9.5 says)",
            "`BatchNorm` learns gamma (init 1) and beta (init 0), PyTorch's semantics"),
    Erratum("Balasubramanian lecture 30 (section 4.5, batch normalization)",
            "\"Allows higher learning rates. Why? No fear of exploding weights/gradients\"",
            "Without batch norm, a sigmoid net at too high a rate did not explode in `batchnorm`'s sweep (no run gave "
            "a NaN loss); its units saturate and it sits at chance with a finite loss",
            "`batchnorm` counts a rate as too high when the net misses its accuracy target, whatever the cause, "
            "alike for both nets"),
    Erratum("CS7015 lecture 9 (module 9.5)",
            "\"We will now compare the performance with and without batch normalization on MNIST data using 2 "
            "layers....\"",
            "No activation, width, initialisation, rate, budget or result is given (the transcript ends before it)",
            "`batchnorm` reads it as 2 x 100 tanh with Xavier weights and a rate chosen on a validation split, and "
            "says so"),
    Erratum("DD2424 lecture 4 (regularisation and the number of hidden units)",
            "J(D, lambda, Theta) = sum of l(x, y, Theta) + lambda R(Theta); \"Do not use size of neural network as "
            "a regularizer. Use stronger regularization.\"",
            "With the loss summed (not averaged) the scale of lambda depends on the size of the training set; and "
            "no way to choose lambda is given (choosing it from pictures of the test data selects on the test set)",
            "mlplab's objective is the mean loss + lambda sum ||W||^2 (weights only); `hidden-units` chooses lambda "
            "on a validation split"),
    Erratum("CS7015 lecture 9 (module 9.2, unsupervised pre-training)",
            "fine-tuning written as min 1/m sum (y_i - f(x_i))^2",
            "The squared error is the pre-training (reconstruction) objective; for classification the fine-tuning "
            "objective is the cross-entropy, as in the papers the module cites",
            "mlplab pre-trains on squared error and fine-tunes on softmax cross-entropy"),
    Erratum("DD2424 lecture 4, the Perceptron slide",
            "classifier g = 1 if w^T x + b > 0 else 0; loss max(0, -y(w^T x + b)) with y in {-1, 1}; \"Use SGD\"; "
            "if misclassified, w <- w + y_i x_i",
            "Three loose ends: the classifier answers {0, 1} while the loss uses {-1, +1}; the loss and its "
            "gradient are 0 on the decision line, so SGD on it taken literally never moves from w = 0, where the "
            "rule (every point on the line is misclassified for one of the labels) does; and the bias is never "
            "updated, so the line must pass through the origin",
            "`mlplab.linear.Perceptron` takes either label set, steps when y(w^T x + b) <= 0 and updates b with "
            "w (b <- b + lr y); `perceptron` checks it against Novikoff's bound"),
    Erratum("DD2424 lecture 4, the ADALINE slide",
            "loss (y - y_hat)^2; update w <- w + eta (y - y_hat) x",
            "The gradient of (y - y_hat)^2 is -2 (y - y_hat) x: the update is the gradient step with its factor 2 "
            "folded into eta, and, as on the Perceptron slide, the bias's update is left out",
            "`mlplab.linear.Adaline` takes that step (scikit-learn's SGDRegressor convention) on w and b; "
            "`perceptron` checks it converges to the least-squares solution"),
]


def errata_markdown() -> str:
    """The errata as a Markdown section."""
    lines = ['<a id="errata"></a>', "", "## Errata: where the lecture notes are wrong or ambiguous", ""]
    if not ERRATA:
        return "\n".join(lines + ["(none recorded)", ""])
    lines += ["| where | the notes say | the problem | what mlplab does |", "|---|---|---|---|"]
    lines += [f"| {e.where} | {e.says} | {e.problem} | {e.mlplab} |".replace("\n", " ") for e in ERRATA]
    return "\n".join(lines) + "\n"
