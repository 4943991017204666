"""Tamper scan: student code cells that reach into the grading machinery.

Reported to the instructor (stderr and ``flags.csv``), never zeroed automatically: a
flag is a reason to read the submission, not a verdict. Rules:

- an answer cell refers to the check helpers (``checks.``), or any student cell imports
  ``dlcore.checks`` or names ``CheckFailure``;
- ``sys.setprofile`` / ``sys.settrace`` (the checks use a profiler to spot delegation);
- reassigning a NumPy function or rebinding ``np`` (``np.exp = ...``, ``setattr(np, ...)``);
- patching ``dlcore``, the checks or builtins (``dlcore.sigmoid = ...``);
- hooking the IPython kernel (``get_ipython().events``, ``set_custom_exc``, ...).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from grader.notebooks import BEGIN_HIDDEN, grade_id, is_answer, is_locked, python_source

_NUMPY = {"np", "numpy"}
_PATCHED_ROOTS = {"dlcore", "checks", "builtins", "__builtins__", "CheckFailure"}
_TRACE_CALLS = {"sys.setprofile", "sys.settrace", "threading.setprofile", "threading.settrace"}
_KERNEL_HOOKS = {"events", "set_custom_exc", "showtraceback", "run_cell", "ast_transformers",
                 "input_transformers_post", "input_transformers_cleanup", "register_magic_function"}


@dataclass(frozen=True)
class Flag:
    grade_id: str
    reason: str


def _dotted(node: ast.AST) -> str | None:
    """``np.random.seed`` for an attribute chain rooted at a name, ``get_ipython().x`` for calls."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        parts.append(node.func.id + "()")
    else:
        return None
    return ".".join(reversed(parts))


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        found = []
        for t in node.targets:
            found += list(t.elts) if isinstance(t, (ast.Tuple, ast.List)) else [t]
        return found
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    if isinstance(node, ast.Delete):
        return list(node.targets)
    return []


def scan_source(source: str, answer: bool) -> list[str]:
    """Reasons to look at one cell of student code (``answer``: it is an exercise's answer cell)."""
    try:
        tree = ast.parse(python_source(source))
    except (SyntaxError, ValueError):
        return _scan_text(source, answer)
    numpy_names = set(_NUMPY)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            numpy_names |= {a.asname for a in node.names if a.asname and a.name.split(".")[0] == "numpy"}
    reasons: list[str] = []

    def add(reason: str) -> None:
        if reason not in reasons:
            reasons.append(reason)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("dlcore.checks"):
                    add("imports dlcore.checks")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("dlcore.checks") or (node.module == "dlcore" and any(a.name == "checks" for a in node.names)):
                add("imports dlcore.checks")
        elif isinstance(node, ast.Name) and node.id == "CheckFailure":
            add("refers to CheckFailure")
        elif isinstance(node, ast.Name) and node.id == "checks" and answer:
            add("answer cell refers to the check helpers (checks)")
        elif isinstance(node, ast.Attribute):
            name = _dotted(node) or ""
            if name.startswith("dlcore.checks"):
                add("refers to dlcore.checks")
            if name.startswith("get_ipython().") and name.split(".")[1] in _KERNEL_HOOKS:
                add(f"hooks into the IPython kernel ({name})")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func) or ""
            if name in _TRACE_CALLS:
                add(f"calls {name}")
            if name == "setattr" and node.args and (_dotted(node.args[0]) or "").split(".")[0] in numpy_names | _PATCHED_ROOTS:
                add(f"patches {_dotted(node.args[0])} with setattr")
        for target in _targets(node):
            name = _dotted(target) or ""
            root = name.split(".")[0]
            if isinstance(target, ast.Name) and target.id in numpy_names:
                add(f"rebinds the name {target.id}")
            elif isinstance(target, ast.Attribute) and root in numpy_names:
                add(f"reassigns a NumPy function ({name})")
            elif isinstance(target, ast.Attribute) and root in _PATCHED_ROOTS | {"sys"}:
                add(f"patches {name}")
    return reasons


_TEXT_RULES = [
    (r"\bdlcore\.checks\b", "refers to dlcore.checks"),
    (r"\bCheckFailure\b", "refers to CheckFailure"),
    (r"\bsys\.set(profile|trace)\b", "calls sys.setprofile/settrace"),
    (r"\b(np|numpy)\.[\w.]+\s*=(?!=)", "reassigns a NumPy function"),
]


def _scan_text(source: str, answer: bool) -> list[str]:
    """Fallback for cells that do not parse: the same rules on the text."""
    rules = _TEXT_RULES + ([(r"\bchecks\.", "answer cell refers to the check helpers (checks)")] if answer else [])
    return [reason for pattern, reason in rules if re.search(pattern, source)]


def _visible(source: str) -> str:
    """A test cell as released: without its hidden-test region."""
    lines = source.splitlines()
    cut = next((i for i, line in enumerate(lines) if BEGIN_HIDDEN in line), len(lines))
    return "\n".join(lines[:cut])


def scan(submitted, source) -> list[Flag]:
    """Flags for the student code cells of notebook ``submitted`` (``source``: its solution notebook).

    Student code is every code cell that is not a locked cell of the source: answer cells
    and any cell the student added. Cells are named by grade_id, or ``cell[i]`` otherwise.
    """
    locked = {grade_id(c) for c in source.cells if is_locked(c) and grade_id(c)}
    given = {text.strip() for c in source.cells if is_locked(c) for text in (c.source, _visible(c.source))}
    answers = {grade_id(c) for c in source.cells if is_answer(c)}
    flags = []
    for i, cell in enumerate(submitted.cells):
        if cell.get("cell_type") != "code":
            continue
        gid = grade_id(cell)
        if gid in locked or cell.get("source", "").strip() in given:
            continue  # a cell of the course (restored from the source by nbgrader before grading)
        for reason in scan_source(cell.get("source", ""), answer=gid in answers):
            flags.append(Flag(gid or f"cell[{i}]", reason))
    return flags
