"""Suspicious answer pairs (grader.similarity) on realistic NumPy answer cells."""
from __future__ import annotations

import csv
import random
import time
from itertools import combinations

import pytest

from grader.similarity import Pair, fingerprint, own_tokens, similar_pairs, write_similarity, write_similarity_html

STUB_LAF = '''def linear_activation_forward(A_prev, W, b, activation):
    """
    One layer: LINEAR -> ACTIVATION.

    Arguments:
    A_prev -- activations of the previous layer, shape (n[l-1], m)
    W -- weights, shape (n[l], n[l-1])
    b -- biases, shape (n[l], 1)
    activation -- "sigmoid", "relu" or "tanh"

    Returns:
    A -- output of the activation, shape (n[l], m)
    cache -- ((A_prev, W, b), Z), kept for the backward pass
    """
    # YOUR CODE HERE
    raise NotImplementedError()
    return A, cache
'''

STUB_COST = '''def compute_cost(AL, Y):
    """
    Binary cross-entropy cost.

    Arguments:
    AL -- predicted probabilities, shape (1, m)
    Y -- true labels in {0, 1}, shape (1, m)

    Returns:
    cost -- Python float
    """
    # YOUR CODE HERE
    raise NotImplementedError()
    return cost
'''

STUB_LINEAR = '''def linear_forward(A_prev, W, b):
    """
    Linear step of a layer: Z = W A_prev + b.

    Returns:
    Z -- pre-activation, shape (n[l], m)
    cache -- the tuple (A_prev, W, b), kept for the backward pass
    """
    # YOUR CODE HERE
    raise NotImplementedError()
    cache = (A_prev, W, b)
    return Z, cache
'''

# a stub with given lines around the student's: the scaffolding must not count as shared code
STUB_MODEL = '''def model_forward(X, parameters):
    """
    Forward pass [LINEAR -> RELU] * (L-1) -> LINEAR -> SIGMOID.

    Returns:
    AL -- output probabilities, shape (1, m)
    caches -- list of the L caches of linear_activation_forward
    """
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        # YOUR CODE HERE
        raise NotImplementedError()
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches
'''

BOILERPLATE = {"linear_activation_forward": STUB_LAF, "compute_cost": STUB_COST, "linear_forward": STUB_LINEAR,
               "model_forward": STUB_MODEL}
YOUR_CODE = "    # YOUR CODE HERE\n    raise NotImplementedError()\n"


def answer(stub: str, body: str) -> str:
    """The stub with the student's lines in place of ``# YOUR CODE HERE`` / ``raise``."""
    return stub.replace(YOUR_CODE, body)


ANA_LAF = answer(STUB_LAF, '''    Z = W @ A_prev + b
    linear_cache = (A_prev, W, b)
    if activation == "relu":
        A = np.maximum(0, Z)
    elif activation == "sigmoid":
        A = 1 / (1 + np.exp(-Z))
    else:
        A = np.tanh(Z)
    cache = (linear_cache, Z)
''')

# ana's answer with variables renamed, spacing changed and comments added
COPY_LAF = answer(STUB_LAF, '''    # the linear part first
    lin  =  W @ A_prev+b
    lc = (A_prev, W, b)     # keep for backprop
    if activation == 'relu':
        A = np.maximum(0,lin)
    elif activation == 'sigmoid':
        A = 1/(1+np.exp(-lin))   # logistic function

    else:
        A = np.tanh( lin )
    cache = (lc, lin)
''')

# written independently: same maths, another style (np.dot, Z * (Z > 0), other branch order)
BEN_LAF = answer(STUB_LAF, '''    Z = np.dot(W, A_prev) + b
    if activation == "sigmoid":
        A = 1.0 / (1.0 + np.exp(-Z))
    elif activation == "relu":
        A = Z * (Z > 0)
    elif activation == "tanh":
        A = np.tanh(Z)
    cache = ((A_prev, W, b), Z)
''')

ANA_COST = answer(STUB_COST, '''    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    cost = float(np.squeeze(cost))
''')

COPY_COST = answer(STUB_COST, '''    n_examples = Y.shape[1]   # number of examples
    J = -np.sum(Y*np.log(AL) + (1-Y)*np.log(1-AL)) / n_examples
    cost = float(np.squeeze(J))
''')

BEN_COST = answer(STUB_COST, '''    logprobs = np.multiply(np.log(AL), Y) + np.multiply(np.log(1 - AL), 1 - Y)
    cost = float(-np.mean(logprobs))
''')


def test_renamed_reformatted_copy_is_flagged():
    pairs = similar_pairs({"ana": {"compute_cost": ANA_COST}, "zed": {"compute_cost": COPY_COST}}, BOILERPLATE)
    assert pairs == [Pair("compute_cost", "ana", "zed", 1.0)]

    pairs = similar_pairs({"ana": {"linear_activation_forward": ANA_LAF},
                           "zed": {"linear_activation_forward": COPY_LAF}}, BOILERPLATE)
    assert [(p.grade_id, p.student_a, p.student_b) for p in pairs] == [("linear_activation_forward", "ana", "zed")]
    assert pairs[0].similarity > 0.9


def test_independent_answers_in_another_style_are_not_flagged():
    answers = {"ana": {"linear_activation_forward": ANA_LAF, "compute_cost": ANA_COST},
               "ben": {"linear_activation_forward": BEN_LAF, "compute_cost": BEN_COST}}
    assert similar_pairs(answers, BOILERPLATE) == []
    # they do share some code: the measure sees it, below the default threshold
    low = similar_pairs(answers, BOILERPLATE, threshold=0.0)
    assert {p.grade_id for p in low} == {"linear_activation_forward", "compute_cost"}
    assert all(0.0 < p.similarity < 0.8 for p in low)


def test_boilerplate_only_answers_are_never_flagged():
    untouched = STUB_LAF
    raise_removed = STUB_LAF.replace("    raise NotImplementedError()\n", "")
    comment_added = STUB_LAF.replace("# YOUR CODE HERE", "# I don't know how to do this, sorry")
    pass_only = STUB_LAF.replace("raise NotImplementedError()", "pass")
    answers = {name: {"linear_activation_forward": code} for name, code in
               [("u", untouched), ("r", raise_removed), ("c", comment_added), ("p", pass_only),
                ("u2", untouched), ("r2", raise_removed)]}
    assert similar_pairs(answers, BOILERPLATE, threshold=0.0) == []
    # unchanged (comments aside) is skipped even when short answers are allowed
    unchanged = {name: answers[name] for name in ("u", "c", "u2")}
    assert similar_pairs(unchanged, BOILERPLATE, threshold=0.0, min_tokens=0) == []
    # without the boilerplate the same stubs would all match each other
    assert len(similar_pairs(answers, threshold=0.0, min_tokens=0)) == len(list(combinations(answers, 2)))


def test_given_lines_of_the_release_do_not_count():
    indent = "        # YOUR CODE HERE\n        raise NotImplementedError()\n"
    ana = STUB_MODEL.replace(indent, '''        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
''')
    ben = STUB_MODEL.replace(indent, '''        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = W @ A_prev + b
        A = np.maximum(0, Z)
        caches.append(((A_prev, W, b), Z))
''')
    answers = {"ana": {"model_forward": ana}, "ben": {"model_forward": ben}}
    assert similar_pairs(answers, BOILERPLATE, threshold=0.5) == []
    # what the boilerplate removal prevents: the given scaffolding alone makes them look alike
    assert [p.student_b for p in similar_pairs(answers, threshold=0.5)] == ["ben"]


def test_short_answers_are_not_compared():
    # the release gives the cache line; Z = W @ A_prev + b is 7 tokens and everyone writes it so
    one_liner = answer(STUB_LINEAR, "    Z = W @ A_prev + b\n")
    assert own_tokens(one_liner, STUB_LINEAR) == 7
    answers = {"ana": {"linear_forward": one_liner}, "ben": {"linear_forward": one_liner}}
    assert similar_pairs(answers, BOILERPLATE) == []
    assert similar_pairs(answers, BOILERPLATE, min_tokens=7) == [Pair("linear_forward", "ana", "ben", 1.0)]


def test_pairs_are_per_exercise():
    # the same code handed in for two different exercises is not a match
    answers = {"ana": {"compute_cost": ANA_COST}, "ben": {"cost_copy": ANA_COST}}
    assert similar_pairs(answers, BOILERPLATE, threshold=0.0) == []


def test_order_symmetry_and_names():
    answers = {"zoe": {"compute_cost": COPY_COST, "linear_activation_forward": ANA_LAF},
               "adam": {"compute_cost": ANA_COST, "linear_activation_forward": COPY_LAF},
               "mia": {"compute_cost": ANA_COST, "linear_activation_forward": BEN_LAF}}
    pairs = similar_pairs(answers, BOILERPLATE, threshold=0.0)
    assert pairs == sorted(pairs, key=lambda p: (-p.similarity, p.grade_id, p.student_a, p.student_b))
    assert all(p.student_a < p.student_b and 0.0 <= p.similarity <= 1.0 for p in pairs)
    assert [(p.grade_id, p.student_a, p.student_b) for p in pairs[:3]] == [
        ("compute_cost", "adam", "mia"), ("compute_cost", "adam", "zoe"), ("compute_cost", "mia", "zoe")]
    assert pairs[0].similarity == pairs[1].similarity == pairs[2].similarity == 1.0
    # the same answers under other names: the same similarities
    renamed = {{"zoe": "a", "adam": "b", "mia": "c"}[s]: a for s, a in answers.items()}
    assert sorted(p.similarity for p in similar_pairs(renamed, BOILERPLATE, threshold=0.0)) == \
        sorted(p.similarity for p in pairs)


def test_similarity_is_copydetects_compare_files():
    """The fast bitmask comparison gives compare_files' numbers (min of its two directions)."""
    from copydetect import compare_files

    codes = {"ana": ANA_LAF, "copy": COPY_LAF, "ben": BEN_LAF, "cost": ANA_COST, "cost2": BEN_COST}
    answers = {name: {"g": code} for name, code in codes.items()}
    got = {(p.student_a, p.student_b): p.similarity for p in similar_pairs(answers, threshold=0.0)}
    for a, b in combinations(sorted(codes), 2):
        _, (s1, s2), _ = compare_files(fingerprint(codes[a]), fingerprint(codes[b]))
        assert got.get((a, b), 0.0) == pytest.approx(min(s1, s2), abs=1e-12), (a, b)


def test_threshold_is_checked():
    with pytest.raises(ValueError):
        similar_pairs({}, threshold=1.5)
    assert similar_pairs({}) == []


def test_nothing_on_stderr(capfd):
    similar_pairs({"ana": {"compute_cost": ANA_COST}, "zed": {"compute_cost": COPY_COST},
                   "ben": {"compute_cost": BEN_COST}}, BOILERPLATE)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_csv_output(tmp_path):
    pairs = [Pair("compute_cost", "ana", "zed", 1.0), Pair("relu", "b, c", "d", 0.83333)]
    path = tmp_path / "sub" / "similarity.csv"
    write_similarity(pairs, path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [["grade_id", "student_a", "student_b", "similarity"],
                    ["compute_cost", "ana", "zed", "1.000"], ["relu", "b, c", "d", "0.833"]]


def test_html_output_is_escaped_side_by_side(tmp_path):
    evil = "<script>alert(1)</script>"
    code = ANA_COST.replace("m = Y.shape[1]\n", "m = Y.shape[1]  # </pre><script>x</script>\n")
    assert "<script>x" in code
    answers = {evil: {"compute_cost": code}, "zed": {"compute_cost": COPY_COST}}
    pairs = similar_pairs(answers, BOILERPLATE)
    assert len(pairs) == 1
    path = tmp_path / "similarity.html"
    write_similarity_html(pairs, answers, path)
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("<pre>") == 2
    assert "n_examples = Y.shape[1]" in text and "m = Y.shape[1]" in text


def synthetic_class(n: int, seed: int = 0) -> dict[str, dict[str, str]]:
    """``n`` students answering compute_cost in varied ways (names, formulas, conversions)."""
    rng = random.Random(seed)
    answers = {}
    for i in range(n):
        m, loss = rng.choice(["m", "n", "n_ex", "N", "batch"]), rng.choice(["cost", "loss", "J", "total"])
        first = rng.choice([f"{m} = Y.shape[1]", f"{m} = AL.shape[1]", f"{m} = Y.size"])
        formula = rng.choice([
            f"{loss} = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / {m}",
            f"{loss} = -(1 / {m}) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))",
            f"logprobs = np.multiply(np.log(AL), Y) + np.multiply(np.log(1 - AL), 1 - Y)\n    {loss} = -np.sum(logprobs) / {m}",
            f"eps = 1e-12\n    AL = np.clip(AL, eps, 1 - eps)\n    {loss} = -(Y @ np.log(AL).T + (1 - Y) @ np.log(1 - AL).T) / {m}",
            f"{loss} = 0.0\n    for i in range({m}):\n        {loss} -= Y[0, i] * np.log(AL[0, i]) "
            f"+ (1 - Y[0, i]) * np.log(1 - AL[0, i])\n    {loss} /= {m}",
        ])
        last = rng.choice([f"cost = float(np.squeeze({loss}))", f"cost = float({loss})", f"cost = {loss}.item()"])
        answers[f"s{i:03d}"] = {"compute_cost": answer(STUB_COST, f"    {first}\n    {formula}\n    {last}\n")}
    return answers


def test_a_class_of_300_in_reasonable_time():
    answers = synthetic_class(300)
    answers["s001"] = {"compute_cost": COPY_COST}
    answers["s299"] = {"compute_cost": ANA_COST}
    similar_pairs({"a": {"compute_cost": ANA_COST}, "b": {"compute_cost": ANA_COST}}, BOILERPLATE)  # import copydetect
    start = time.perf_counter()
    pairs = similar_pairs(answers, BOILERPLATE)
    elapsed = time.perf_counter() - start
    assert Pair("compute_cost", "s001", "s299", 1.0) in pairs
    assert len({(p.student_a, p.student_b) for p in pairs}) == len(pairs)
    assert elapsed < 60, f"{elapsed:.1f} s for 300 students"  # ~2 s on a laptop; catches a blow-up only
