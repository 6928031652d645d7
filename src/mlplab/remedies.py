"""The remedies the lecture notes give for each finding of :mod:`mlplab.findings`, quoted with their
citation, and the ``mlplab experiment`` that shows each one.

Quotes are the notes' words (their bold and LaTeX dropped; "..." where words are left out); the
flags after them (``--init xavier_normal``, ``--batchnorm``) are how to follow the advice in mlplab.
CS231n (Karpathy's notes, which CS7015 lecture 9 follows for activations) is named where the number
comes from there and not from the notes: the customary update/weight ratio of 1e-3.
"""

from __future__ import annotations

RECTIFIERS = ("ReLU", "LeakyReLU", "PReLU", "ELU", "Maxout")


def _init_remedy(types: list[str]) -> str:
    """Variance-preserving initialisation, said for the layers' activation (He for rectifiers)."""
    if any(t in RECTIFIERS for t in types):
        return ('initialise with He\'s Var(w) = 2/n_in, --init he_normal ("a factor of 2 is needed when dealing '
                'with ReLU Neurons", CS7015 lecture 9, module 9.4)')
    return ('initialise with Var(w) = 1/n_in, --init xavier_normal or lecun_normal ("If we draw the weights from '
            'a unit Gaussian and scale them by 1/sqrt(n) then ... nVar(w) = 1", CS7015 lecture 9, module 9.4)')


BATCH_NORM = ('or add batch norm, --batchnorm ("If training a deep network, you should use Batch Normalization", '
              'DD2424 lecture 4)')


def advice(code: str, types: list[str]) -> str:
    """The remedy for ``code``, quoted from the lecture notes, and the experiment that shows it; ``types`` are
    the activation layers' types of the layers named ("ReLU", "Tanh", ...): rectifiers get He's init."""
    depth_experiment = "depth-init" if any(t in RECTIFIERS for t in types) else "init-activations"
    if code == "vanishing-activations":
        return ('DD2424 lecture 4: "Xavier initialization diminishes effect of vanishing activations and stops '
                f'exploding activations". Remedy: {_init_remedy(types)}, {BATCH_NORM}. '
                f'See it: mlplab experiment {depth_experiment}.')
    if code == "exploding-activations":
        return ('DD2424 lecture 4: "Too large σ ⟹ non-zero activations explode as layer number increases"; '
                f'"Xavier initialization ... stops exploding activations". Remedy: {_init_remedy(types)}, '
                f'{BATCH_NORM}. See it: mlplab experiment {depth_experiment}.')
    if code == "vanishing-gradients":
        return ('CS7015 lecture 9, module 9.4: if the activations of a layer are close to 0, the gradients of the '
                'weights after it "will all be close to 0 (vanishing gradient problem)"; module 9.3: "Saturated '
                f'neurons cause the gradient to vanish". Remedy: {_init_remedy(types)}, or add batch norm, '
                '--batchnorm (it "Improves gradient flow through the network", DD2424 lecture 4). '
                f'See it: mlplab experiment {depth_experiment}.')
    if code == "exploding-gradients":
        return ('DD2424 lecture 4 (N(0, 1) weights): "at each layer the range of gradient values is huge. '
                f'Gradients have exploded." Remedy: {_init_remedy(types)}, or add batch norm, --batchnorm '
                '("Allows higher learning rates. Why? No fear of exploding weights/gradients", Balasubramanian '
                'lecture 30). See it: mlplab experiment init-activations.')
    if code == "saturation":
        return ('CS7015 lecture 9, module 9.3: "Saturated neurons cause the gradient to vanish"; with weights '
                'initialised "to very high values ... The neurons will saturate very quickly". Remedy: '
                f'{_init_remedy(types)}; or ReLU units: "Use ReLU ... Don\'t use sigmoid" (DD2424 lecture 4). '
                'See it: mlplab experiment init-activations (N(0, 1) weights saturate tanh) and '
                'mlplab experiment activations.')
    if code == "dead-units":
        return ('CS7015 lecture 9, module 9.3: "The neuron will now stay dead forever!!" and "In practice a large '
                'fraction of ReLU units can die if the learning rate is set too high". Remedy: a smaller --lr; '
                '"It is advised to initialize the bias to a positive value (0.01)", --bias-init 0.01; "Use other '
                'variants of ReLU": --activation leaky_relu or elu ("Activations do not die", DD2424 lecture 4). '
                'See it: mlplab experiment dead-relu.')
    if code == "not-zero-centred":
        if any(t == "Sigmoid" for t in types):
            return ('DD2424 lecture 4: "Sigmoid outputs are not zero-centered" => "inefficient zig-zag update '
                    'paths"; "Tanh outputs are zero-centered" (also CS7015 lecture 9, module 9.3). Remedy: '
                    '--activation tanh, or a rectifier with centred outputs (Leaky ReLU, ELU: "Closer to zero mean '
                    'outputs"). See it: mlplab experiment activations (the zig-zag).')
        return ('DD2424 lecture 4 on ReLU: "Output is not zero-centered", which gives the zig-zag update paths it '
                'shows for the sigmoid. Remedy: Leaky ReLU or ELU ("Closer to zero mean outputs", DD2424 lecture 4), '
                '--activation leaky_relu or elu, or batch norm, --batchnorm. See it: mlplab experiment activations '
                '(the zig-zag) and mlplab experiment dead-relu (centred outputs).')
    if code == "update-ratio-high":
        return ('DD2424 lecture 4 on ReLU: "Be careful with your learning rates"; CS7015 lecture 9, module 9.3: '
                '"a large fraction of ReLU units can die if the learning rate is set too high". Remedy: a smaller '
                '--lr (a ratio near 1e-3 is customary, CS231n), or batch norm, which "Allows higher learning rates" '
                '(DD2424 lecture 4). See it: mlplab experiment batchnorm (a learning-rate sweep to failure).')
    if code == "update-ratio-low":
        return ('Tiny updates mean slow learning or no gradient: DD2424 lecture 4 shows a deep net with small '
                'weights where "at each layer the value of all gradients are tiny". Remedy: a larger --lr (a ratio '
                f'near 1e-3 is customary, CS231n), or, when the gradients vanish, {_init_remedy(types)}. '
                f'See it: mlplab experiment {depth_experiment}.')
    if code == "overfitting":
        return ('DD2424 lecture 4: "Do not use size of neural network as a regularizer. Use stronger '
                'regularization." Remedy: --l2 (the notes\' lambda), --dropout, or early stopping, --patience N '
                '(the best weights are kept); batch norm "Acts as a form of regularization" (Balasubramanian '
                'lecture 30). See it: mlplab experiment hidden-units.')
    if code == "diverged":
        return ('DD2424 lecture 4: "Be careful with your learning rates"; Balasubramanian lecture 30: "One of the '
                'reasons to keep your learning rates low was to avoid your weights to explode". Remedy: a --lr '
                'ten times smaller, or batch norm, --batchnorm ("Allows higher learning rates. Why? No fear of '
                'exploding weights/gradients", Balasubramanian lecture 30). See it: mlplab experiment batchnorm '
                '(a learning-rate sweep to failure).')
    raise ValueError(f"code {code!r} is not a finding's code (mlplab.findings.CODES)")
