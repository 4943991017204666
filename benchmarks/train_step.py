"""Time one training step of dlcore against the bare matrix products of the same step.

The network is the MLP 784-512-256-10 (ReLU hidden layers, softmax output) on a batch of
256 float64 examples, trained with Adam. Two ways of taking a step are timed:

* **the training loop** (:mod:`dlcore.train`, what :func:`dlcore.train.train` and the
  sliders that retrain a network run): forward, backward without ``dA0`` (the gradient
  with respect to the inputs, which training does not use), in-place Adam update of all
  the parameters at once, held in one flat vector;
* **the graded functions** (:func:`dlcore.softmax.model_forward_softmax`,
  :func:`dlcore.softmax.model_backward_softmax`,
  :func:`dlcore.optim.update_parameters_with_adam`): the course's API, which returns
  ``dA0`` and new arrays at every step. For information; it has no target.

The "BLAS floor" is a step reduced to its matrix products, measured in the same run:
the 3 forward products and the 5 backward products of training (``dW3, dA2, dW2, dA1,
dW1``), and for the graded functions the same plus ``dA0 = W1^T dZ1``. They have the
shapes, dtype (float64) and memory layouts of the step's (``X^T``, ``A^T`` and ``W^T`` are
transposed views, as there), and each writes into an array allocated once, as the
training loop does. Everything else the step does counts against it, the row sums that
give ``db`` included (the training loop computes them as matrix-vector products). Each
ratio is taken against the floor that does the same products.

BLAS threads: the step's element-wise work (activations, Adam) runs on one core, its
matrix products on as many threads as BLAS uses; both variants run in this one process,
so the floor always uses the same number of threads as the step. By default the script
sets ``OPENBLAS_NUM_THREADS`` (and ``OMP_``/``MKL_NUM_THREADS``) to 1 before NumPy loads
(``--threads N`` to change; an ``OPENBLAS_NUM_THREADS`` already set in the environment is
kept), which also makes the figures steadier on a shared machine. ``--cpu K`` pins the
process to CPU K (as ``taskset -c K`` does).

The variants are interleaved round by round, so that a busy machine slows them all
alike; each round's ratio compares neighbouring measurements, and the median over the
rounds is reported. On a machine shared with other work the figures still swing by a few
hundredths from run to run (more with several BLAS threads, which compete with the other
processes): repeat, and compare medians.

Run: ``.venv/bin/python benchmarks/train_step.py [--rounds R] [--steps N] [--threads T] [--cpu K] [--json]``.
Target: training loop <= 1.25 x floor.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _blas_threads(argv: list[str]) -> str:
    """The number of BLAS threads asked for: ``--threads``, else $OPENBLAS_NUM_THREADS, else 1."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return os.environ.get("OPENBLAS_NUM_THREADS", "1")


if __name__ == "__main__":  # before NumPy loads OpenBLAS, which reads these once
    for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_variable] = _blas_threads(sys.argv[1:])

import numpy as np  # noqa: E402

from dlcore.initialization import initialize_parameters_deep  # noqa: E402
from dlcore.network import Network  # noqa: E402
from dlcore.optim import initialize_adam, update_parameters_with_adam  # noqa: E402
from dlcore.softmax import model_backward_softmax, model_forward_softmax, one_hot  # noqa: E402
from dlcore.train import Trainer, train_step  # noqa: E402

LAYER_DIMS = [784, 512, 256, 10]
BATCH = 256
TARGET = 1.25  # training loop / floor
BUSY = 1.3  # median floor / best floor above which the machine counts as busy


def make_problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((LAYER_DIMS[0], BATCH))
    Y = one_hot(rng.integers(0, LAYER_DIMS[-1], BATCH), LAYER_DIMS[-1])
    parameters = initialize_parameters_deep(LAYER_DIMS, "he", rng)
    return X, Y, parameters


def training_loop_step(X, Y, parameters, learning_rate: float = 0.001):
    """A function taking one step of :mod:`dlcore.train`'s loop (its state kept between calls)."""
    net = Network({k: v.copy() for k, v in parameters.items()}, "multiclass")
    trainer = Trainer(net, "adam", beta1=0.9, beta2=0.999, epsilon=1e-8)
    rng = np.random.default_rng(0)
    return lambda: train_step(X, Y, trainer, learning_rate, 0.0, 1.0, 0.9, rng)


def graded_functions_step(X, Y, parameters, learning_rate: float = 0.001):
    """A function taking one step with the graded functions (new dicts and arrays at every step)."""
    v, s = initialize_adam(parameters)
    state = [parameters, v, s, 0]

    def step():
        parameters, v, s, t = state
        AL, caches = model_forward_softmax(X, parameters)
        grads = model_backward_softmax(AL, Y, caches)
        state[:] = [*update_parameters_with_adam(parameters, grads, v, s, t + 1, learning_rate), t + 1]

    return step


def matmul_floor(X, dZ, p, with_dA0: bool):
    """A function doing only the matrix products of the step (dZ stands in for the backward signals).

    The products of :func:`dlcore.network.forward_pass` and :func:`dlcore.network.backward_pass` (and
    with ``with_dA0`` the graded functions' ``dA0``), with the same operands (the
    transposes are views, as there), each written into an array allocated here once (the
    training loop reuses its arrays from one step to the next).
    """
    W1, W2, W3 = p["W1"], p["W2"], p["W3"]
    dZ3, dZ2, dZ1 = dZ
    m = X.shape[1]
    out = {name: np.empty(shape) for name, shape in [
        ("A1", (W1.shape[0], m)), ("A2", (W2.shape[0], m)), ("A3", (W3.shape[0], m)),
        ("dW3", W3.shape), ("dA2", (W3.shape[1], m)), ("dW2", W2.shape), ("dA1", (W2.shape[1], m)),
        ("dW1", W1.shape), ("dA0", (W1.shape[1], m))]}

    def products():
        A1 = np.matmul(W1, X, out=out["A1"])
        A2 = np.matmul(W2, A1, out=out["A2"])
        np.matmul(W3, A2, out=out["A3"])
        np.matmul(dZ3, A2.T, out=out["dW3"])
        np.matmul(W3.T, dZ3, out=out["dA2"])
        np.matmul(dZ2, A1.T, out=out["dW2"])
        np.matmul(W2.T, dZ2, out=out["dA1"])
        np.matmul(dZ1, X.T, out=out["dW1"])
        if with_dA0:
            np.matmul(W1.T, dZ1, out=out["dA0"])

    return products


def block_time(fn, repeats: int) -> float:
    """Mean time of ``repeats`` consecutive calls."""
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def measure(variants: dict, rounds: int, steps: int) -> dict[str, np.ndarray]:
    """Per variant, the mean step time of each round (``steps`` consecutive calls), rounds interleaved."""
    for fn in variants.values():  # warm up BLAS threads, caches and the allocator
        for _ in range(3):
            fn()
    samples = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            samples[name].append(block_time(fn, steps))
    return {name: np.array(t) for name, t in samples.items()}


def _median_index(values: np.ndarray) -> int:
    """Index of the median value (the lower middle one for an even count)."""
    return int(np.argsort(values)[(len(values) - 1) // 2])


def run(rounds: int, steps: int) -> dict:
    X, Y, parameters = make_problem()
    rng = np.random.default_rng(1)
    dZ = (rng.standard_normal((10, BATCH)), rng.standard_normal((256, BATCH)), rng.standard_normal((512, BATCH)))
    variants = {
        "training loop": training_loop_step(X, Y, parameters),
        "floor (training products)": matmul_floor(X, dZ, parameters, with_dA0=False),
        "graded functions": graded_functions_step(X, Y, parameters),
        "floor (+ dA0)": matmul_floor(X, dZ, parameters, with_dA0=True),
    }
    t = measure(variants, rounds, steps)
    ratios = t["training loop"] / t["floor (training products)"]
    ratios_graded = t["graded functions"] / t["floor (+ dA0)"]
    mid, mid_graded = _median_index(ratios), _median_index(ratios_graded)
    return {
        "median_ms": {name: float(np.median(v) * 1e3) for name, v in t.items()},
        # the times of the round whose ratio is the median one, shown next to that ratio
        "median_round_ms": {"training loop": float(t["training loop"][mid] * 1e3),
                            "floor (training products)": float(t["floor (training products)"][mid] * 1e3),
                            "graded functions": float(t["graded functions"][mid_graded] * 1e3),
                            "floor (+ dA0)": float(t["floor (+ dA0)"][mid_graded] * 1e3)},
        "ratio": float(np.median(ratios)),
        "ratio_graded": float(np.median(ratios_graded)),
        # A median floor well above the best round means other processes took the CPUs
        # (two BLAS threads that wait for each other slow down many-fold): not judged then.
        "spread": float(np.median(t["floor (training products)"]) / np.min(t["floor (training products)"])),
        "best_ratio": float(np.min(t["training loop"]) / np.min(t["floor (training products)"])),
        "rounds": rounds,
        "steps": steps,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    }


def rows(result: dict) -> list[dict]:
    """The figures as rows of the table of ``benchmarks/bench.py``."""
    ms = result["median_round_ms"]
    net = f"{'-'.join(map(str, LAYER_DIMS))}, batch {BATCH}, Adam, {result['blas_threads']} BLAS thread(s)"
    busy = result["spread"] > BUSY
    value = (f"{result['ratio']:.2f} x floor (median round: {ms['training loop']:.1f} ms vs "
             f"{ms['floor (training products)']:.1f} ms)")
    if busy:
        value += f"; machine busy (median floor {result['spread']:.1f} x its best round): not judged"
    return [
        {"section": "training step", "row": f"training loop (dlcore.train), {net}", "value": value,
         "target": f"<= {TARGET:g} x floor", "ok": None if busy else result["ratio"] <= TARGET},
        {"section": "training step", "row": "graded functions step (returns dA0, new arrays), same network",
         "value": f"{result['ratio_graded']:.2f} x floor with dA0 (median round: {ms['graded functions']:.1f} ms vs "
                  f"{ms['floor (+ dA0)']:.1f} ms)" + ("; machine busy" if busy else ""),
         "target": "none (for information)", "ok": None},
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds; the median round is reported")
    parser.add_argument("--steps", type=int, default=5, help="consecutive steps of each variant per round")
    parser.add_argument("--threads", default=None,
                        help="BLAS threads for the step and the floor alike (default: $OPENBLAS_NUM_THREADS, else 1); "
                             "read when the script starts, before NumPy loads")
    parser.add_argument("--cpu", type=int, default=None, help="pin the process to this CPU (as taskset -c does)")
    parser.add_argument("--json", action="store_true", help="print the rows of benchmarks/bench.py's table as JSON")
    args = parser.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    result = run(args.rounds, args.steps)
    if args.json:
        print(json.dumps(rows(result)))
        return 0
    print(f"MLP {'-'.join(map(str, LAYER_DIMS))}, batch {BATCH}, float64, Adam; "
          f"median of {args.rounds} rounds of {args.steps} steps; BLAS threads: {result['blas_threads']}"
          + ("" if args.cpu is None else f"; pinned to CPU {args.cpu}"))
    for name, t in result["median_ms"].items():
        print(f"  {name:28s} {t:8.2f} ms")
    print(f"  ratio training loop / floor      {result['ratio']:6.2f}   (target <= {TARGET:g})")
    print(f"  ratio graded functions / floor   {result['ratio_graded']:6.2f}   (floor with dA0; no target)")
    print(f"  ratio of the best rounds         {result['best_ratio']:6.2f}")
    print(f"  training steps per second        {1e3 / result['median_ms']['training loop']:6.1f}")
    if result["spread"] > BUSY:
        print(f"  machine busy: the median floor is {result['spread']:.1f} x its best round; the ratio is not reliable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
