"""The measurements behind speed.py, one framework and one configuration per fresh process.

Each worker trains the issue's network (784-1000-500-250-10 ReLU, SGD momentum 0.9, lr 0.05) on
Fashion-MNIST from the same initial weights, on the same batches in the same order (scikit-learn
shuffles with its own generator), and returns its epoch times, test accuracy, inference time, peak
RSS and the BLAS kernel that ran.  ``python benchmarks/speed.py --worker NAME --config C`` runs one.
"""

from __future__ import annotations

import functools
import os
import resource
import statistics
import time
from typing import Any

HIDDEN = [1000, 500, 250]
SIZES = [784] + HIDDEN + [10]
LR, MOMENTUM, SEED = 0.05, 0.9, 0
CONFIGS = {   # name: (batchnorm, dtype, batch size)
    "main": (False, "float32", 100),
    "bn": (True, "float32", 100),
    "float64": (False, "float64", 100),
    "batch32": (False, "float32", 32),
    "batch256": (False, "float32", 256),
}
INFERENCE_REPEATS = 7


def flops_per_epoch(n: int, sizes: list[int] = SIZES) -> float:
    """Matrix-product arithmetic of an epoch: forward, dW and dX (no dX for the first layer)."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    per_example = 2 * sum(i * o for i, o in pairs) * 2 + 2 * sum(i * o for i, o in pairs[1:])
    return per_example * n


def load_raw(train_limit: int = 0):
    from mlplab.data import Preprocessor, load_dataset
    d = load_dataset("fashion-mnist")
    if train_limit:
        d.X_train, d.y_train = d.X_train[:train_limit], d.y_train[:train_limit]
    return d, Preprocessor("scale", d.pixel_max).fit(d.X_train)


def load_data(dtype: str, train_limit: int = 0):
    """The whole set as float arrays: what a PyTorch, JAX or scikit-learn user holds."""
    import numpy as np
    d, pre = load_raw(train_limit)
    return (pre.transform(d.X_train, np.dtype(dtype)), d.y_train, pre.transform(d.X_test, np.dtype(dtype)),
            d.y_test)


def batches(n: int, batch: int, epoch: int):
    """The epoch's batches of row indices (the trainer's order; a last batch of one is dropped)."""
    import numpy as np
    order = np.random.default_rng([SEED, epoch]).permutation(n)
    return [order[i:i + batch] for i in range(0, n, batch) if order[i:i + batch].size > 1]


def initial_weights(config: str) -> list[tuple[Any, Any]]:
    """mlplab's initial (W, b) per Dense layer, which every framework starts from."""
    import mlplab as ml
    bn, dtype, _ = CONFIGS[config]
    net = ml.mlp(784, HIDDEN, 10, activation="relu", init="he_normal", batchnorm=bn, seed=SEED, dtype=dtype)
    return [(layer.W.copy(), layer.b.copy()) for layer in net.layers if "W" in layer.params]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def blas_kernels() -> list[dict[str, Any]]:
    """What threadpoolctl sees loaded: for OpenBLAS the kernel ('architecture'), version and threads."""
    from threadpoolctl import threadpool_info
    keep = ("user_api", "internal_api", "prefix", "version", "architecture", "threading_layer", "num_threads")
    return [{k: info[k] for k in keep if k in info} for info in threadpool_info()]


def timed_inference(predict, X) -> tuple[float, Any]:
    runs, predicted = [], None
    for _ in range(INFERENCE_REPEATS):
        started = time.perf_counter()
        predicted = predict(X)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), predicted


# -- mlplab ---------------------------------------------------------------------------------------------
def worker_mlplab(config: str, epochs: int, train_limit: int = 0) -> dict:
    import mlplab as ml
    from mlplab.train import Trainer
    bn, dtype, batch = CONFIGS[config]
    d, pre = load_raw(train_limit)   # mlplab keeps the uint8 images and scales each batch (as `mlplab train` does)
    net = ml.mlp(784, HIDDEN, 10, activation="relu", init="he_normal", batchnorm=bn, seed=SEED, dtype=dtype)
    trainer = Trainer(net, ml.optim.SGD(lr=LR, momentum=MOMENTUM), batch_size=batch, epochs=epochs, seed=SEED,
                      transform=functools.partial(pre.transform, dtype=net.dtype))
    history = trainer.fit(d.X_train, d.y_train)
    Xt = pre.transform(d.X_test, net.dtype)
    inference, predicted = timed_inference(net.predict, Xt)        # its default: batches of 1,000
    result = {"epoch_seconds": [h["seconds"] for h in history], "test_accuracy": float((predicted == d.y_test).mean()),
              "inference_seconds": inference, "peak_rss_mib": peak_rss_mib(), "kernels": blas_kernels(),
              "module": os.path.dirname(ml.__file__)}     # which mlplab ran (the reference column's, or this one)
    result["floor_seconds"] = floor_epoch(d.X_train.shape[0], batch, dtype)     # after the RSS: its own arrays
    return result


def floor_epoch(n: int, batch: int, dtype: str) -> float:
    """The floor: one epoch's matrix products replayed alone, with nothing else in between.

    The same shapes and dtype as training, batch by batch (the last, shorter batch included):
    forward ``x @ W.T``, ``dW = dY^T x`` and ``dX = dY @ W`` (not for the first layer), each
    written into a preallocated array with NumPy's matmul: what this NumPy's BLAS can do at these
    shapes, below which mlplab (which calls that BLAS) cannot go.  A framework with GEMMs of its own
    (XLA, PyTorch's) has a floor of its own."""
    import numpy as np
    rng = np.random.default_rng(0)
    pairs = list(zip(SIZES[:-1], SIZES[1:]))
    W = [rng.standard_normal((o, i)).astype(dtype) for i, o in pairs]
    dW = [np.empty_like(w) for w in W]
    sizes = [len(b) for b in batches(n, batch, 0)]
    buffers = {}
    for m in set(sizes):           # per batch size: the layer inputs, outputs, dY and dX
        buffers[m] = ([rng.random((m, i), dtype=np.dtype(dtype)) for i, _ in pairs],
                      [np.empty((m, o), dtype) for _, o in pairs],
                      [rng.random((m, o), dtype=np.dtype(dtype)) for _, o in pairs],
                      [np.empty((m, i), dtype) for i, _ in pairs])
    started = time.perf_counter()
    for m in sizes:
        inputs, outputs, dy, dx = buffers[m]
        for k, w in enumerate(W):
            np.matmul(inputs[k], w.T, out=outputs[k])
        for k in reversed(range(len(W))):
            np.matmul(dy[k].T, inputs[k], out=dW[k])
            if k:
                np.matmul(dy[k], W[k], out=dx[k])
    return time.perf_counter() - started


# -- PyTorch --------------------------------------------------------------------------------------------
def worker_torch(config: str, epochs: int, train_limit: int = 0) -> dict:
    import torch
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    bn, dtype, batch = CONFIGS[config]
    tdtype = torch.float64 if dtype == "float64" else torch.float32
    X, y, Xt, yt = load_data(dtype, train_limit)
    modules = []
    for i, o in zip(SIZES[:-1], SIZES[1:]):
        modules.append(torch.nn.Linear(i, o, dtype=tdtype))
        if o != SIZES[-1]:
            modules += ([torch.nn.BatchNorm1d(o, dtype=tdtype)] if bn else []) + [torch.nn.ReLU()]
    model = torch.nn.Sequential(*modules)
    with torch.no_grad():              # the same initial weights
        for lin, (W, b) in zip([m for m in model if isinstance(m, torch.nn.Linear)], initial_weights(config)):
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    Xtorch, ytorch = torch.from_numpy(X), torch.from_numpy(y)
    times = []
    for epoch in range(epochs):
        started = time.perf_counter()
        model.train()
        for index in batches(X.shape[0], batch, epoch):
            idx = torch.from_numpy(index)
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(Xtorch[idx]), ytorch[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - started)
    model.eval()

    def predict(x):
        with torch.no_grad():
            return model(x).argmax(dim=1).numpy()
    inference, predicted = timed_inference(predict, torch.from_numpy(Xt))
    kernels = blas_kernels() + [{"internal_api": "torch", "version": torch.__version__,
                                 "architecture": torch.backends.cpu.get_cpu_capability(),
                                 "num_threads": torch.get_num_threads()}]
    return {"epoch_seconds": times, "test_accuracy": float((predicted == yt).mean()),
            "inference_seconds": inference, "peak_rss_mib": peak_rss_mib(), "kernels": kernels}


# -- JAX: one jit-compiled step per batch, as a speed-minded user writes it ---------------------------------
def worker_jax(config: str, epochs: int, train_limit: int = 0) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np
    bn, dtype, batch = CONFIGS[config]
    if dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    X, y, Xt, yt = load_data(dtype, train_limit)
    params = {"dense": [(jnp.asarray(W), jnp.asarray(b)) for W, b in initial_weights(config)],
              "bn": [(jnp.ones(o, dtype), jnp.zeros(o, dtype)) for o in HIDDEN] if bn else []}
    state = [(jnp.zeros(o, dtype), jnp.ones(o, dtype)) for o in HIDDEN] if bn else []

    def forward(params, state, x, train: bool):
        """Linear -> [BatchNorm1d] -> ReLU per hidden layer; BN with PyTorch's semantics."""
        new_state = []
        for k, (W, b) in enumerate(params["dense"]):
            x = x @ W.T + b
            if k == len(params["dense"]) - 1:
                break
            if bn:
                (gamma, beta), (mean, var) = params["bn"][k], state[k]
                if train:
                    m = x.shape[0]
                    mean_b, var_b = x.mean(axis=0), x.var(axis=0)
                    new_state.append((0.9 * mean + 0.1 * mean_b, 0.9 * var + 0.1 * var_b * m / (m - 1)))
                    mean, var = mean_b, var_b
                x = (x - mean) * jax.lax.rsqrt(var + 1e-5) * gamma + beta
            x = jax.nn.relu(x)
        return x, new_state

    def loss_fn(params, state, x, labels):
        logits, new_state = forward(params, state, x, True)
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1)), new_state

    @functools.partial(jax.jit, donate_argnums=(0, 1, 2))
    def step(params, velocity, state, X, Y, idx):
        (loss, new_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, state, X[idx], Y[idx])
        velocity = jax.tree.map(lambda v, g: MOMENTUM * v + g, velocity, grads)     # PyTorch's SGD momentum
        params = jax.tree.map(lambda p, v: p - LR * v, params, velocity)
        return params, velocity, new_state, loss

    Xd, Yd = jnp.asarray(X), jnp.asarray(y.astype(np.int32))
    velocity = jax.tree.map(jnp.zeros_like, params)
    started = time.perf_counter()            # compile once per batch shape, on copies, outside the epochs
    for m in {len(b) for b in batches(X.shape[0], batch, 0)}:
        copies = jax.tree.map(jnp.copy, (params, velocity, state))
        jax.block_until_ready(step(*copies, Xd, Yd, np.arange(m, dtype=np.int32)))
    compile_seconds = time.perf_counter() - started
    times = []
    for epoch in range(epochs):
        started = time.perf_counter()
        for index in batches(X.shape[0], batch, epoch):
            params, velocity, state, loss = step(params, velocity, state, Xd, Yd, index.astype(np.int32))
        jax.block_until_ready(params)
        times.append(time.perf_counter() - started)
    predict_jit = jax.jit(lambda params, state, x: jnp.argmax(forward(params, state, x, False)[0], axis=1))
    Xt_d = jnp.asarray(Xt)
    jax.block_until_ready(predict_jit(params, state, Xt_d))
    inference, predicted = timed_inference(lambda x: np.asarray(predict_jit(params, state, x)), Xt_d)
    kernels = blas_kernels() + [{"internal_api": "xla", "version": jax.__version__,
                                 "architecture": str(jax.devices()[0].device_kind)}]
    return {"epoch_seconds": times, "test_accuracy": float((predicted == yt).mean()),
            "inference_seconds": inference, "peak_rss_mib": peak_rss_mib(), "compile_seconds": compile_seconds,
            "kernels": kernels}


# -- scikit-learn ---------------------------------------------------------------------------------------
def worker_sklearn(config: str, epochs: int, train_limit: int = 0) -> dict:
    import numpy as np
    from sklearn.neural_network import MLPClassifier
    _, dtype, batch = CONFIGS[config]
    X, y, Xt, yt = load_data(dtype, train_limit)
    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, solver="sgd", learning_rate_init=LR, momentum=MOMENTUM,
                        nesterovs_momentum=False, batch_size=batch, alpha=0.0, random_state=SEED)
    times = []
    for _ in range(epochs):
        started = time.perf_counter()
        clf.partial_fit(X, y, classes=np.arange(10))
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    predicted = clf.predict(Xt)
    return {"epoch_seconds": times, "test_accuracy": float((predicted == yt).mean()),
            "inference_seconds": time.perf_counter() - started, "peak_rss_mib": peak_rss_mib(),
            "kernels": blas_kernels()}


def worker_peak(library: str = "numpy") -> dict:
    """A library's matrix-multiply peak here: 2048x2048 float32, median of 10 (``library``: numpy, pytorch, jax).

    The largest of the three bounds every framework's epoch from below: an epoch's products at that
    rate, with nothing else, take ``flops_per_epoch / peak`` seconds."""
    import numpy as np
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    if library == "pytorch":
        import torch
        torch.set_num_threads(len(os.sched_getaffinity(0)))
        ta, tc = torch.from_numpy(a), torch.empty(2048, 2048)
        multiply = lambda: torch.matmul(ta, ta, out=tc)       # noqa: E731
    elif library == "jax":
        import jax
        import jax.numpy as jnp
        ja, product = jnp.asarray(a), jax.jit(lambda x: x @ x)
        multiply = lambda: product(ja).block_until_ready()    # noqa: E731
    else:
        c = np.empty_like(a)
        multiply = lambda: np.matmul(a, a, out=c)             # noqa: E731
    multiply()
    runs = []
    for _ in range(10):
        started = time.perf_counter()
        multiply()
        runs.append(time.perf_counter() - started)
    return {"gflops": 2 * 2048 ** 3 / statistics.median(runs) / 1e9, "kernels": blas_kernels()}


WORKERS = {"mlplab": worker_mlplab, "pytorch": worker_torch, "jax": worker_jax, "sklearn": worker_sklearn}
