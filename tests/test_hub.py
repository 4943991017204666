"""A class on JupyterHub, end to end: ``python -m grader hub`` with two students and an
instructor as real system users, driven in Chromium with Playwright (docs/jupyterhub.md).

1. the instructor logs in and releases 01_forward_propagation in formgrader (the grader
   service, which runs as the grader account in the course made by ``grader init``);
2. each student logs in, fetches it in the Assignments tab, fills it in (one with the
   solution's answers, one with two wrong answers; written through their server's contents
   API, as JupyterLab saves), validates it there and submits it;
3. no student can read the other's files, the exchange's submissions or the course (as
   those OS users, with ``runuser``);
4. the instructor collects and autogrades each submission in formgrader: the scores are the
   course engine's (14/14 and 12/14); a manual adjustment on the grading page; feedback
   generated and released;
5. each student fetches their feedback in the Assignments tab and sees their own score and
   no hidden test;
6. the hub stops every server it started and deletes its accounts.

Screenshots of each step: build/screenshots/hub/. Runs only as root (it creates users),
with configurable-http-proxy and Chromium installed; otherwise skipped with the reason.
"""
from __future__ import annotations

import html
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from browser.hub import TrialHub, log_in, server_fetch, shared_python
from browser.lab import CHROMIUM_ARGS, find_chromium
from notebook_helpers import hidden_lines, with_answers

from grader import REPO, SOLUTIONS, GradingError
from grader.hub import HUB_CONFIG, SETTINGS_ENV, HubSettings, check_reachable, parse_users, write_user_config
from grader.notebooks import grade_cells, grade_id, is_answer, read
from grader.sandbox import bwrap_path

A = "01_forward_propagation"
NOTEBOOK = f"{A}.ipynb"
SCREENSHOTS = REPO / "build" / "screenshots" / "hub"
RELU_ABS = "import numpy as np\n\ndef relu(Z):\n    return np.abs(Z)\n"
LEAKY_NO_ALPHA = "import numpy as np\n\ndef leaky_relu(Z, alpha=0.01):\n    return np.maximum(Z, 0)\n"
WRONG = {"relu": RELU_ABS, "leaky_relu": LEAKY_NO_ALPHA}
WRONG_TESTS = {"test_relu", "test_leaky_relu"}


def test_user_names_are_checked():
    assert parse_users("alice, bob", "--users") == ["alice", "bob"]
    with pytest.raises(GradingError, match="--users: 'Al ice'"):
        parse_users("Al ice", "--users")
    with pytest.raises(GradingError, match="--instructor: a user is listed twice"):
        parse_users("ines,ines", "--instructor")


def test_every_users_config_names_the_course_and_hides_formgrader(tmp_path):
    folder = write_user_config(tmp_path / "user-config", Path("/srv/x/exchange"))
    config = (folder / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.course_id = 'dlcourse'" in config and "c.Exchange.root = '/srv/x/exchange'" in config
    disabled = json.loads((folder / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert disabled["@jupyter/nbgrader:formgrader"] and disabled["@jupyter/nbgrader:create-assignment"]
    assert (folder / "labconfig" / "default_setting_overrides.json").read_text() == \
        (REPO / "jupyter-config" / "labconfig" / "default_setting_overrides.json").read_text()
    server = json.loads((folder / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    assert server == {"nbgrader.server_extensions.formgrader": False}


def test_the_hub_config_runs_formgrader_as_the_grader_account(tmp_path, monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    settings = HubSettings(course_dir="/srv/c/dlcourse", exchange="/srv/x", grader_user="grader-dlcourse",
                           students=["alice", "bob"], instructors=["ines"], user_config_dir="/srv/u",
                           state_dir=str(tmp_path))
    monkeypatch.setenv(SETTINGS_ENV, str(settings.write(tmp_path / "hub.json")))
    c = PyFileConfigLoader(HUB_CONFIG.name, path=str(HUB_CONFIG.parent)).load_config()
    (service,) = c.JupyterHub.services
    assert (service["name"], service["user"], service["cwd"]) == ("dlcourse", "grader-dlcourse", "/srv/c/dlcourse")
    assert c.JupyterHub.load_groups["formgrade-dlcourse"] == {"users": ["ines"]}
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "formgrade-dlcourse")
    assert "access:services!service=dlcourse" in role["scopes"] and role["groups"] == ["formgrade-dlcourse"]
    assert c.Authenticator.allowed_users == {"alice", "bob", "ines"} and "admin_users" not in c.Authenticator
    assert c.JupyterHub.authenticator_class == "pam" and c.Spawner.environment["JUPYTER_CONFIG_PATH"] == "/srv/u"


def test_the_command_refuses_missing_accounts_without_create_users(tmp_path, capsys):
    from grader.__main__ import main

    if os.geteuid() != 0:
        assert main(["hub", str(tmp_path / "c"), "--users", "a", "--instructor", "b"]) == 1
        assert "must run as root" in capsys.readouterr().err
        return
    if shutil.which("configurable-http-proxy") is None:
        pytest.skip("configurable-http-proxy is checked first")
    assert main(["hub", str(tmp_path / "c"), "--users", "dlc-t-nobody-zz9", "--instructor", "dlc-t-nobody-zz8"]) == 1
    assert "no such user(s): dlc-t-nobody-zz9, dlc-t-nobody-zz8" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_places_every_user_reads_must_be_open_to_them():
    base = Path(tempfile.mkdtemp(prefix="dlc-hub-check-"))  # pytest's tmp_path is private to root already
    try:
        base.chmod(0o755)
        closed = base / "closed"
        (closed / "user-config").mkdir(parents=True)
        closed.chmod(0o700)
        with pytest.raises(GradingError, match=f"--state-dir: .* \\({closed} is closed to them\\)"):
            check_reachable(closed / "user-config", "--state-dir")
        closed.chmod(0o755)
        if all(p.stat().st_mode & 0o001 for p in base.parents):
            check_reachable(closed / "user-config", "--state-dir")
    finally:
        shutil.rmtree(base)


def _skip_reason() -> str:
    if os.geteuid() != 0:
        return "the hub test creates system users: run it as root (CI does)"
    if shutil.which("node") is None or shutil.which("configurable-http-proxy") is None:
        return ("JupyterHub's proxy is missing: install Node.js and `npm install -g configurable-http-proxy` "
                "(.ci/run does)")
    if shutil.which("useradd") is None or shutil.which("runuser") is None:
        return "useradd/runuser missing (Debian: passwd, util-linux)"
    if find_chromium() is None:
        return "no Chromium installed (/usr/bin/chromium): `apt-get install chromium` (.ci/run does)"
    return ""


def _shot(page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def _as_user(user: str, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *command], capture_output=True, text=True)


# --- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hub():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    work = Path(tempfile.mkdtemp(prefix="dlc-hub-"))  # not under pytest's 0700 tmp: the users must enter it
    work.chmod(0o755)
    trial = None
    try:
        python, why = shared_python(work)
        if python is None:
            pytest.skip(why)
        trial = TrialHub.make(work, python, ("alice", "bob"), "ines")
        trial.start()
        yield trial
    finally:
        leftovers = trial.stop() if trial is not None else []
        shutil.rmtree(work, ignore_errors=True)
        assert not leftovers, f"the hub left these behind: {leftovers}"


@pytest.fixture(scope="module")
def browser(hub):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# --- the steps ---------------------------------------------------------------------------------------
def _formgrader_modal(page, timeout_ms: int = 300_000) -> str:
    """Wait for formgrader's success (or error) dialog; close it; return its text."""
    modal = page.wait_for_selector("#success-modal.in, #error-modal.in", timeout=timeout_ms)
    text = modal.inner_text()
    modal_id = modal.get_attribute("id")
    page.locator(f"#{modal_id} .modal-footer button").first.click()
    page.wait_for_selector(f"#{modal_id}", state="detached")
    assert modal_id == "success-modal", text
    return text


def _assignment_button(page, glyph: str):
    return page.locator(f"tr:has(a:text-is('{A}')) .glyphicon-{glyph}").first


def _open_assignment_list(page) -> None:
    page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
    page.click(".lm-Menu-itemLabel:text-is('Assignment List')")
    page.wait_for_selector("#released_assignments_list")


def _answers(student: str) -> dict[str, str]:
    solution = read(SOLUTIONS / A / NOTEBOOK)
    answers = {grade_id(c): c.source for c in solution.cells if is_answer(c)}
    return {**answers, **WRONG} if student == "bob" else answers


def _student_submits(browser, hub, who: str) -> None:
    user = hub.students[0 if who == "alice" else 1]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = log_in(context, hub, user)
    _shot(page, f"02-{who}-lab", full_page=False)
    _open_assignment_list(page)
    released = page.locator("#released_assignments_list .list_item", has_text=A)
    released.locator("button", has_text="Fetch").click()
    page.locator("#fetched_assignments_list .list_item", has_text=A).first.wait_for()
    _shot(page, f"03-{who}-fetched", full_page=False)
    fetched = hub.home(user) / A / NOTEBOOK
    assert fetched.stat().st_uid == pwd.getpwnam(user).pw_uid  # fetched by their own server, as them

    # Filled in: the fetched notebook with the answers, saved through the server as JupyterLab saves.
    base = f"/user/{user}/api/contents/{A}/{NOTEBOOK}"
    nb = nbformat.from_dict(server_fetch(page, "GET", base)["content"])
    filled = with_answers(nb, _answers(who))
    server_fetch(page, "PUT", base, {"type": "notebook", "format": "json", "content": filled})

    # Validate in the Assignments tab, then Submit.
    page.click("#refresh_assignments_list")
    item = page.locator("#fetched_assignments_list > .list_item", has_text=A).first
    item.locator("a.assignment-notebooks-link").click()
    item.locator("button", has_text="Validate").click()
    dialog = page.wait_for_selector(".jp-Dialog", timeout=300_000)
    text = dialog.inner_text()
    _shot(page, f"04-{who}-validated", full_page=False)
    page.locator(".jp-Dialog .jp-Dialog-button").last.click()
    if who == "alice":
        assert "Success! Your notebook passes all the tests." in text, text
    else:
        assert "relu" in text and "Success!" not in text, text
    item.locator("button", has_text="Submit").click()
    page.locator("#submitted_assignments_list .list_item", has_text=A).first.wait_for(timeout=120_000)
    _shot(page, f"05-{who}-submitted", full_page=False)
    reply = page.goto(f"{hub.url}/services/dlcourse/formgrader/manage_assignments")  # the instructors' only
    assert reply.status == 403 and "Manage Assignments" not in page.content(), (reply.status, page.url)
    context.close()


@pytest.mark.slow
def test_a_class_on_jupyterhub(hub, browser):
    t0 = time.monotonic()
    alice, bob = hub.students
    fg = f"{hub.url}/services/dlcourse/formgrader"
    instructor = browser.new_context(viewport={"width": 1280, "height": 900})
    ines = log_in(instructor, hub, hub.instructor)

    # 1. The instructor releases the assignment in formgrader.
    ines.goto(f"{fg}/manage_assignments")
    _assignment_button(ines, "cloud-upload").click()
    _formgrader_modal(ines)
    ines.wait_for_selector(f"tr:has(a:text-is('{A}')) .label-success")  # "released"
    _shot(ines, "01-instructor-released")
    assert (hub.exchange / "dlcourse" / "outbound" / A / NOTEBOOK).is_file()

    # 2. Each student fetches, fills, validates and submits.
    for who in ("alice", "bob"):
        _student_submits(browser, hub, who)

    # 3. Nothing is readable across students, nor the course (solutions, gradebook).
    theirs = hub.home(alice) / A / NOTEBOOK
    assert theirs.is_file()
    denied = [
        _as_user(bob, "cat", str(theirs)),
        _as_user(bob, "ls", str(hub.home(alice))),
        _as_user(bob, "ls", str(hub.exchange / "dlcourse" / "inbound")),
        _as_user(alice, "cat", str(hub.course_dir / "source" / A / NOTEBOOK)),
        _as_user(alice, "ls", str(hub.course_dir)),
        _as_user(hub.instructor, "cat", str(hub.home(bob) / A / NOTEBOOK)),
    ]
    assert all(r.returncode != 0 and "Permission denied" in r.stderr for r in denied), [r.stderr for r in denied]
    assert _as_user(bob, "cat", str(hub.home(bob) / A / NOTEBOOK)).returncode == 0  # their own, of course

    # 4. Collect and autograde in formgrader (the course's engine, as the grader account).
    ines.goto(f"{fg}/manage_assignments")
    _assignment_button(ines, "cloud-download").click()
    _formgrader_modal(ines)
    ines.goto(f"{fg}/manage_submissions/{A}")
    for student in (alice, bob):
        row = ines.locator("tr", has=ines.locator(".student-id", has_text=student))
        row.locator(".autograde a").click()
        _formgrader_modal(ines)
    _shot(ines, "06-instructor-autograded")

    def scores() -> dict[str, tuple[float, float]]:
        rows = server_fetch(ines, "GET", f"/services/dlcourse/formgrader/api/submissions/{A}")
        return {r["student"]: (r["score"], r["max_score"]) for r in rows}

    maximum = sum(points for _, points in grade_cells(read(SOLUTIONS / A / NOTEBOOK)))
    wrong_points = sum(points for gid, points in grade_cells(read(SOLUTIONS / A / NOTEBOOK)) if gid in WRONG_TESTS)
    assert (maximum, wrong_points) == (14, 2)
    assert scores() == {alice: (maximum, maximum), bob: (maximum - wrong_points, maximum)}
    # Graded in bwrap as the grader account where bubblewrap is installed; without it, in a plain
    # process, and the grader says so (the class itself works the same).
    sandboxed = "WITHOUT the sandbox" not in hub.log.read_text(errors="replace")
    assert sandboxed == (bwrap_path() is not None)
    graded = read(hub.course_dir / "autograded" / bob / A / NOTEBOOK)
    assert "ReLU is max(0, Z), not |Z|." in "".join(str(c.get("outputs")) for c in graded.cells)  # the engine's hint

    # A manual adjustment on the grading page: half a point back for bob's leaky_relu.
    ines.goto(f"{fg}/manage_students/{bob}/{A}")
    ines.locator("a[href*='/formgrader/submissions/']", has_text=A).first.click()
    field = ines.locator("input.score#test_leaky_relu")
    # the page's script has bound the field to its grade (it sets the autograder's score as placeholder)
    ines.wait_for_function("() => document.getElementById('test_leaky_relu')?.getAttribute('placeholder') === '0'")
    with ines.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT"):
        field.fill("0.5")
        field.press("Tab")
    _shot(ines, "07-instructor-manual-adjustment")
    assert scores()[bob] == (maximum - wrong_points + 0.5, maximum)

    # Feedback: generated and released.
    ines.goto(f"{fg}/manage_assignments")
    _assignment_button(ines, "comment").click()
    _formgrader_modal(ines)
    _assignment_button(ines, "envelope").click()
    _formgrader_modal(ines)
    _shot(ines, "08-instructor-feedback-released")
    instructor.close()

    # 5. Each student fetches their feedback: their own score, no hidden test.
    hidden = [ln.strip() for c in read(SOLUTIONS / A / NOTEBOOK).cells for ln in hidden_lines(c.source) if ln.strip()]
    assert hidden
    expected = {alice: maximum, bob: maximum - wrong_points + 0.5}
    pages = {}
    for student in (alice, bob):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = log_in(context, hub, student)
        _open_assignment_list(page)
        item = page.locator("#submitted_assignments_list .list_item", has_text=A).first
        item.locator("button", has_text="Fetch Feedback").click()
        found = sorted((hub.home(student) / A / "feedback").glob(f"*/{A}.html"))
        deadline = time.monotonic() + 60
        while not found and time.monotonic() < deadline:
            time.sleep(0.5)
            found = sorted((hub.home(student) / A / "feedback").glob(f"*/{A}.html"))
        assert found, f"no feedback fetched for {student}"
        _shot(page, f"09-{student.split('-')[2]}-feedback-fetched", full_page=False)
        relative = found[-1].relative_to(hub.home(student))
        page.goto(f"{hub.url}/user/{student}/files/{relative}")
        text = page.inner_text("body")
        _shot(page, f"10-{student.split('-')[2]}-feedback")
        score = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", text)
        assert score and (float(score[1]), float(score[2])) == (expected[student], maximum), text[:500]
        leaked = [ln for ln in hidden if ln in html.unescape(found[-1].read_text())]
        assert not leaked, f"hidden tests in {student}'s feedback: {leaked[:3]}"
        other = bob if student == alice else alice
        assert other not in found[-1].read_text()
        pages[student] = found[-1]
        context.close()
    assert _as_user(bob, "cat", str(pages[alice])).returncode != 0
    print(f"hub steps took {time.monotonic() - t0:.0f} s after a start of {hub.start_seconds:.0f} s")
