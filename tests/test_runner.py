"""The runner package (dlcore/checks/runner): what the sandbox mounts alone, and its codec,
which must refuse malformed or oversized input with a WireError before allocating."""
from __future__ import annotations

import ast
import json
import os
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from dlcore.checks import runner
from dlcore.checks.runner import WireError, decode, encode

RUNNER = Path(runner.__file__).resolve().parent


def _imports(path: Path) -> list[tuple[str, int]]:
    """(module, level) of every import statement of a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


def test_the_runner_imports_only_the_standard_library_numpy_and_itself():
    modules = sorted(RUNNER.glob("*.py"))
    assert {m.name for m in modules} >= {"__init__.py", "__main__.py", "codec.py", "calls.py", "serve.py", "zygote.py"}
    for module in modules:
        for name, level in _imports(module):
            root = name.split(".")[0]
            ok = level > 0 or root in sys.stdlib_module_names or root == "numpy" or name == "__future__"
            assert ok, f"{module.name} imports {name!r}: the runner may use only the standard library, NumPy and itself"


def test_the_runner_starts_with_only_its_folder_and_numpy_importable(tmp_path):
    (tmp_path / "runner").symlink_to(RUNNER)
    numpy_home = str(Path(np.__file__).resolve().parent.parent)
    code = ("import runner, runner.zygote, runner.serve, runner.__main__\n"
            "try:\n    import dlcore\nexcept ImportError:\n    print('no dlcore')\n")
    run = subprocess.run([sys.executable, "-P", "-s", "-S", "-B", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{numpy_home}", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "no dlcore"


def _frame(header, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<I", len(raw)) + raw + data


@pytest.mark.parametrize("header", [
    {"~a": 0, "dtype": "<f8", "shape": 5},                     # a shape that is not a list
    {"~a": 0, "dtype": "<f8", "shape": [2, -1]},               # a negative dimension
    {"~a": 0, "dtype": "<f8", "shape": [10**6, 10**6]},        # far more than the bytes present
    {"~a": 0, "dtype": "(2,)f8", "shape": [1]},                # a sub-array dtype
    {"~a": 0, "dtype": "O", "shape": [1]},
    {"~a": "x", "dtype": "<f8", "shape": [0]},
    {"~s": {"~a": 0, "dtype": "<f8", "shape": [0]}},          # a scalar of no element
    {"~d": [[1]]}, {"~d": 5}, {"~t": 3}, {"~c": [[], 1]}, {"~c": 1},
    {"~rng": {"~d": [["bit_generator", "MT19937"]]}},
    {"~fn": "smooth", "params": {"~d": [["seed", 1], ["shape", {"~t": [100000, 100000]}]]}},
    {"~fn": "smooth", "params": {"~d": [["seed", "x"], ["shape", 3]]}},
    {"~fn": "smooth", "params": {"~d": [["nope", 1]]}},
    {"~fn": "unknown", "params": {"~d": []}},
    {"~big": "9" * 5000}, {"~f": "nan?"}, {"other": 1}, {},
])
def test_a_malformed_message_is_a_wire_error_only(header):
    with pytest.raises(WireError):
        decode(_frame(header))


def test_deep_nesting_and_garbage_are_wire_errors():
    with pytest.raises(WireError):
        decode(_frame(json.loads("[" * 900 + "]" * 900)))
    raw = b"[" * 100_000
    with pytest.raises(WireError):
        decode(struct.pack("<I", len(raw)) + raw)
    rng = np.random.default_rng(0)
    good = encode({"a": np.arange(6.0).reshape(2, 3), "b": (1, "x", [2.5, None]), "c": np.random.default_rng(1)})
    for _ in range(300):  # random corruptions: WireError or a value, never another exception
        bad = bytearray(good)
        for i in rng.integers(0, len(bad), 3):
            bad[i] = int(rng.integers(0, 256))
        try:
            decode(bytes(bad))
        except WireError:
            pass


def test_sizes_are_refused_before_anything_is_allocated():
    tracemalloc.start()
    try:
        for header in ({"~fn": "smooth", "params": {"~d": [["seed", 1], ["shape", {"~t": [4096, 4096, 16]}]]}},
                       {"~a": 0, "dtype": "<U100000000", "shape": [100]}):
            with pytest.raises(WireError):
                decode(_frame(header))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"decoding refused input allocated {peak} bytes"
    with pytest.raises(WireError, match="too many items"):
        encode([[] for _ in range(runner.MAX_HEADER // 2)])
    with pytest.raises(WireError, match="refused"):
        runner.length(struct.pack("<I", 2**20 + 1), 2**20)


def test_a_named_function_crosses_and_plain_data_round_trips():
    value = {"f": runner.Fn("smooth", seed=3, shape=(2, 3)), "x": np.float32(1.5), "z": 1 + 2j, "n": 2**70,
             "inf": float("inf"), "t": (np.arange(3, dtype=np.int8), "s")}
    back = decode(encode(value))
    x = np.linspace(0, 1, 6).reshape(2, 3)
    assert back["f"](x) == value["f"](x)
    assert back["x"] == np.float32(1.5) and back["z"] == 1 + 2j and back["n"] == 2**70 and back["inf"] == float("inf")
    assert np.array_equal(back["t"][0], np.arange(3, dtype=np.int8)) and back["t"][1] == "s"
