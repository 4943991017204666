"""JupyterLab and Chromium for the browser tests (tests/test_browser.py).

* :func:`start_lab` starts JupyterLab exactly as ``make lab`` does (the command of the
  Makefile's ``lab`` target, read with ``make -n lab``), on a free loopback port, a
  scratch root folder, scratch ``JUPYTER_*`` folders and a random token.
* :func:`find_chromium` finds Debian's Chromium; :data:`CHROMIUM_ARGS` are the switches
  it runs with (headless, no network traffic of its own).
* :func:`open_lab_page` opens JupyterLab in a browser page; :class:`NotebookTab` opens one
  notebook in it (File > Open from Path...), runs all cells, waits for the kernel, reads
  outputs, presses Validate and takes a full-length screenshot.
"""
from __future__ import annotations

import io
import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from grader import JUPYTER_HOME_DIRS, REPO

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
#: Command-line options of ``make lab`` that the tests replace with their own.
REPLACED_OPTIONS = ("--ServerApp.root_dir", "--port", "--ServerApp.port", "--ServerApp.token",
                    "--IdentityProvider.token", "--ServerApp.port_retries")


def find_chromium() -> str | None:
    for path in (*CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if path and os.access(path, os.X_OK):
            return path
    return None


def make_lab_command() -> tuple[dict[str, str], list[str]]:
    """The environment assignments and the command of the Makefile's ``lab`` target."""
    # LAB_PORT / LAB_ARGS (a user's choices of port and extra options) set empty: the tests pick their own.
    run = subprocess.run(["make", "-s", "-n", "lab", "LAB_PORT=", "LAB_ARGS="], cwd=REPO,
                         capture_output=True, text=True, check=True)
    lines = [ln for ln in run.stdout.splitlines() if "jupyter lab" in ln or "jupyter-lab" in ln]
    if len(lines) != 1:
        raise RuntimeError(f"expected one `jupyter lab` command in `make -n lab`, got:\n{run.stdout}")
    tokens = shlex.split(lines[0])
    env = {}
    while tokens and "=" in tokens[0] and not tokens[0].startswith("-"):
        name, value = tokens.pop(0).split("=", 1)
        env[name] = value
    return env, tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab server."""

    process: subprocess.Popen
    root: Path
    base_url: str
    token: str
    log: Path
    env: dict

    def url(self, path: str, workspace: str | None = None) -> str:
        """The page that opens ``path``; a ``workspace`` of its own keeps other pages' tabs out of it."""
        if workspace is None:
            return f"{self.base_url}/lab/tree/{path}?token={self.token}"
        tree = f"/tree/{path}" if path else ""
        return f"{self.base_url}/lab/workspaces/{workspace}{tree}?reset&token={self.token}"

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def api(self, method: str, path: str):
        request = urllib.request.Request(f"{self.base_url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self, path: str) -> None:
        """End the sessions (and kernels) of the notebook at ``path``."""
        for session in self.api("GET", "/api/sessions"):
            if session.get("path") == path:
                self.api("DELETE", f"/api/sessions/{session['id']}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_lab(root: Path, home: Path, user_settings: dict[str, dict] | None = None, timeout: float = 90) -> Lab:
    """Start ``make lab``'s JupyterLab on ``root`` with a scratch ``home``; wait until it answers.

    user_settings : plugin id -> settings written as the scratch user's JupyterLab settings.
    """
    make_env, command = make_lab_command()
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND" and not k.startswith(("JUPYTER", "IPYTHON"))}
    env.update(make_env)
    for var, sub in JUPYTER_HOME_DIRS.items():
        env[var] = str(home / sub)
        (home / sub).mkdir(parents=True, exist_ok=True)
    for plugin, settings in (user_settings or {}).items():
        package, name = plugin.rsplit(":", 1)
        target = Path(env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings" / package
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{name}.jupyterlab-settings").write_text(json.dumps(settings))
    port, token = free_port(), secrets.token_hex(16)
    command = [arg for arg in command if not arg.startswith(REPLACED_OPTIONS)]
    command += [f"--ServerApp.root_dir={root}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}"]
    log = home / "jupyterlab.log"
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    lab = Lab(process, root, f"http://127.0.0.1:{port}", token, log, env)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{lab.log_tail()}")
        try:
            with urllib.request.urlopen(f"{lab.base_url}/api/status?token={token}", timeout=5) as reply:
                if reply.status == 200:
                    return lab
        except OSError:
            pass
        if time.monotonic() > deadline:
            lab.stop()
            raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{lab.log_tail()}")
        time.sleep(0.3)


# ------------------------------------------------------------------------ the JupyterLab page

def open_lab_page(context, lab: Lab, timeout_ms: int = 60_000):
    """One browser page with JupyterLab (a workspace of its own), its file browser folded away."""
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(lab.url("", workspace="browser-tests-" + secrets.token_hex(4)))
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('File')")
    page.wait_for_selector(".jp-DirListing")
    fold_left_sidebar(page)
    return page


def fold_left_sidebar(page) -> None:
    """The file browser takes a fifth of the width: fold it so the notebook fills the page."""
    current = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if current.count():
        current.first.click()
        page.wait_for_selector(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current", state="detached")


def menu(page, menu_name: str, item: str) -> None:
    page.click(f".lm-MenuBar-itemLabel:text-is('{menu_name}')")
    page.click(f".lm-Menu-itemLabel:text-is('{item}')")


IDLE_JS = """(panel) => {
    const root = document.getElementById(panel);
    const busy = [...root.querySelectorAll('.jp-Notebook .jp-InputPrompt')].some(e => e.innerText.includes('*'));
    const indicator = root.querySelector('.jp-Notebook-ExecutionIndicator');
    return !busy && indicator !== null && indicator.dataset.status === 'idle';
}"""


def pixels(png: bytes):
    """A PNG as an (height, width, 4) uint8 array."""
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def pixel_count(png: bytes) -> int:
    height, width, _ = pixels(png).shape
    return height * width


def changed_fraction(before: bytes, after: bytes) -> float:
    """Fraction of the pixels that differ between two PNGs (1.0 if their sizes differ)."""
    a, b = pixels(before), pixels(after)
    if a.shape != b.shape:
        return 1.0
    return float((a != b).any(axis=-1).mean())


class NotebookTab:
    """One notebook opened in the shared JupyterLab page (File > Open from Path...), in its own tab."""

    def __init__(self, page, lab: Lab, path: str, timeout_ms: int = 120_000):
        self.page, self.lab, self.path = page, lab, path
        before = set(page.eval_on_selector_all(".jp-NotebookPanel", "ps => ps.map(p => p.id)"))
        menu(page, "File", "Open from Path\u2026")
        field = page.locator(".jp-Dialog input")
        field.fill(path)
        field.press("Enter")
        page.wait_for_function("(ids) => [...document.querySelectorAll('.jp-NotebookPanel')].some(p => !ids.includes(p.id))",
                               arg=sorted(before))
        (self.id,) = set(page.eval_on_selector_all(".jp-NotebookPanel", "ps => ps.map(p => p.id)")) - before
        self.panel = page.locator(f"[id='{self.id}']")
        self.panel.locator(".jp-Notebook .jp-Cell").first.wait_for()
        fold_left_sidebar(page)  # opening a file shows it in the file browser
        self.wait_idle(timeout_ms)

    def activate(self) -> None:
        tab = self.page.locator(f".lm-TabBar-tab[data-id='{self.id}']")
        if "lm-mod-current" not in (tab.get_attribute("class") or ""):
            tab.click()
        self.panel.wait_for(state="visible")

    # -- running -------------------------------------------------------------------------
    def wait_idle(self, timeout_ms: int = 300_000) -> None:
        """Wait until no cell is queued or running and the kernel is idle (for half a second)."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            self.page.wait_for_function(IDLE_JS, arg=self.id, polling=200,
                                        timeout=max(1000, (deadline - time.monotonic()) * 1000))
            time.sleep(0.5)
            if self.page.evaluate(IDLE_JS, self.id):
                return

    def run_all(self, timeout_ms: int = 300_000) -> float:
        """Run > Run All Cells, as a student would; returns the seconds until the kernel is idle."""
        self.activate()
        start = time.monotonic()
        menu(self.page, "Run", "Run All Cells")
        self.page.wait_for_function("(panel) => [...document.getElementById(panel).querySelectorAll('.jp-InputPrompt')]"
                                    ".some(e => /\\[[0-9*]+\\]/.test(e.innerText))", arg=self.id)
        self.wait_idle(timeout_ms)
        return time.monotonic() - start

    def save(self) -> None:
        self.activate()
        self.panel.locator(".jp-InputPrompt").first.click()   # select a cell (command mode)
        self.page.keyboard.press("Control+s")
        self.page.wait_for_function("(panel) => !document.querySelector(`.lm-TabBar-tab[data-id='${panel}']`)"
                                    ".classList.contains('jp-mod-dirty')", arg=self.id)

    # -- reading ---------------------------------------------------------------------------
    def cells(self):
        return self.panel.locator(".jp-Notebook .jp-Cell")

    def cell_output_text(self, index: int) -> str:
        return "\n".join(self.cells().nth(index).locator(".jp-OutputArea-output").all_inner_texts())

    def prompt(self, index: int) -> str:
        return self.cells().nth(index).locator(".jp-InputPrompt").inner_text().strip()

    def outputs_text(self) -> str:
        return "\n".join(self.panel.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts())

    # -- Validate (nbgrader) ---------------------------------------------------------------------
    def validate(self, timeout_ms: int = 300_000) -> tuple[str, list[dict], float]:
        """Press Validate; returns the dialog's text, its failed entries and the seconds it took."""
        self.activate()
        start = time.monotonic()
        self.panel.locator(".jp-Toolbar-item", has_text="Validate").first.click()
        message = self.page.wait_for_selector(".jp-Dialog #validation-message", timeout=timeout_ms)
        seconds = time.monotonic() - start
        text = message.inner_text()
        failed = self.page.evaluate("""() => {
            const pres = [...document.querySelectorAll('#validation-message pre')];
            const out = [];
            for (let i = 0; i + 1 < pres.length; i += 2) out.push({source: pres[i].innerText, error: pres[i + 1].innerText});
            return out;
        }""")
        return text, failed, seconds

    def screenshot_dialog(self, path: Path) -> None:
        """The open dialog, all of it: its scrolling box is let out and the page made tall enough."""
        old = self.page.viewport_size
        height = self.page.evaluate("""() => {
            const content = document.querySelector('.jp-Dialog-content');
            content.style.maxHeight = 'none';
            for (const el of content.querySelectorAll('*')) { el.style.maxHeight = 'none'; el.style.overflow = 'visible'; }
            return content.scrollHeight;
        }""")
        self.page.set_viewport_size({"width": old["width"], "height": max(old["height"], min(30_000, height + 100))})
        time.sleep(0.3)
        self.page.locator(".jp-Dialog-content").screenshot(path=str(path))
        self.page.set_viewport_size(old)

    def close_dialog(self) -> None:
        self.page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
        self.page.wait_for_selector(".jp-Dialog", state="detached")

    # -- pictures -----------------------------------------------------------------------------
    def screenshot_all(self, path: Path, width: int = 1280, max_height: int = 30_000) -> int:
        """The whole notebook in one PNG: the page is made as tall as the notebook, then shot."""
        self.activate()
        path.parent.mkdir(parents=True, exist_ok=True)
        scroller = f"[id='{self.id}'] .jp-WindowedPanel-outer"
        old = self.page.viewport_size
        height = self.page.evaluate(f"""() => {{
            const s = document.querySelector("{scroller}"), cells = s.querySelectorAll('.jp-Cell');
            const last = cells[cells.length - 1].getBoundingClientRect().bottom;
            return Math.ceil(last - s.getBoundingClientRect().top + s.scrollTop + 16);
        }}""")
        chrome = self.page.evaluate(f"""window.innerHeight - document.querySelector("{scroller}").clientHeight""")
        self.page.set_viewport_size({"width": width, "height": min(max_height, height + chrome + 10)})
        self.page.evaluate(f"""document.querySelector("{scroller}").scrollTop = 0""")
        time.sleep(0.5)
        self.page.screenshot(path=str(path))
        self.page.set_viewport_size(old)
        return height

    # -- closing -----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the tab (discarding changes) and shut its kernel down."""
        self.activate()
        tab = self.page.locator(f".lm-TabBar-tab[data-id='{self.id}']")
        dirty = "jp-mod-dirty" in (tab.get_attribute("class") or "")
        tab.locator(".lm-TabBar-tabCloseIcon").click()
        if dirty:  # "Save your work?"
            self.page.locator(".jp-Dialog .jp-Dialog-button", has_text="Discard").click()
        self.panel.wait_for(state="detached")
        self.lab.shut_down_kernels(self.path)
