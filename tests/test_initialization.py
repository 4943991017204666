"""Tests of dlcore.initialization: shapes, weight statistics, determinism, global state."""
import numpy as np
import pytest

from dlcore.initialization import initialize_parameters, initialize_parameters_deep

METHODS = ["zeros", "random", "xavier", "he", "lecun"]
BIG = [400, 300, 500]  # 120k and 150k weights: variance estimates within ~0.5%


def _expected_variance(method, n_in, n_out):
    return {"random": 1e-4, "xavier": 2.0 / (n_in + n_out), "he": 2.0 / n_in, "lecun": 1.0 / n_in}[method]


def _global_state_equal(a, b):
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


@pytest.mark.parametrize("dims", [[2, 3, 1], [5, 4, 4, 2], [1, 1]])
@pytest.mark.parametrize("method", METHODS)
def test_shapes_dtype_and_zero_biases(dims, method):
    p = initialize_parameters_deep(dims, method, np.random.default_rng(0))
    assert set(p) == {f"{k}{l}" for l in range(1, len(dims)) for k in "Wb"}
    for l in range(1, len(dims)):
        assert p[f"W{l}"].shape == (dims[l], dims[l - 1]) and p[f"W{l}"].dtype == np.float64
        assert p[f"b{l}"].shape == (dims[l], 1) and p[f"b{l}"].dtype == np.float64
        np.testing.assert_array_equal(p[f"b{l}"], 0.0)


def test_initialize_parameters_std_is_0_01():
    p = initialize_parameters(BIG, np.random.default_rng(1))
    for l in (1, 2):
        W = p[f"W{l}"]
        assert abs(W.mean()) < 5 * 0.01 / np.sqrt(W.size)
        assert W.std() == pytest.approx(0.01, rel=0.02)
        np.testing.assert_array_equal(p[f"b{l}"], 0.0)
    # small weights, but not all equal: symmetry is broken
    assert np.unique(p["W1"]).size == p["W1"].size


@pytest.mark.parametrize("method", ["random", "xavier", "he", "lecun"])
def test_deep_weight_variances(method):
    p = initialize_parameters_deep(BIG, method, np.random.default_rng(2))
    for l in (1, 2):
        n_in, n_out = BIG[l - 1], BIG[l]
        W = p[f"W{l}"]
        want = _expected_variance(method, n_in, n_out)
        assert W.var() == pytest.approx(want, rel=0.03), f"W{l}"
        assert abs(W.mean()) < 5 * np.sqrt(want / W.size)


def test_methods_differ_as_specified():
    """The variance formulas are told apart on a layer with n_in != n_out."""
    dims = [800, 200]
    v = {m: initialize_parameters_deep(dims, m, np.random.default_rng(3))["W1"].var() for m in ("xavier", "he", "lecun")}
    assert v["he"] / v["lecun"] == pytest.approx(2.0, rel=0.03)
    assert v["xavier"] / v["lecun"] == pytest.approx(2 * 800 / 1000, rel=0.03)


def test_zeros_method():
    p = initialize_parameters_deep([4, 3, 2], "zeros", np.random.default_rng(4))
    for v in p.values():
        np.testing.assert_array_equal(v, 0.0)


@pytest.mark.parametrize("method", METHODS)
def test_deterministic_per_seed_and_global_state_untouched(method):
    np.random.seed(12345)
    state = np.random.get_state()
    a = initialize_parameters_deep([6, 5, 3], method, np.random.default_rng(7))
    b = initialize_parameters_deep([6, 5, 3], method, np.random.default_rng(7))
    c = initialize_parameters_deep([6, 5, 3], method, np.random.default_rng(8))
    assert _global_state_equal(state, np.random.get_state())
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    if method != "zeros":
        assert not np.array_equal(a["W1"], c["W1"])


def test_initialize_parameters_deterministic_and_global_state_untouched():
    state = np.random.get_state()
    a = initialize_parameters([3, 2, 1], np.random.default_rng(5))
    b = initialize_parameters([3, 2, 1], np.random.default_rng(5))
    assert _global_state_equal(state, np.random.get_state())
    np.testing.assert_array_equal(a["W1"], b["W1"])
    np.testing.assert_array_equal(a["W2"], b["W2"])


def test_layer_dims_not_modified():
    dims = [3, 2, 1]
    initialize_parameters(dims, np.random.default_rng(0))
    assert dims == [3, 2, 1]


# --- bad arguments ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [[3], [], [3, 0, 1], [3, -2], [2.5, 1], "abc", None])
def test_bad_layer_dims(bad):
    with pytest.raises(ValueError, match="`layer_dims`"):
        initialize_parameters(bad, np.random.default_rng(0))


@pytest.mark.parametrize("bad", ["glorot", "He", None])
def test_bad_method(bad):
    with pytest.raises(ValueError, match="`method`"):
        initialize_parameters_deep([2, 1], bad, np.random.default_rng(0))


@pytest.mark.parametrize("bad", [0, None, np.random, np.random.RandomState(0)])
def test_rng_must_be_a_generator(bad):
    with pytest.raises(ValueError, match="`rng`"):
        initialize_parameters([2, 1], bad)
    with pytest.raises(ValueError, match="`rng`"):
        initialize_parameters_deep([2, 1], "he", bad)
