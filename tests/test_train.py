"""Tests for dlcore.train: accuracy, histories, early stopping, L2, dropout, batch norm, output."""
from __future__ import annotations

import numpy as np
import pytest

from dlcore import data
from dlcore.gradcheck import check_gradients
from dlcore.initialization import initialize_parameters_deep
from dlcore.network import Network, backward_pass, cross_entropy, forward_pass, l2_penalty
from dlcore.regularization import early_stopping
from dlcore.schedules import exponential_decay, learning_rate_decay, schedule_lr_decay
from dlcore.softmax import one_hot
from dlcore.train import TrainResult, train


@pytest.fixture(scope="module")
def moons_data():
    return data.moons(m=300, noise=0.15, seed=1)


@pytest.fixture(scope="module")
def overfit_data():
    """80 noisy training points and 200 dev points: a big network overfits them."""
    X, Y = data.moons(m=280, noise=0.3, seed=0)
    return X[:, :80], Y[:, :80], X[:, 80:], Y[:, 80:]


def norm_of_weights(parameters) -> float:
    return float(sum(np.sum(W**2) for k, W in parameters.items() if k.startswith("W")))


# ------------------------------------------------------------------------ accuracy


def test_adam_fits_moons(moons_data):
    # (Speed is measured by benchmarks/train_step.py, not asserted here.)
    X, Y = moons_data
    result = train(X, Y, [2, 16, 8, 1], optimizer="adam", learning_rate=0.01, num_epochs=300, seed=0)
    assert isinstance(result, TrainResult) and result.task == "binary"
    assert result.history["train_acc"][-1] >= 0.97
    assert result.accuracy(X, Y) == pytest.approx(result.history["train_acc"][-1])
    assert result.history["cost"][-1] < 0.2 * result.history["cost"][0]


def test_adam_fits_flower_which_logistic_regression_cannot():
    X, Y = data.flower(m=400, seed=1)
    network = train(X, Y, [2, 16, 8, 1], learning_rate=0.02, num_epochs=500, seed=0)
    logistic = train(X, Y, [2, 1], learning_rate=0.02, num_epochs=300, seed=0)
    assert network.accuracy(X, Y) >= 0.9
    assert logistic.accuracy(X, Y) <= 0.75


@pytest.mark.parametrize("optimizer, lr", [("gd", 0.3), ("momentum", 0.3), ("rmsprop", 0.01), ("adam", 0.01)])
def test_every_optimizer_learns(moons_data, optimizer, lr):
    X, Y = moons_data
    result = train(X, Y, [2, 8, 1], optimizer=optimizer, learning_rate=lr, num_epochs=150, beta2=0.99, seed=0)
    assert result.history["cost"][-1] < 0.6 * result.history["cost"][0]
    assert result.history["train_acc"][-1] > 0.8


def test_multiclass_softmax_with_one_hot_or_integer_labels():
    X, y = data.spirals(m=300, C=3, seed=1)
    by_labels = train(X, y, [2, 32, 16, 3], learning_rate=0.02, num_epochs=300, seed=0)
    by_one_hot = train(X, one_hot(y, 3), [2, 32, 16, 3], learning_rate=0.02, num_epochs=300, seed=0)
    assert by_labels.task == "multiclass"
    assert by_labels.history == by_one_hot.history
    assert by_labels.history["train_acc"][-1] >= 0.95
    probabilities = by_labels.predict_proba(X)
    assert probabilities.shape == (3, 300) and np.allclose(probabilities.sum(axis=0), 1.0)
    labels = by_labels.predict(X)
    assert labels.shape == (1, 300) and np.issubdtype(labels.dtype, np.integer)
    assert set(np.unique(labels)) <= {0, 1, 2}
    assert np.mean(labels == y) == pytest.approx(by_labels.accuracy(X, y))


def test_binary_predict_returns_zero_one_row(moons_data):
    X, Y = moons_data
    result = train(X, Y, [2, 4, 1], num_epochs=5, seed=0)
    labels = result.predict(X)
    assert labels.shape == (1, X.shape[1]) and set(np.unique(labels)) <= {0, 1}
    assert np.array_equal(labels, (result.predict_proba(X) > 0.5).astype(int))


# ------------------------------------------------------------------------ history


def test_history_lengths_and_keys(moons_data):
    X, Y = moons_data
    plain = train(X, Y, [2, 4, 1], num_epochs=17, seed=0)
    assert set(plain.history) == {"cost", "train_acc", "lr"}
    assert all(len(v) == 17 for v in plain.history.values())
    assert plain.best_epoch is None and plain.stopped_epoch == 16 and not plain.stopped_early

    with_dev = train(X[:, :200], Y[:, :200], [2, 4, 1], num_epochs=13, mini_batch_size=32,
                     X_dev=X[:, 200:], Y_dev=Y[:, 200:], seed=0)
    assert set(with_dev.history) == {"cost", "train_acc", "lr", "dev_cost", "dev_acc"}
    assert all(len(v) == 13 for v in with_dev.history.values())
    dev_costs = with_dev.history["dev_cost"]
    assert with_dev.best_epoch == int(np.argmin(dev_costs))
    assert with_dev.stopped_epoch == 12


def test_same_seed_same_training_other_seed_other_training(moons_data):
    X, Y = moons_data
    kwargs = dict(num_epochs=10, mini_batch_size=64, keep_prob=0.8)
    a = train(X, Y, [2, 8, 1], seed=3, **kwargs)
    b = train(X, Y, [2, 8, 1], rng=np.random.default_rng(3), **kwargs)
    c = train(X, Y, [2, 8, 1], seed=4, **kwargs)
    assert a.history == b.history
    assert all(np.array_equal(a.parameters[k], b.parameters[k]) for k in a.parameters)
    assert a.history["cost"] != c.history["cost"]


def test_global_random_state_untouched(moons_data):
    X, Y = moons_data
    before = np.random.get_state()
    train(X, Y, [2, 8, 1], num_epochs=3, mini_batch_size=50, keep_prob=0.7, batchnorm=True)
    after = np.random.get_state()
    assert np.array_equal(before[1], after[1]) and before[2:] == after[2:]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("learning_rate_decay", lambda e: learning_rate_decay(0.1, e, 0.5)),
        ("schedule_lr_decay", lambda e: schedule_lr_decay(0.1, e, 0.5, 3)),
        ("exponential_decay", lambda e: exponential_decay(0.1, e, 0.5)),
    ],
)
def test_named_learning_rate_schedules(moons_data, name, expected):
    X, Y = moons_data
    result = train(X, Y, [2, 4, 1], learning_rate=0.1, lr_schedule=name, decay_rate=0.5, decay_interval=3,
                   num_epochs=8, seed=0)
    assert result.history["lr"] == [expected(e) for e in range(8)]


def test_callable_schedule_and_constant_rate(moons_data):
    X, Y = moons_data
    result = train(X, Y, [2, 4, 1], lr_schedule=lambda epoch: 0.5**epoch, num_epochs=5, seed=0)
    assert result.history["lr"] == [1.0, 0.5, 0.25, 0.125, 0.0625]
    constant = train(X, Y, [2, 4, 1], learning_rate=0.03, num_epochs=4, seed=0)
    assert constant.history["lr"] == [0.03] * 4


# ----------------------------------------------------------------- early stopping


def test_early_stopping_restores_the_best_parameters(overfit_data):
    X, Y, X_dev, Y_dev = overfit_data
    patience = 10
    result = train(X, Y, [2, 40, 40, 1], learning_rate=0.05, num_epochs=400, X_dev=X_dev, Y_dev=Y_dev,
                   patience=patience, seed=0)
    dev_costs = result.history["dev_cost"]
    assert result.stopped_early and result.stopped_epoch < 399
    assert len(dev_costs) == result.stopped_epoch + 1
    assert result.stopped_epoch - result.best_epoch == patience
    assert result.best_epoch == int(np.argmin(dev_costs))
    assert early_stopping(dev_costs, patience) == (result.stopped_epoch, result.best_epoch)
    # The returned network is the one of the best epoch, not of the last one.
    assert result.cost(X_dev, Y_dev) == pytest.approx(dev_costs[result.best_epoch], rel=1e-12)
    assert result.accuracy(X_dev, Y_dev) == pytest.approx(result.history["dev_acc"][result.best_epoch])
    assert result.cost(X_dev, Y_dev) < dev_costs[-1]


def test_best_parameters_restored_even_without_stopping(overfit_data):
    X, Y, X_dev, Y_dev = overfit_data
    result = train(X, Y, [2, 40, 40, 1], learning_rate=0.05, num_epochs=60, X_dev=X_dev, Y_dev=Y_dev,
                   patience=1000, seed=0)
    assert not result.stopped_early and result.stopped_epoch == 59
    assert result.cost(X_dev, Y_dev) == pytest.approx(result.history["dev_cost"][result.best_epoch], rel=1e-12)


# -------------------------------------------------------------- L2 and dropout


def test_l2_adds_its_penalty_to_the_cost_and_shrinks_the_weights(overfit_data):
    X, Y, _, _ = overfit_data
    dims, lambd, m = [2, 40, 40, 1], 2.0, X.shape[1]
    plain = train(X, Y, dims, learning_rate=0.05, num_epochs=100, seed=0)
    l2 = train(X, Y, dims, learning_rate=0.05, num_epochs=100, lambd=lambd, seed=0)
    # Epoch 0, full batch: same initial weights, so the costs differ by exactly the penalty.
    W0 = initialize_parameters_deep(dims, "he", np.random.default_rng(0))
    penalty = lambd / (2 * m) * norm_of_weights(W0)
    assert l2.history["cost"][0] - plain.history["cost"][0] == pytest.approx(penalty, rel=1e-9)
    assert norm_of_weights(l2.parameters) < 0.5 * norm_of_weights(plain.parameters)
    assert l2.history["train_acc"][-1] < plain.history["train_acc"][-1]


def test_dropout_regularizes_and_keep_prob_one_is_no_dropout(overfit_data):
    X, Y, X_dev, Y_dev = overfit_data
    kwargs = dict(learning_rate=0.05, num_epochs=120, X_dev=X_dev, Y_dev=Y_dev, seed=0)
    plain = train(X, Y, [2, 40, 40, 1], **kwargs)
    keep_all = train(X, Y, [2, 40, 40, 1], keep_prob=1.0, **kwargs)
    dropout = train(X, Y, [2, 40, 40, 1], keep_prob=0.5, **kwargs)
    assert keep_all.history == plain.history
    assert dropout.history["train_acc"][-1] < plain.history["train_acc"][-1]
    assert dropout.history["dev_cost"][-1] < plain.history["dev_cost"][-1]
    # The training cost is measured with the random masks on, so it stays higher.
    assert dropout.history["cost"][-1] > plain.history["cost"][-1]


# ---------------------------------------------------------------------- batch norm


def test_batchnorm_trains_and_predicts_with_running_statistics():
    X, y = data.spirals(m=300, C=3, seed=1)
    result = train(X, y, [2, 32, 16, 3], batchnorm=True, mini_batch_size=64, learning_rate=0.02, num_epochs=80,
                   seed=0)
    assert result.history["train_acc"][-1] >= 0.9
    assert set(result.bn_parameters) == {"gamma1", "beta1", "gamma2", "beta2"}
    assert set(result.bn_running) == {"mean1", "var1", "mean2", "var2"}
    assert not np.allclose(result.bn_parameters["gamma1"], 1.0)
    assert not np.allclose(result.bn_running["mean1"], 0.0)
    # Prediction mode normalises with fixed statistics: an example's output does not
    # depend on the other examples of the batch.
    assert np.allclose(result.predict_proba(X)[:, :5], result.predict_proba(X[:, :5]))
    # The bias of a normalised layer has gradient exactly 0 (batch norm subtracts it again):
    # Adam must not turn rounding noise into steps, so it stays at 0.
    assert np.all(result.parameters["b1"] == 0.0) and np.all(result.parameters["b2"] == 0.0)
    assert not np.all(result.parameters["b3"] == 0.0)


def test_batchnorm_with_every_optimizer(moons_data):
    X, Y = moons_data
    for optimizer in ("gd", "momentum", "rmsprop", "adam"):
        result = train(X, Y, [2, 8, 1], optimizer=optimizer, batchnorm=True, learning_rate=0.05, num_epochs=30,
                       seed=0)
        assert result.history["cost"][-1] < result.history["cost"][0]


@pytest.mark.parametrize("task, dims", [("binary", [3, 5, 4, 1]), ("multiclass", [3, 5, 4, 3])])
def test_backward_matches_finite_differences_with_batchnorm_dropout_and_l2(task, dims):
    rng = np.random.default_rng(7)
    m, keep_prob, lambd = 6, 0.7, 0.3
    X = rng.standard_normal((dims[0], m))
    Y = rng.integers(0, 2, (1, m)).astype(float) if task == "binary" else one_hot(rng.integers(0, 3, m), 3)
    params = initialize_parameters_deep(dims, "he", rng)
    for l in range(1, len(dims) - 1):
        params[f"gamma{l}"] = 1.0 + 0.1 * rng.standard_normal((dims[l], 1))
        params[f"beta{l}"] = 0.1 * rng.standard_normal((dims[l], 1))

    def network(p):
        weights = {k: v for k, v in p.items() if k[0] in "Wb" and k[1:].isdigit()}
        bn = {k: v for k, v in p.items() if k not in weights}
        running = {f"{s}{l}": np.zeros((dims[l], 1)) for l in range(1, len(dims) - 1) for s in ("mean", "var")}
        return Network(weights, task, bn, running)

    def cost(p):
        net = network(p)
        AL, _ = forward_pass(X, net, training=True, keep_prob=keep_prob, rng=np.random.default_rng(1))  # same masks
        return cross_entropy(AL, Y, task) + l2_penalty(net.parameters, lambd, m)

    net = network(params)
    AL, caches = forward_pass(X, net, training=True, keep_prob=keep_prob, rng=np.random.default_rng(1))
    grads, bn_grads = backward_pass(AL, Y, caches, net, keep_prob, lambd)
    report = check_gradients(cost, params, {**grads, **bn_grads}, threshold=1e-6)
    assert report.passed, str(report)


# ------------------------------------------------------------------------ output


def test_silent_by_default_in_tests(moons_data, capsys):
    X, Y = moons_data
    train(X, Y, [2, 4, 1], num_epochs=5, seed=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_print_every_prints_the_costs(moons_data, capsys):
    X, Y = moons_data
    train(X[:, :200], Y[:, :200], [2, 4, 1], num_epochs=25, print_every=10, X_dev=X[:, 200:], Y_dev=Y[:, 200:],
          seed=0)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 0", "epoch 10", "epoch 20", "epoch 24"]
    assert all("cost" in line and "dev_cost" in line for line in lines)


def test_progress_bar_on_request(moons_data, capsys):
    X, Y = moons_data
    train(X, Y, [2, 4, 1], num_epochs=5, progress=True, seed=0)
    captured = capsys.readouterr()
    assert captured.out == "" and "5/5" in captured.err


# ------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(Y=np.array([[0, 2, 1, 0]])), "`Y`"),
        (dict(layer_dims=[3, 4, 1]), "`X`"),
        (dict(layer_dims=[2, 4, 3], Y=np.ones((2, 4))), "`Y`"),
        (dict(layer_dims=[2, 4, 3], Y=np.array([[0, 1, 3, 2]])), "`y`"),
        (dict(Y=np.array([[0, 1, 1]])), "`Y`"),
        (dict(optimizer="sgd"), "`optimizer`"),
        (dict(init="gaussian"), "`init`"),
        (dict(keep_prob=0.0), "`keep_prob`"),
        (dict(lambd=-1.0), "`lambd`"),
        (dict(num_epochs=0), "`num_epochs`"),
        (dict(mini_batch_size=0), "`mini_batch_size`"),
        (dict(patience=3), "`patience`"),
        (dict(X_dev=np.zeros((2, 3))), "`X_dev` and `Y_dev`"),
        (dict(X_dev=np.zeros((3, 3)), Y_dev=np.zeros((1, 3))), "`X_dev`"),
        (dict(lr_schedule="cosine"), "`lr_schedule`"),
        (dict(seed=0, rng=np.random.default_rng(0)), "`rng` or `seed`"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, word):
    args = dict(X=np.zeros((2, 4)), Y=np.array([[0, 1, 1, 0]]), layer_dims=[2, 4, 1], num_epochs=2)
    args.update(kwargs)
    X, Y, dims = args.pop("X"), args.pop("Y"), args.pop("layer_dims")
    with pytest.raises(ValueError, match=word):
        train(X, Y, dims, **args)


# ------------------------------------------------- the fast path agrees with the graded functions


def _reference_training(X, Y, dims, optimizer, lr, epochs, seed, task):
    """Full-batch training written with the public graded functions (new arrays at every step)."""
    from dlcore.model import model_backward, model_forward, update_parameters
    from dlcore.optim import (
        initialize_adam,
        update_parameters_with_adam,
        update_parameters_with_momentum,
        update_parameters_with_rmsprop,
    )
    from dlcore.softmax import model_backward_softmax, model_forward_softmax

    forward, backward = (model_forward, model_backward) if task == "binary" else (model_forward_softmax,
                                                                                 model_backward_softmax)
    p = initialize_parameters_deep(dims, "he", np.random.default_rng(seed))
    v, s = initialize_adam(p)
    for t in range(1, epochs + 1):
        AL, caches = forward(X, p)
        grads = backward(AL, Y, caches)
        if optimizer == "gd":
            p = update_parameters(p, grads, lr)
        elif optimizer == "momentum":
            p, v = update_parameters_with_momentum(p, grads, v, 0.9, lr)
        elif optimizer == "rmsprop":
            p, s = update_parameters_with_rmsprop(p, grads, s, 0.99, lr, 1e-8)
        else:
            p, v, s = update_parameters_with_adam(p, grads, v, s, t, lr, 0.9, 0.99, 1e-8)
    return p


@pytest.mark.parametrize("optimizer, lr", [("gd", 0.3), ("momentum", 0.3), ("rmsprop", 0.01), ("adam", 0.01)])
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_training_loop_matches_the_graded_functions(moons_data, optimizer, lr, task):
    X, Y = moons_data
    dims = [2, 12, 6, 1] if task == "binary" else [2, 12, 6, 2]
    labels = Y if task == "binary" else one_hot(Y.astype(int), 2)
    result = train(X, labels, dims, optimizer=optimizer, learning_rate=lr, num_epochs=25, beta2=0.99, seed=3)
    expected = _reference_training(X, labels, dims, optimizer, lr, 25, 3, task)
    for key, value in expected.items():
        np.testing.assert_allclose(result.parameters[key], value, rtol=1e-12, atol=1e-14, err_msg=key)


@pytest.mark.parametrize("optimizer, beta", [("gd", 0.9), ("momentum", 0.9), ("momentum", 0.0), ("rmsprop", 0.9),
                                             ("adam", 0.8), ("adam", 0.3), ("adam", 0.0)])
def test_flat_optimizer_matches_the_graded_updates_step_by_step(optimizer, beta):
    """The training loop's optimizer (one flat vector for all the parameters, the first moment
    kept as U = a u with gradients multiplied by a, and rescaled now and then) gives the
    parameters and moments of the graded per-layer functions, to rounding, step after step."""
    from dlcore.flat_optimizer import FlatOptimizer, FlatParameters
    from dlcore.model import update_parameters
    from dlcore.optim import (
        initialize_adam,
        update_parameters_with_adam,
        update_parameters_with_momentum,
        update_parameters_with_rmsprop,
    )

    rng = np.random.default_rng(5)
    p = initialize_parameters_deep([4, 3, 2], "he", rng)
    flat = FlatParameters(p)
    ours = FlatOptimizer(optimizer, flat.theta, flat.grad, beta=beta, beta1=beta, beta2=0.95, epsilon=1e-8)
    v, s = initialize_adam(p)
    restarts = 0
    for t in range(1, 201):
        lr = 0.05 / (1 + 0.01 * t)  # a changing learning rate, as with a schedule
        grads = {f"d{k}": rng.standard_normal(w.shape) for k, w in p.items()}
        if optimizer == "gd":
            p = update_parameters(p, grads, lr)
        elif optimizer == "momentum":
            p, v = update_parameters_with_momentum(p, grads, v, beta, lr)
        elif optimizer == "rmsprop":
            p, s = update_parameters_with_rmsprop(p, grads, s, 0.95, lr, 1e-8)
        else:
            p, v, s = update_parameters_with_adam(p, grads, v, s, t, lr, beta, 0.95, 1e-8)
        a = ours.begin_step()
        restarts += t > 1 and a == 1.0
        for key, g in grads.items():
            flat.grad_views[key][...] = a * g
        ours.step(lr)
        for k in p:
            np.testing.assert_allclose(flat.views[k], p[k], rtol=1e-12, atol=1e-14, err_msg=f"{k}, step {t}")
    ours_v, ours_s = (None if m is None else flat.unflatten(m, "d") for m in ours.moments())
    for k in p:
        if ours_v is not None:
            np.testing.assert_allclose(ours_v[f"d{k}"], v[f"d{k}"], rtol=1e-12, atol=1e-14)
        if ours_s is not None:
            np.testing.assert_allclose(ours_s[f"d{k}"], s[f"d{k}"], rtol=1e-12, atol=1e-14)
    if optimizer in ("momentum", "adam"):  # a restarted from 1 (0.9**-132 > 2**20), at every step for beta 0
        assert restarts == 199 if beta == 0.0 else restarts >= 1


def test_optimizer_steps_only_after_begin_step():
    from dlcore.flat_optimizer import FlatOptimizer

    with pytest.raises(RuntimeError, match="begin_step"):
        FlatOptimizer("adam", np.zeros(3), np.zeros(3), 0.9, 0.9, 0.999, 1e-8).step(0.1)


def test_fast_training_step_matches_the_graded_functions_on_a_large_network():
    """A few steps of the benchmark's kind of network (784-64-32-10 here, mini-batches, Adam):
    the same parameters as the graded functions, to 1e-12 relative."""
    from dlcore.optim import initialize_adam, update_parameters_with_adam
    from dlcore.softmax import model_backward_softmax, model_forward_softmax
    from dlcore.train import Trainer, train_step

    rng = np.random.default_rng(0)
    dims = [784, 64, 32, 10]
    X = rng.standard_normal((784, 4 * 64))
    Y = one_hot(rng.integers(0, 10, X.shape[1]), 10)
    p = initialize_parameters_deep(dims, "he", rng)
    trainer = Trainer(Network({k: w.copy() for k, w in p.items()}, "multiclass"), "adam")
    v, s = initialize_adam(p)
    for t in range(1, 9):
        batch = slice(64 * (t % 4), 64 * (t % 4 + 1))
        AL, caches = model_forward_softmax(X[:, batch], p)
        p, v, s = update_parameters_with_adam(p, model_backward_softmax(AL, Y[:, batch], caches), v, s, t, 0.001)
        train_step(X[:, batch], Y[:, batch], trainer, 0.001, 0.0, 1.0, 0.9, rng)
    for k in p:
        np.testing.assert_allclose(trainer.net.parameters[k], p[k], rtol=1e-12, atol=1e-15, err_msg=k)


def test_backward_skips_dA0_and_reuses_its_arrays_between_steps():
    from dlcore.network import Workspace

    X, y = data.spirals(m=50, C=3, seed=0)
    Y = one_hot(y, 3)
    dims = [2, 8, 5, 3]
    net = Network(initialize_parameters_deep(dims, "he", np.random.default_rng(0)), "multiclass")
    workspace = Workspace()
    AL, caches = forward_pass(X, net, training=True, workspace=workspace)
    grads, _ = backward_pass(AL, Y, caches, net, 1.0, 0.0, workspace)
    fresh_AL, fresh_caches = forward_pass(X, net, training=True)
    fresh, _ = backward_pass(fresh_AL, Y, fresh_caches, net, 1.0, 0.0)
    assert set(grads) == {f"d{p}{l}" for l in (1, 2, 3) for p in "Wb"}  # no dA0 (nor any dA)
    for key in grads:
        np.testing.assert_array_equal(grads[key], fresh[key])
    first = {key: grads[key] for key in grads if key.startswith("dW")}
    AL, caches = forward_pass(X, net, training=True, workspace=workspace)
    grads, _ = backward_pass(AL, Y, caches, net, 1.0, 0.0, workspace)
    assert all(grads[key] is first[key] for key in first)  # the same arrays, overwritten


def test_training_leaves_the_callers_arrays_unchanged(moons_data):
    X, Y = moons_data
    X0, Y0 = X.copy(), Y.copy()
    for kwargs in (dict(), dict(mini_batch_size=64, keep_prob=0.8, lambd=0.5), dict(batchnorm=True)):
        result = train(X, Y, [2, 8, 1], num_epochs=3, seed=0, **kwargs)
        result.predict_proba(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)


def test_predict_names_X_with_the_wrong_number_of_rows(moons_data):
    X, Y = moons_data
    result = train(X, Y, [2, 4, 1], num_epochs=2, seed=0)
    with pytest.raises(ValueError, match="`X` must have 2 rows"):
        result.predict(np.zeros((3, 5)))


def test_bad_optimizer_settings_are_named():
    X, Y = np.zeros((2, 4)), np.array([[0, 1, 1, 0]])
    with pytest.raises(ValueError, match="`beta1`"):
        train(X, Y, [2, 3, 1], optimizer="adam", beta1=1.0, num_epochs=1)
    with pytest.raises(ValueError, match="`beta2`"):
        train(X, Y, [2, 3, 1], optimizer="rmsprop", beta2=-0.1, num_epochs=1)
    with pytest.raises(ValueError, match="`epsilon`"):
        train(X, Y, [2, 3, 1], optimizer="adam", epsilon=0.0, num_epochs=1)
    with pytest.raises(ValueError, match="`beta`"):
        train(X, Y, [2, 3, 1], optimizer="momentum", beta=1.5, num_epochs=1)


def test_cross_entropy_is_that_of_dlcore_losses():
    from dlcore.losses import compute_cost
    from dlcore.softmax import softmax, softmax_cross_entropy

    rng = np.random.default_rng(2)
    AL = rng.uniform(0, 1, (1, 30))
    AL[0, :3] = [0.0, 1.0, 1.0]
    Y = (rng.random((1, 30)) < 0.5).astype(float)
    Y[0, :3] = [1.0, 0.0, 1.0]
    clipped = np.clip(AL, 1e-15, 1 - 1e-15)
    assert cross_entropy(AL, Y, "binary") == compute_cost(clipped, Y)
    P = softmax(3 * rng.standard_normal((4, 30)))
    Yc = one_hot(rng.integers(0, 4, 30), 4)
    assert cross_entropy(P, Yc, "multiclass") == softmax_cross_entropy(np.clip(P, 1e-15, 1 - 1e-15), Yc)


# ------------------------------------------------------- the public loop (dlcore.train.run_epochs)


def test_run_epochs_is_the_loop_of_train_and_its_hooks_stop_it():
    from dlcore.train import Trainer, run_epochs

    X, Y = data.moons(m=120, noise=0.2, seed=0)
    dims = [2, 8, 1]
    reference = train(X, Y, dims, optimizer="adam", learning_rate=0.01, num_epochs=30, seed=4, progress=False)
    rng = np.random.default_rng(4)
    trainer = Trainer(Network.create(initialize_parameters_deep(dims, "he", rng), "binary"), "adam")
    seen = []
    costs, diverged = run_epochs(trainer, X, Y.astype(np.float64), 30, learning_rate=0.01,
                                 on_epoch=lambda epoch, cost, lr: seen.append((epoch, cost, lr)))
    assert not diverged and costs.shape == (30,)
    assert [c for _, c, _ in seen] == costs.tolist() == reference.history["cost"]
    for key, value in reference.parameters.items():
        np.testing.assert_array_equal(trainer.net.parameters[key], value)

    trainer = Trainer(Network.create(initialize_parameters_deep(dims, "he", rng), "binary"), "gd")
    costs, diverged = run_epochs(trainer, X, Y.astype(np.float64), 30, learning_rate=lambda epoch: 0.1,
                                 on_epoch=lambda epoch, cost, lr: epoch == 4)
    assert not diverged and trainer.optimizer.t == 5
    assert np.isfinite(costs[:5]).all() and np.isnan(costs[5:]).all()


def test_run_epochs_stops_at_divergence_before_updating():
    from dlcore.train import Trainer, run_epochs

    X, Y = data.moons(m=60, seed=0)
    trainer = Trainer(Network.create(initialize_parameters_deep([2, 8, 1], "he", np.random.default_rng(0)),
                                     "binary"), "gd")
    seen = []
    with np.errstate(all="ignore"):
        costs, diverged = run_epochs(trainer, X, Y.astype(np.float64), 50, learning_rate=1e100,
                                     stop_on_divergence=True, on_epoch=lambda epoch, cost, lr: seen.append(epoch))
    assert diverged
    stop = trainer.optimizer.t  # the updates made: none for the step that found the output not finite
    assert 0 < stop < 50 and seen == list(range(stop))
    assert np.isfinite(costs[:stop]).all() and np.isnan(costs[stop:]).all()


def test_network_create_and_trainer_check_their_arguments():
    from dlcore.train import Trainer

    p = initialize_parameters_deep([3, 4, 2], "he", np.random.default_rng(0))
    net = Network.create(p, "multiclass", batchnorm=True)
    assert net.L == 2 and net.parameters["W1"] is not p["W1"]
    np.testing.assert_array_equal(net.bn_parameters["gamma1"], np.ones((4, 1)))
    np.testing.assert_array_equal(net.bn_running["var1"], np.ones((4, 1)))
    assert sorted(net.bn_parameters) == ["beta1", "gamma1"] and sorted(net.bn_running) == ["mean1", "var1"]
    with pytest.raises(ValueError, match="`task`"):
        Network.create(p, "regression")
    with pytest.raises(ValueError, match="`optimizer`"):
        Trainer(Network.create(p, "multiclass"), "sgd")
    with pytest.raises(ValueError, match="`beta1`"):
        Trainer(Network.create(p, "multiclass"), "adam", beta1=1.0)
