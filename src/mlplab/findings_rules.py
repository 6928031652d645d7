"""The rules behind :mod:`mlplab.findings`: each finding's code, the threshold that fires it and why
that threshold, and its title.

Depth is judged against the network itself: activation std against the *first hidden layer's*
(the input's scale is not recorded; the first layer's output is the first thing the init
shapes), gradient norms ``|dJ/dh|`` against the *last hidden layer's* (the one nearest the loss,
where the backward signal starts).  A one-hidden-layer net is never judged for depth.

=======================  ==============================================  ===========================================
code                     fires when (constant)                           why this threshold
=======================  ==============================================  ===========================================
vanishing-activations    a layer's activation std < ``VANISH_RATIO``     two orders of magnitude: the notes' 10x500
                         (1e-2) x hidden 1's                             N(0, 0.01^2) tanh net (DD2424 lecture 4)
                                                                         shrinks ~4.5x per layer, past 1e-2 from
                                                                         hidden 5 on; a trained Xavier one on digits
                                                                         spans 0.16-0.59 over its 10 layers
exploding-activations    a layer's activation std > ``EXPLODE_RATIO``    the mirror image: 100x growth, which N(0, 1)
                         (1e2) x hidden 1's                              ReLU weights (16x per 500-wide layer)
                                                                         pass within two layers
vanishing-gradients      a layer's ``|dJ/dh|`` < ``GRAD_VANISH_RATIO``   as for activations, on the backward signal
                         (1e-2) x the last hidden layer's
exploding-gradients      a layer's ``|dJ/dh|`` > ``GRAD_EXPLODE_RATIO``  as for activations, on the backward signal
                         (1e2) x the last hidden layer's
saturation               share of outputs saturated (sigmoid < 0.01 or   "Most activations have saturated" (CS7015
                         > 0.99, |tanh| > 0.99) >= ``SATURATED_SHARE``   lecture 9, module 9.4) read as most; the
                         (0.5)                                           init-activations experiment reads "almost
                                                                         all saturated" the same way; there the
                                                                         local gradient is < 0.01 (sigmoid) or
                                                                         < 0.02 (tanh)
dead-units               share of a layer's units that output 0 for      CS231n (Karpathy, whose notes CS7015 lecture
                         every probe example >= ``DEAD_SHARE`` (0.4)     9 follows here): "as much as 40% of your
                                                                         network can be 'dead' ... if the learning
                                                                         rate is set too high"; healthy ReLU nets
                                                                         trained with the defaults measured up to
                                                                         20% (10 x 100 on digits)
not-zero-centred         an activation's output has |mean| >=           then most entries share the mean's sign, so
                         ``CENTRE_RATIO`` (1) x its std                  a next-layer unit's weight gradients share a
                                                                         sign: the zig-zag (DD2424 lecture 4).
                                                                         Sigmoid outputs of a centred input (mean
                                                                         1/2, std < 1/2) cross it; a ReLU of one
                                                                         (|mean|/std = 0.68) does not
update-ratio-high        median ``||dW|| / ||W||`` of one step >         CS231n (Karpathy): a ratio "somewhere around
                         ``UPDATE_HIGH`` (3e-2), or a single step >      1e-3". Healthy runs with the defaults (SGD,
                         ``UPDATE_STEP_HIGH`` (0.1)                      momentum 0.9, lr 0.05) measured 1e-3 to
                                                                         1.1e-2 (the output layer moves fastest), so
                                                                         the band's top is 30x the custom; one step
                                                                         that moves a layer by a tenth of its norm is
                                                                         what SGD at lr 2 does (0.1-0.5), and what
                                                                         Adam's first full-size step (~2e-2) is not
update-ratio-low         ... < ``UPDATE_LOW`` (1e-4)                     an order of magnitude below the custom
overfitting              validation loss >= (1 + ``OVERFIT_RISE``)       10% above the best is beyond the epoch-to-
                         x its best, reached at an earlier epoch,        epoch noise of a validation split, and the
                         while the training loss fell below its value    curves moving apart is the gap itself
                         then and below the validation loss
diverged                 ``summary.json`` says ``"diverged"``, or a      the loss is no longer a number: nothing
                         training or validation loss is NaN or inf       after that is learning
=======================  ==============================================  ===========================================

Where a layer has dead units, the vanishing signal they cause (forward, in the layers after
them; backward, in the layers before them) is their consequence and is not reported again as
vanishing.  Layers whose weights never move (frozen after pre-training: ratio exactly 0) are left
out of the update ratios.
"""

from __future__ import annotations

CODES = ("vanishing-activations", "vanishing-gradients", "exploding-activations", "exploding-gradients",
         "saturation", "dead-units", "not-zero-centred", "update-ratio-high", "update-ratio-low", "overfitting",
         "diverged")
SEVERE = frozenset({"vanishing-activations", "vanishing-gradients", "exploding-activations", "exploding-gradients",
                    "saturation", "dead-units", "diverged"})
# The order findings are listed in: what broke the run first, then what slows it, then the curve.
ORDER = ("diverged", "dead-units", "saturation", "vanishing-activations", "exploding-activations",
         "vanishing-gradients", "exploding-gradients", "update-ratio-high", "update-ratio-low", "not-zero-centred",
         "overfitting")

# Thresholds (the module docstring's table gives each one's reason).
VANISH_RATIO = 1e-2        # activation std below this times hidden 1's: two orders of magnitude lost with depth
EXPLODE_RATIO = 1e2        # ... above this times hidden 1's: two orders gained
GRAD_VANISH_RATIO = 1e-2   # |dJ/dh| below this times the last hidden layer's, on the way back to the input
GRAD_EXPLODE_RATIO = 1e2   # ... above it
SATURATED_SHARE = 0.5      # "most activations have saturated" (CS7015 lecture 9, module 9.4), read as most
DEAD_SHARE = 0.4           # CS231n's "as much as 40% of your network can be dead" at a too-high rate; healthy ReLU
                           # nets trained with the defaults measured up to 20% (10 x 100 on digits)
CENTRE_RATIO = 1.0         # |mean| >= std: most outputs share the mean's sign (sigmoid's always do)
UPDATE_LOW = 1e-4          # CS231n's customary update/weight ratio is ~1e-3; an order of magnitude below it
UPDATE_HIGH = 3e-2         # ... and above it: the defaults (SGD, momentum 0.9, lr 0.05) move the output layer of a
                           # healthy 10 x 100 ReLU net on digits by up to 1.1e-2, so 1e-2 would flag them
UPDATE_STEP_HIGH = 1e-1    # one step that moves a layer's weights by a tenth of their norm (Adam's first full-size
                           # step stays below it at its customary rates; SGD at lr 2 does not)
LR_FLOOR = 0.1             # update ratios count from records at >= 10% of the peak rate (cosine ends near 0)
OVERFIT_RISE = 0.10        # validation loss 10% above its best: beyond an epoch's noise on a validation split

TITLES = {"vanishing-activations": "activations vanish", "vanishing-gradients": "gradients vanish toward the input",
          "exploding-activations": "activations explode", "exploding-gradients": "gradients explode toward the input",
          "saturation": "units saturate", "dead-units": "units are dead",
          "not-zero-centred": "outputs are not zero-centred",
          "update-ratio-high": "updates are large against the weights (learning rate too high?)",
          "update-ratio-low": "updates are tiny against the weights (learning rate too low, or no gradient)",
          "overfitting": "overfitting: validation loss rises while training loss falls",
          "diverged": "training diverged"}
