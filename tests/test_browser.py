"""The student's experience, proven in a real browser: JupyterLab (as `make lab` starts it) driven
in Debian's Chromium with Playwright, for every release notebook of course/ that has its solution.

For each notebook, two temporary copies are opened in one shared JupyterLab server and browser:

* the **filled** copy (the release with the reference answers of solutions/ pasted into its
  answer cells): Run All gives no error output and every check cell its pass message; every
  slider exploration renders, and a keyboard step of each slider really changes its figure
  while the page stays responsive; nbgrader's Validate button reports success;
* the **blank** release: Run All stops at the first check, which shows one short
  "not implemented yet" line and none of the checker's source; Validate lists every
  unfinished exercise with a one-line reason; a bug in the student's own function shows the
  student's line, not the checker's.

A full-length screenshot of each copy after Run All, and of the Validate dialogs, is saved in
build/screenshots/ (git-ignored) so a reviewer can look without starting anything. The module
is skipped, with the reason, only when no Chromium is installed (`apt-get install chromium`).
"""
from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from browser.lab import (
    CHROMIUM_ARGS,
    NotebookTab,
    changed_fraction,
    find_chromium,
    open_lab_page,
    pixel_count,
    start_lab,
)
from notebook_helpers import BEGIN_SOLUTION, END_SOLUTION, cell_by_grade_id, is_test

from grader import COURSE, REPO, SOLUTIONS
from grader.notebooks import assignments, grade_id, is_answer, nbgrader, notebook_files, read

pytestmark = pytest.mark.slow

SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM = find_chromium()
if CHROMIUM is None:
    pytest.skip("no Chromium installed (/usr/bin/chromium): `apt-get install chromium` (.ci/run does) "
                "to run the browser tests", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402  (pinned in requirements.txt)

#: Text that only a traceback into the checker's own code would put on the page.
CHECKER_SOURCE = ("Traceback (most recent call last)", "dlcore/checks", "site-packages", "raise CheckFailure",
                  "__tracebackhide__", "CheckFailure(")
NEWS_PROMPT = "Would you like to get notified about official Jupyter news?"
SLIDER_REDRAW_LIMIT_S = 20.0      # a keyboard step of a slider to its new figure (2 shared cores)
FRAME_LIMIT_MS = 1000.0           # one animation frame of the page while the kernel recomputes
MIN_CHANGED_PIXELS = 50           # pixels of the figure a slider step must change (a dot, a number)


def _released_notebooks() -> list[tuple[str, str]]:
    """(assignment, notebook file name) of every release notebook whose solution exists."""
    found = []
    for assignment in assignments(COURSE):
        for path in notebook_files(COURSE / assignment):
            if (SOLUTIONS / assignment / path.name).is_file():
                found.append((assignment, path.name))
    return found


NOTEBOOKS = _released_notebooks()


def _without_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if BEGIN_SOLUTION not in line and END_SOLUTION not in line)


def filled_copy(release: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The release notebook with every answer cell replaced by the reference answer of solutions/."""
    filled = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in filled.cells:
        if nbgrader(cell).get("solution") and grade_id(cell):
            cell.source = _without_markers(cell_by_grade_id(solution, grade_id(cell)).source)
    return filled


# ---------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One JupyterLab server (the command of `make lab`) on a scratch folder with both copies."""
    if not NOTEBOOKS:
        pytest.skip("no release notebook with a solution in course/ yet")
    work = tmp_path_factory.mktemp("browser")
    root, home = work / "root", work / "home"
    for assignment, name in NOTEBOOKS:
        release = read(COURSE / assignment / name)
        for kind, nb in [("blank", release), ("filled", filled_copy(release, read(SOLUTIONS / assignment / name)))]:
            (root / kind / assignment).mkdir(parents=True)
            nbformat.write(nb, str(root / kind / assignment / name))
            # anything else the assignment ships (data files) goes along
            for extra in (COURSE / assignment).iterdir():
                if extra.is_file() and extra.suffix != ".ipynb":
                    shutil.copy(extra, root / kind / assignment / extra.name)
                elif extra.is_dir() and not extra.name.startswith((".", "__")):
                    shutil.copytree(extra, root / kind / assignment / extra.name)
    # Render every cell (JupyterLab renders only those near the screen by default), so that the
    # checks below see the whole notebook and a screenshot can show it all.
    t = time.monotonic()
    server = start_lab(root, home, user_settings={"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}})
    _timed("JupyterLab start", t)
    yield server
    server.stop()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "timings.txt").write_text("\n".join(TIMINGS) + "\n")


@pytest.fixture(scope="module")
def lab_page(lab):
    """One browser, one JupyterLab page: each notebook opens in a tab of its own."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        t = time.monotonic()
        page = open_lab_page(context, lab)
        _timed("JupyterLab page", t)
        yield page
        context.close()
        browser.close()


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[a for a, _ in NOTEBOOKS])
def notebook(request):
    assignment, name = request.param
    return assignment, name, read(COURSE / assignment / name)


@dataclass
class Run:
    """A notebook page after Run All."""

    view: NotebookTab
    nb: nbformat.NotebookNode          # the release notebook (cell types and nbgrader metadata)
    path: Path                         # the copy on disk
    seconds: float


TIMINGS: list[str] = []


def _timed(what: str, start: float) -> float:
    now = time.monotonic()
    TIMINGS.append(f"{what}: {now - start:.1f} s")
    return now


def _open_and_run(lab, page, kind: str, notebook, save: bool) -> Run:
    try:
        return _try_open_and_run(lab, page, kind, notebook, save)
    except Exception:
        # what the page showed when it went wrong, next to the other pictures
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"FAILED-{notebook[0]}-{kind}.png"))
        raise


def _try_open_and_run(lab, page, kind: str, notebook, save: bool) -> Run:
    assignment, name, nb = notebook
    t = time.monotonic()
    view = NotebookTab(page, lab, f"{kind}/{assignment}/{name}")
    t = _timed(f"{assignment} {kind}: open", t)
    count = view.cells().count()
    assert count == len(nb.cells), f"JupyterLab shows {count} cells, the notebook has {len(nb.cells)}"
    seconds = view.run_all()
    t = _timed(f"{assignment} {kind}: run all", t)
    if save:
        view.save()
    view.screenshot_all(SCREENSHOTS / f"{assignment}-{kind}.png")
    _timed(f"{assignment} {kind}: save and screenshot", t)
    return Run(view, nb, lab.root / kind / assignment / name, seconds)


@pytest.fixture(scope="module")
def filled(lab, lab_page, notebook):
    run = _open_and_run(lab, lab_page, "filled", notebook, save=True)
    yield run
    t = time.monotonic()
    run.view.close()
    _timed(f"{notebook[0]} filled: close", t)


@pytest.fixture(scope="module")
def blank(lab, lab_page, notebook):
    run = _open_and_run(lab, lab_page, "blank", notebook, save=False)
    yield run
    t = time.monotonic()
    run.view.close()
    _timed(f"{notebook[0]} blank: close", t)


def _test_cells(nb) -> list[int]:
    return [i for i, cell in enumerate(nb.cells) if is_test(cell)]


# ------------------------------------------------------------------------- the filled copy

def test_filled_copy_runs_without_errors(filled):
    saved = read(filled.path)
    errors = [(i, o.get("ename"), o.get("evalue")) for i, cell in enumerate(saved.cells) if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"error outputs after Run All: {errors}"
    unrun = [i for i, cell in enumerate(saved.cells) if cell.cell_type == "code" and cell.get("execution_count") is None]
    assert not unrun, f"Run All did not run the code cells {unrun}"
    text = filled.view.outputs_text()  # also what widgets show, which the file does not hold
    assert not [s for s in CHECKER_SOURCE if s in text], text[:3000]


def test_filled_copy_every_check_shows_its_pass_message(filled):
    tests = _test_cells(filled.nb)
    assert tests, "no check cell"
    for i in tests:
        shown = filled.view.cell_output_text(i)
        assert "\u2714" in shown and "passed" in shown, f"check cell {i} shows {shown!r}"


def test_no_news_prompt(filled):
    """`make lab`'s jupyter-config/ turns JupyterLab's "news" question off (asked once the page is up)."""
    assert filled.view.page.get_by_text(NEWS_PROMPT).count() == 0


def test_every_slider_renders_and_a_step_changes_its_figure(filled):
    filled.view.activate()
    page, panel = filled.view.page, filled.view.id
    sliders = filled.view.panel.locator(".widget-slider")
    report, started = [], time.monotonic()
    for k in range(sliders.count()):
        slider = sliders.nth(k)
        slider.scroll_into_view_if_needed()
        # The figure of a slider: the images of the nearest widget box around it that holds any.
        has_figure = page.evaluate("""([panel, k]) => {
            let el = document.getElementById(panel).querySelectorAll('.widget-slider')[k];
            while (el && !el.classList.contains('jp-Cell')) {
                if (el.querySelector && el.querySelector('img')) { el.dataset.testFigure = `${panel}-${k}`; return true; }
                el = el.parentElement;
            }
            return false;
        }""", [panel, k])
        label = slider.locator(".widget-label").inner_text().strip() or f"slider {k}"
        assert has_figure, f"slider {label!r} has no figure next to it"
        key = f"{panel}-{k}"
        box = page.locator(f"[data-test-figure='{key}']")
        image = box.locator("img").last
        before_src = box.evaluate("b => [...b.querySelectorAll('img')].map(i => i.src).join('|')")
        before_png = image.screenshot()
        readout = slider.locator(".widget-readout")
        before_value = readout.inner_text()
        handle = slider.locator(".noUi-handle").first
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        handle.focus()
        start = time.monotonic()
        page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        frame_ms = page.evaluate("() => new Promise(r => { const t = performance.now();"
                                 " requestAnimationFrame(() => setTimeout(() => r(performance.now() - t))); })")
        page.wait_for_function(
            """([key, old]) => { const b = document.querySelector(`[data-test-figure='${key}']`);
                 const srcs = [...b.querySelectorAll('img')].map(i => i.src);
                 return srcs.length > 0 && srcs.join('|') !== old; }""",
            arg=[key, before_src], timeout=SLIDER_REDRAW_LIMIT_S * 1000, polling=100)
        redraw_s = time.monotonic() - start
        filled.view.wait_idle()
        after_png = box.locator("img").last.screenshot()
        changed = changed_fraction(before_png, after_png)
        after_value = readout.inner_text()
        shown = box.inner_text()
        report.append(f"{label} {before_value} -> {after_value}: {changed:.2%} of the figure's pixels changed, "
                      f"redrawn in {redraw_s:.2f} s, frame {frame_ms:.0f} ms")
        assert after_value != before_value, f"{label}: the keyboard did not move the slider"
        assert changed * pixel_count(after_png) >= MIN_CHANGED_PIXELS, \
            f"{label} {before_value} -> {after_value}: the figure did not change ({changed:.2%} of its pixels)"
        assert frame_ms < FRAME_LIMIT_MS, f"{label}: the page froze for {frame_ms:.0f} ms"
        assert "Traceback" not in shown, shown[:2000]
    TIMINGS.append(f"{filled.path.stem} filled: {len(report)} sliders: {time.monotonic() - started:.1f} s")
    (SCREENSHOTS / f"{filled.path.stem}-sliders.txt").write_text("\n".join(report) + "\n")
    assert page.evaluate("() => 1 + 1") == 2  # still answering


def test_validate_passes_on_the_filled_copy(filled):
    text, failed, seconds = filled.view.validate()
    TIMINGS.append(f"{filled.path.stem} filled: validate: {seconds:.1f} s")
    filled.view.screenshot_dialog(SCREENSHOTS / f"{filled.path.stem}-validate-filled.png")
    filled.view.close_dialog()
    assert "Success! Your notebook passes all the tests." in text, text[:3000]
    assert not failed


# ------------------------------------------------------------------------- the blank release

def test_blank_run_all_stops_at_the_first_check_with_one_short_line(blank):
    tests = _test_cells(blank.nb)
    first = tests[0]
    shown = blank.view.cell_output_text(first).strip()
    name = grade_id(blank.nb.cells[first]).removeprefix("test_")
    assert re.fullmatch(rf"\u2718 `{re.escape(name)}` is not implemented yet: .+", shown), shown
    text = blank.view.outputs_text()
    assert not [s for s in CHECKER_SOURCE if s in text], text[:3000]
    # Run All stopped there, as the top of the notebook says: the next code cell did not run.
    after = next((i for i in range(first + 1, len(blank.nb.cells)) if blank.nb.cells[i].cell_type == "code"), None)
    if after is not None:
        assert re.fullmatch(r"\[\s*\]:", blank.view.prompt(after)), blank.view.prompt(after)


def test_validate_lists_every_unfinished_exercise_in_one_line(blank):
    text, failed, seconds = blank.view.validate()
    TIMINGS.append(f"{blank.path.stem} blank: validate: {seconds:.1f} s")
    blank.view.screenshot_dialog(SCREENSHOTS / f"{blank.path.stem}-validate-blank.png")
    blank.view.close_dialog()
    names = [grade_id(blank.nb.cells[i]).removeprefix("test_") for i in _test_cells(blank.nb)]
    assert len(failed) == len(names), text[:3000]
    for entry, name in zip(failed, names):
        error = entry["error"].strip()
        assert "\n" not in error and "not implemented yet" in error and f"`{name}`" in error, entry
    assert not [s for s in CHECKER_SOURCE if s in text], text[:3000]


def test_a_bug_in_the_students_function_shows_the_students_line(blank):
    """Type a buggy answer into the first exercise, run it and its check: the message quotes that line."""
    view, nb = blank.view, blank.nb
    view.activate()
    answer = next(i for i, cell in enumerate(nb.cells) if is_answer(cell))
    check = next(i for i in _test_cells(nb) if i > answer)
    source = nb.cells[answer].source
    stub = next(line for line in source.splitlines() if "raise NotImplementedError" in line)
    indent = stub[: len(stub) - len(stub.lstrip())]
    buggy = source.replace(stub, f"{indent}first = [][0]  # my own bug")
    editor = view.cells().nth(answer).locator(".cm-content")
    editor.click()
    view.page.keyboard.press("Control+a")
    view.page.keyboard.insert_text(buggy)
    view.page.keyboard.press("Shift+Enter")
    view.wait_idle()
    view.cells().nth(check).locator(".jp-InputPrompt").click()
    view.page.keyboard.press("Shift+Enter")
    view.wait_idle()
    shown = view.cell_output_text(check)
    view.cells().nth(check).screenshot(path=str(SCREENSHOTS / f"{blank.path.stem}-student-bug.png"))
    assert "IndexError" in shown and "[][0]  # my own bug" in shown, shown
    assert not [s for s in CHECKER_SOURCE if s in shown], shown
