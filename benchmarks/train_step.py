"""Time one training step of dlcore against the bare matrix products of the same step.

The network is the MLP 784-512-256-10 (ReLU hidden layers, softmax output) on a batch of
256 float64 examples. One step is: forward (:func:`dlcore.softmax.model_forward_softmax`),
backward (:func:`dlcore.softmax.model_backward_softmax`, built on
:func:`dlcore.layers.linear_backward` and :func:`dlcore.layers.linear_activation_backward`)
and an Adam update (:func:`dlcore.optim.update_parameters_with_adam`).

The "BLAS floor" is the same step reduced to its matrix products, measured in the same
run: the 3 forward products and the backward products. dlcore's ``linear_backward``
also returns ``dA0``, the gradient with respect to the input X (the course's API), which
a training step does not need; the floor is reported with and without that product, and
the ratio is taken against the floor that does the same products as dlcore.

Like the course's API, dlcore's update functions return new arrays at every step. With
glibc's default settings, freeing the previous step's large arrays hands the memory back
to the system, and the next step pays page faults to get it again (about 3 ms here). The
benchmark therefore measures twice: with the default allocator, then with glibc's
trimming and mmap thresholds raised (``mallopt``, the same as setting
``MALLOC_TRIM_THRESHOLD_`` / ``MALLOC_MMAP_THRESHOLD_``), which removes that cost.

On a busy machine the two BLAS threads compete with other processes and every figure
swings widely; ``OPENBLAS_NUM_THREADS=1`` gives steadier numbers.

Run: ``.venv/bin/python benchmarks/train_step.py [--rounds R] [--steps N]``. Target: ratio <= 1.5.
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import time

import numpy as np

from dlcore.initialization import initialize_parameters_deep
from dlcore.optim import initialize_adam, update_parameters_with_adam
from dlcore.softmax import model_backward_softmax, model_forward_softmax, one_hot

LAYER_DIMS = [784, 512, 256, 10]
BATCH = 256


def make_problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((LAYER_DIMS[0], BATCH))
    Y = one_hot(rng.integers(0, LAYER_DIMS[-1], BATCH), LAYER_DIMS[-1])
    parameters = initialize_parameters_deep(LAYER_DIMS, "he", rng)
    return X, Y, parameters


def dlcore_step(X, Y, state):
    """One step with the dlcore functions; ``state`` = [parameters, v, s, t]."""
    parameters, v, s, t = state
    AL, caches = model_forward_softmax(X, parameters)
    grads = model_backward_softmax(AL, Y, caches)
    parameters, v, s = update_parameters_with_adam(parameters, grads, v, s, t + 1, 0.001)
    state[:] = [parameters, v, s, t + 1]


def matmul_floor(X, dZ, p, with_dA0: bool):
    """Only the matrix products of the step (dZ stands in for the backward signals)."""
    W1, W2, W3 = p["W1"], p["W2"], p["W3"]
    A1 = W1 @ X
    A2 = W2 @ A1
    W3 @ A2
    dZ3, dZ2, dZ1 = dZ
    dZ3 @ A2.T
    W3.T @ dZ3
    dZ2 @ A1.T
    W2.T @ dZ2
    dZ1 @ X.T
    if with_dA0:
        W1.T @ dZ1


def block_time(fn, repeats: int) -> float:
    """Mean time of ``repeats`` consecutive calls."""
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory (no trimming, large blocks from the heap); False if not glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        return bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)) and bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20))
    except (OSError, AttributeError):
        return False


def measure(variants: dict, rounds: int, steps: int) -> dict[str, float]:
    """Median over rounds of the mean time of ``steps`` consecutive calls of each variant."""
    for fn in variants.values():  # warm up BLAS threads and the allocator
        for _ in range(3):
            fn()
    # The variants are interleaved round by round, so that a busy machine slows them all alike.
    samples = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            samples[name].append(block_time(fn, steps))
    return {name: float(np.median(t)) for name, t in samples.items()}


def report(title: str, medians: dict[str, float]) -> None:
    step = medians["dlcore step"]
    floor = medians["floor (same products as dlcore)"]
    floor_min = medians["floor (without dA0)"]
    print(title)
    for name, t in medians.items():
        print(f"  {name:34s} {t * 1e3:8.2f} ms")
    print(f"  ratio dlcore / floor               {step / floor:8.2f}   (target <= 1.5)")
    print(f"  ratio dlcore / floor without dA0   {step / floor_min:8.2f}")
    print(f"  dlcore steps per second            {1.0 / step:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds; the median round is reported")
    parser.add_argument("--steps", type=int, default=5, help="consecutive steps of each variant per round")
    args = parser.parse_args()

    X, Y, parameters = make_problem()
    v, s = initialize_adam(parameters)
    state = [parameters, v, s, 0]
    rng = np.random.default_rng(1)
    dZ = (rng.standard_normal((10, BATCH)), rng.standard_normal((256, BATCH)), rng.standard_normal((512, BATCH)))

    variants = {
        "dlcore step": lambda: dlcore_step(X, Y, state),
        "floor (same products as dlcore)": lambda: matmul_floor(X, dZ, parameters, with_dA0=True),
        "floor (without dA0)": lambda: matmul_floor(X, dZ, parameters, with_dA0=False),
    }
    print(f"MLP {'-'.join(map(str, LAYER_DIMS))}, batch {BATCH}, float64, Adam; "
          f"median of {args.rounds} rounds of {args.steps} steps")
    report("default allocator:", measure(variants, args.rounds, args.steps))
    if keep_freed_memory():
        report("glibc keeps freed memory (no page faults from reallocation):",
               measure(variants, args.rounds, args.steps))


if __name__ == "__main__":
    main()
