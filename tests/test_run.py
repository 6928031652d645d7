import numpy as np
import pytest

from mlplab.config import resolve
from mlplab.run import LSUV_BATCH, build_network


def test_lsuv_init_normalises_every_weighted_layer_on_training_rows():
    config = resolve({}, {"init": "lsuv", "hidden": "32,16", "activation": "tanh", "batchnorm": False,
                          "dropout": 0.0, "dtype": "float64"})
    X = np.random.default_rng(0).random((LSUV_BATCH + 100, 10))
    net = build_network(config, 10, 3, X)
    weighted = [i for i, layer in enumerate(net.layers) if "W" in layer.params]
    variances = [float(net.forward_until(X[:LSUV_BATCH], i + 1).var()) for i in weighted]
    np.testing.assert_allclose(variances, 1.0, atol=0.05)
    plain = build_network({**config, "init": "auto"}, 10, 3)
    assert abs(float(plain.forward_until(X[:LSUV_BATCH], 1).var()) - 1.0) > 0.05     # not so by itself
    with pytest.raises(ValueError, match="init 'lsuv' needs training data"):
        build_network(config, 10, 3)


def test_build_optimizer_builds_each_named_optimizer_and_never_falls_through():
    from mlplab import optim
    from mlplab.run import build_optimizer
    built = {name: type(build_optimizer(resolve({}, {"optimizer": name}))) for name in
             ("sgd", "rmsprop", "adam", "adamw", "adagrad", "nadam")}
    assert built == {"sgd": optim.SGD, "rmsprop": optim.RMSProp, "adam": optim.Adam, "adamw": optim.AdamW,
                     "adagrad": optim.AdaGrad, "nadam": optim.NAdam}
    config = {**resolve({}, {}), "optimizer": "adamax"}         # a name no registry has: refused, never AdaGrad
    with pytest.raises(ValueError, match="config key 'optimizer': unknown value 'adamax'; valid: "):
        build_optimizer(config)


def test_the_report_reads_a_run_without_the_training_machinery():
    """mlplab.report and mlplab.run do not import each other: drawing a report never loads mlplab.run."""
    import subprocess
    import sys
    code = ("import sys, mlplab.report, mlplab.report.inputs, mlplab.report.page, mlplab.rundir, mlplab.builders; "
            "print('mlplab.run' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "False", result.stderr
