"""A trial JupyterHub (``python -m grader hub``) for tests/test_hub.py, and a browser on it.

* :func:`shared_python`: a Python every created user can run. JupyterHub starts each user's
  server, and the grader service, as that user, so the interpreter and its packages must be
  readable by them (a server installs the course in e.g. /opt/dlcourse/venv). When the
  test's own venv lives where others cannot go (a pyenv Python under /root), an equal venv
  is made in the test's temporary folder with uv, from the exact versions installed here.
* :class:`TrialHub`: the command started with unique accounts, its log, its passwords,
  and :meth:`TrialHub.stop`, which stops it and checks that its accounts and their
  processes are gone.
* :func:`log_in`, :func:`server_fetch`: a user's page on the hub, and a call of the REST API
  of the server the page shows (the calls JupyterLab and formgrader make, with the XSRF
  token of the page's cookies).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from grader import REPO
from grader.hub import free_port, processes_of, remove_user, usable_by_others, user_exists


def shared_python(work: Path) -> tuple[Path | None, str]:
    """(python, "") usable by every user, or (None, why not)."""
    here = Path(sys.executable)
    if usable_by_others(here.resolve()) and usable_by_others(Path(sys.base_prefix) / "lib"):
        return here, ""
    uv, system = _find_uv(), Path("/usr/bin/python3")
    if uv is None or not system.exists():
        return None, (f"{here.resolve()} cannot be run by other users and there is no uv and /usr/bin/python3 to "
                      f"make a venv they can run")
    venv = work / "venv"
    frozen = subprocess.run([uv, "pip", "freeze", "--python", sys.executable], capture_output=True, text=True, check=True)
    pins = work / "pins.txt"
    pins.write_text("\n".join(ln for ln in frozen.stdout.splitlines()
                              if ln and not ln.startswith("-e") and not ln.lower().startswith("dlcourse")) + "\n")
    python = str(venv / "bin" / "python")
    run = _uv([uv, "venv", "-q", "--python", str(system), str(venv)])
    # The exact versions installed here; a package whose pinned version needs a newer Python than
    # the system's (soupsieve on Debian 12's 3.11.2) gets its newest release that runs on it.
    for _ in range(10 if run.returncode == 0 else 0):
        run = _uv([uv, "pip", "install", "-q", "--no-deps", "--python", python, "-r", str(pins)])
        newer = re.search(r"(\S+)==(\S+) depends on Python", run.stderr)
        if run.returncode == 0 or not newer:
            break
        pins.write_text(pins.read_text().replace(f"{newer[1]}=={newer[2]}\n", f"{newer[1]}<{newer[2]}\n"))
    if run.returncode == 0:
        run = _uv([uv, "pip", "install", "-q", "--no-deps", "--python", python, "-e", str(REPO)])
    if run.returncode != 0:
        return None, f"could not make a venv other users can run with uv:\n{run.stderr[-2000:]}"
    return venv / "bin" / "python", ""


def _find_uv() -> str | None:
    """uv on PATH, else the copy `make` installs beside the venv's Python (not on PATH under `make test`)."""
    beside = Path(sys.executable).parent / "uv"
    return shutil.which("uv") or (str(beside) if beside.exists() else None)


def _uv(command: list[str]) -> subprocess.CompletedProcess:
    """A uv command, from its cache when it can (no network), else from the package index."""
    offline = subprocess.run([*command, "--offline"], capture_output=True, text=True)
    if offline.returncode == 0:
        return offline
    return subprocess.run(command, capture_output=True, text=True)


@dataclass
class TrialHub:
    """``python -m grader hub`` running with unique accounts under ``work``."""

    work: Path
    python: Path
    students: list[str]
    instructor: str
    grader: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    passwords: dict[str, str] = field(default_factory=dict)
    start_seconds: float = 0.0

    @classmethod
    def make(cls, work: Path, python: Path, students: tuple[str, ...], instructor: str) -> TrialHub:
        tag = secrets.token_hex(2)
        return cls(work, python, [f"dlc-t-{s}-{tag}" for s in students], f"dlc-t-{instructor}-{tag}", f"dlc-t-grader-{tag}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def course_dir(self) -> Path:
        return self.work / "course"

    @property
    def exchange(self) -> Path:
        return self.work / "exchange"

    def home(self, user: str) -> Path:
        return self.work / "home" / user

    @property
    def log(self) -> Path:
        return self.work / "hub.log"

    def log_tail(self, n: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:]) if self.log.exists() else ""

    def start(self, timeout: float = 180) -> None:
        started = time.monotonic()
        (self.work / "home").mkdir(parents=True, exist_ok=True)
        command = [str(self.python), "-m", "grader", "hub", str(self.course_dir), "--users", ",".join(self.students),
                   "--instructor", self.instructor, "--grader-user", self.grader, "--create-users", "--remove-users",
                   "--home-base", str(self.work / "home"), "--exchange", str(self.exchange), "--port", str(self.port)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "MPLCONFIGDIR"))}
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while "JupyterHub is now running" not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None:
                raise RuntimeError(f"`grader hub` exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the hub did not start within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.5)
        with urllib.request.urlopen(f"{self.url}/hub/api", timeout=10) as reply:
            assert json.loads(reply.read())["version"]
        for line in (self.course_dir.with_name("course-jupyterhub") / "passwords.txt").read_text().splitlines():
            name, password = line.split()
            self.passwords[name] = password
        self.start_seconds = time.monotonic() - started

    def accounts(self) -> list[str]:
        return [*self.students, self.instructor, self.grader]

    def stop(self) -> list[str]:
        """Stop the hub (SIGTERM: it stops the users' servers and deletes the accounts it made);
        returns what had to be cleaned up after it (empty when it cleaned up after itself)."""
        leftovers = []
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                leftovers.append("the hub did not stop within 90 s of SIGTERM")
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        for name in self.accounts():
            if user_exists(name):
                leftovers.append(f"user {name} ({len(processes_of(name))} processes)")
                remove_user(name)
        return leftovers


# ------------------------------------------------------------------------------- the browser

def log_in(context, hub: TrialHub, user: str, timeout_ms: int = 120_000):
    """A new page of ``context`` with ``user`` logged in on the hub's login form; their JupyterLab open."""
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords[user])
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=timeout_ms)
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('File')")
    return page


FETCH_JS = """async ([method, url, body]) => {
    const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1];
    const reply = await fetch(url, {method, body, credentials: 'same-origin',
                                    headers: {'X-XSRFToken': xsrf ? decodeURIComponent(xsrf) : '', 'Content-Type': 'application/json'}});
    return {status: reply.status, text: await reply.text()};
}"""


def server_fetch(page, method: str, url: str, body=None) -> dict | list | str:
    """``method url`` from the page, as its own JavaScript calls its server (JSON decoded when it is)."""
    reply = page.evaluate(FETCH_JS, [method, url, None if body is None else json.dumps(body)])
    if not 200 <= reply["status"] < 300:
        raise RuntimeError(f"{method} {url}: {reply['status']} {reply['text'][:500]}")
    try:
        return json.loads(reply["text"]) if reply["text"] else None
    except ValueError:
        return reply["text"]
