"""The course on one JupyterHub server: ``python -m grader hub COURSE_DIR --users ... --instructor ...``.

What it sets up (each step is what nbgrader's JupyterHub docs describe; docs/jupyterhub.md):

* local system users for the students and instructors (``--create-users``: made with
  ``useradd``, home folders private, a generated password each; otherwise they must exist);
* the grader account (``grader-dlcourse`` by default), which owns the course directory made
  by ``python -m grader init`` (private to it: it holds the solutions and the gradebook) and
  runs formgrader as a JupyterHub service, so autograding runs as that account, through the
  course's engine and sandbox;
* nbgrader's exchange at a shared path, world-writable with the sticky bit (nbgrader itself
  makes ``inbound`` write-only for students when the grader releases);
* a Jupyter config folder every user's server reads (``JUPYTER_CONFIG_PATH``): the course
  id and the exchange for nbgrader, the course's JupyterLab defaults (``jupyter-config/``),
  and formgrader / Create Assignment switched off (instructors use the service);
* ``deploy/jupyterhub_config.py`` started with the settings file written here.

The hub runs in the foreground until Ctrl-C or SIGTERM; with ``--remove-users`` the accounts
it created are deleted when it stops. Passwords are printed and written to
``STATE_DIR/passwords.txt`` (root only). This is a TRIAL on one machine; a real installation
follows docs/jupyterhub.md (same config file, campus login instead of local passwords).
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader import REPO, GradingError

COURSE_ID = "dlcourse"
DEPLOY = REPO / "deploy"
HUB_CONFIG = DEPLOY / "jupyterhub_config.py"
SETTINGS_ENV = "DLCOURSE_HUB_SETTINGS"
USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
#: nbgrader's front-end parts that only the grader service shows (the students' and
#: instructors' own servers keep the Assignments tab and Validate).
INSTRUCTOR_ONLY_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                           "@jupyter/nbgrader:course-list")


@dataclass
class HubSettings:
    """What deploy/jupyterhub_config.py reads (as JSON, from ``$DLCOURSE_HUB_SETTINGS``)."""

    course_dir: str
    exchange: str
    grader_user: str
    students: list[str]
    instructors: list[str]
    user_config_dir: str
    state_dir: str
    bin_dir: str = str(Path(sys.executable).parent)
    course_id: str = COURSE_ID
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    service_port: int = 9999
    authenticator: str = "pam"
    shared_password: str = ""
    service_config_path: list[str] = field(default_factory=lambda: [str(REPO / "jupyter-config")])

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        path.chmod(0o600)  # may hold the trial's shared password
        return path


def parse_users(text: str | None, argument: str) -> list[str]:
    """``alice,bob`` -> ``["alice", "bob"]``; each a valid Linux user name."""
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    bad = [n for n in names if not USER_NAME.match(n)]
    if bad:
        raise GradingError(f"{argument}: {', '.join(map(repr, bad))} is not a valid user name "
                           f"(lower-case letters, digits, '-' and '_', at most 32, not starting with a digit)")
    if len(set(names)) != len(names):
        raise GradingError(f"{argument}: a user is listed twice: {text!r}")
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def usable_by_others(path: Path) -> bool:
    """Every folder above ``path`` can be entered, and ``path`` read, by any user."""
    path = Path(path).resolve()
    if not path.stat().st_mode & stat.S_IROTH:
        return False
    return all(p.stat().st_mode & stat.S_IXOTH for p in path.parents)


def check_reachable(path: Path, argument: str, hint: str = "choose a place under /srv or /opt") -> None:
    """``path`` (made already) is reachable by every user, whose servers read it; else an error naming ``argument``."""
    if not usable_by_others(path):
        blocked = next((p for p in [*reversed(Path(path).resolve().parents), Path(path).resolve()]
                        if not p.stat().st_mode & (stat.S_IXOTH if p != Path(path).resolve() else stat.S_IROTH)), path)
        raise GradingError(f"{argument}: {path} cannot be reached by other users ({blocked} is closed to them), "
                           f"and every user's server reads it: {hint}")


# --- accounts -------------------------------------------------------------------------------------
def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def create_user(name: str, home_base: Path, password: str | None = None, system: bool = False) -> Path:
    """A local user with a private home ``home_base/name`` (mode 0700); returns the home."""
    if user_exists(name):
        raise GradingError(f"user {name!r} exists already: pick another name or leave out --create-users")
    home = Path(home_base).resolve() / name
    cmd = ["useradd", "--create-home", "--home-dir", str(home), "--user-group",
           "--shell", "/usr/sbin/nologin" if system else "/bin/bash"]
    subprocess.run([*cmd, name], check=True, capture_output=True, text=True)
    home.chmod(0o700)
    if password is not None:
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", check=True, capture_output=True, text=True)
    return home


def processes_of(name: str) -> list[int]:
    """Process ids owned by user ``name`` (from /proc)."""
    uid = pwd.getpwnam(name).pw_uid
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def remove_user(name: str) -> None:
    """Delete user ``name``, its home and its group; its leftover processes are ended first."""
    if not user_exists(name):
        return
    for pid in processes_of(name):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    subprocess.run(["userdel", "--remove", name], capture_output=True, text=True)
    if user_exists(name):
        raise GradingError(f"could not delete user {name!r}")


# --- the course and the exchange --------------------------------------------------------------------
def prepare_exchange(exchange: Path) -> None:
    """nbgrader's exchange root: world-writable with the sticky bit (like /tmp)."""
    exchange.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o1777)


def _own_environment() -> dict[str, str]:
    """This process's environment without its Jupyter/IPython/matplotlib folders (another user's)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "MPLCONFIGDIR"))}


def prepare_course(course_dir: Path, grader_user: str, exchange: Path, init_args: list[str] | None = None) -> None:
    """``python -m grader init COURSE_DIR --exchange EXCHANGE`` as the grader account, unless the
    course exists; the course directory is the grader's alone (it holds the solutions)."""
    entry = pwd.getpwnam(grader_user)
    if not (course_dir / "nbgrader_config.py").is_file():
        course_dir.mkdir(parents=True, exist_ok=True)
        os.chown(course_dir, entry.pw_uid, entry.pw_gid)
        env = {**_own_environment(), "HOME": entry.pw_dir, "USER": grader_user}
        run = subprocess.run(["runuser", "-u", grader_user, "--", sys.executable, "-m", "grader", "init", str(course_dir),
                              "--exchange", str(exchange), *(init_args or [])],
                             cwd=REPO, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            raise GradingError(f"`python -m grader init {course_dir}` as {grader_user} failed:\n{run.stderr or run.stdout}")
    elif course_dir.stat().st_uid != entry.pw_uid:
        raise GradingError(f"COURSE_DIR {course_dir} belongs to uid {course_dir.stat().st_uid}, not to the grader "
                           f"account {grader_user!r}: chown -R {grader_user} {course_dir}")
    course_dir.chmod(0o700)


def write_user_config(folder: Path, exchange: Path, course_id: str = COURSE_ID) -> Path:
    """The Jupyter config folder of every user's server: nbgrader's course id and exchange, the
    course's JupyterLab defaults, and no formgrader (instructors grade in the grader service)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(
        "# Made by `python -m grader hub`: the course every user's Assignments tab shows.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n", encoding="utf-8")
    labconfig = folder / "labconfig"
    if labconfig.exists():
        shutil.rmtree(labconfig)
    shutil.copytree(REPO / "jupyter-config" / "labconfig", labconfig)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {p: True for p in INSTRUCTOR_ONLY_PLUGINS}}, indent=1), encoding="utf-8")
    (folder / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": False}}}, indent=1),
        encoding="utf-8")
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


# --- the command --------------------------------------------------------------------------------------
def add_parser(sub) -> None:
    """The ``hub`` subcommand of ``python -m grader``."""
    hub = sub.add_parser("hub", help="a trial JupyterHub on this machine: students, instructors, formgrader "
                                     "(docs/jupyterhub.md)")
    hub.add_argument("course_dir", type=Path, metavar="COURSE_DIR", help="made with `grader init` as the grader "
                     "account when missing")
    hub.add_argument("--users", required=True, metavar="A,B", help="the students' user names")
    hub.add_argument("--instructor", required=True, metavar="A[,B]", help="the instructors' user names")
    hub.add_argument("--grader-user", default=f"grader-{COURSE_ID}", help="account that owns the course and runs "
                     "formgrader (default: %(default)s)")
    hub.add_argument("--create-users", action="store_true", help="create the accounts missing (root), with "
                     "generated passwords")
    hub.add_argument("--remove-users", action="store_true", help="delete the accounts created here when the hub stops")
    hub.add_argument("--home-base", type=Path, default=Path("/home"), metavar="DIR", help="where created users' "
                     "homes go (default: /home)")
    hub.add_argument("--exchange", type=Path, default=Path("/srv/nbgrader/exchange"), metavar="DIR",
                     help="nbgrader's exchange (default: %(default)s)")
    hub.add_argument("--state-dir", type=Path, metavar="DIR", help="the hub's database, cookie secret, settings "
                     "(default: COURSE_DIR-jupyterhub)")
    hub.add_argument("--ip", default="127.0.0.1", help="address the hub listens on (default: %(default)s)")
    hub.add_argument("--port", type=int, default=8000, help="its port (default: %(default)s)")
    hub.add_argument("--auth", choices=("pam", "shared"), default="pam",
                     help="pam: each user's system password (generated for created users); shared: one password "
                          "for everyone (jupyterhub's DummyAuthenticator; a TRIAL only, never on a network)")
    hub.add_argument("--configure-only", action="store_true", help="set everything up, print the jupyterhub "
                     "command, do not start it")


def _passwords(names: list[str], created: set[str]) -> dict[str, str]:
    return {n: secrets.token_urlsafe(9) for n in names if n in created}


def main(args: argparse.Namespace) -> int:
    if os.geteuid() != 0:
        raise GradingError("`grader hub` must run as root: JupyterHub starts each user's server as that user "
                           "(LocalProcessSpawner) and PAM checks system passwords")
    if not 0 < args.port < 65536:
        raise GradingError(f"--port must be 1-65535; got {args.port}")
    students = parse_users(args.users, "--users")
    instructors = parse_users(args.instructor, "--instructor")
    graders = parse_users(args.grader_user, "--grader-user")
    if not students or not instructors or len(graders) != 1:
        raise GradingError("--users and --instructor each need at least one name, --grader-user exactly one")
    grader_user = graders[0]
    if args.configure_only and args.remove_users:
        raise GradingError("--remove-users deletes the accounts when the hub stops: not with --configure-only")
    if set(students) & set(instructors) or grader_user in students + instructors:
        raise GradingError("--users, --instructor and --grader-user must name different accounts")
    if shutil.which("configurable-http-proxy") is None:
        raise GradingError("configurable-http-proxy is missing: `npm install -g configurable-http-proxy` (Node.js)")
    course_dir = args.course_dir.resolve()
    state = (args.state_dir or course_dir.with_name(course_dir.name + "-jupyterhub")).resolve()
    everyone = [*students, *instructors, grader_user]
    missing = [n for n in everyone if not user_exists(n)]
    if missing and not args.create_users:
        raise GradingError(f"no such user(s): {', '.join(missing)} (add --create-users to make them)")
    venv_hint = "install the course kit in a venv made from a Python every user can run (docs/jupyterhub.md)"
    check_reachable(Path(sys.executable), "the Python running this (users' servers run it too)", venv_hint)
    check_reachable(Path(sys.base_prefix) / "lib", "the Python running this (users' servers run it too)", venv_hint)
    created: list[str] = []
    try:
        # PAM: a generated system password per created account; shared: none (the hub checks the shared one).
        passwords = _passwords(students + instructors, set(missing)) if args.auth == "pam" else {}
        for name in missing:
            create_user(name, args.home_base, passwords.get(name), system=name == grader_user)
            created.append(name)
        prepare_exchange(args.exchange.resolve())
        prepare_course(course_dir, grader_user, args.exchange.resolve())
        state.mkdir(parents=True, exist_ok=True)
        state.chmod(0o711)  # the users' servers read user-config/ in it
        user_config = write_user_config(state / "user-config", args.exchange.resolve())
        check_reachable(user_config, "--state-dir")
        check_reachable(args.exchange.resolve(), "--exchange")
        shared = secrets.token_urlsafe(9) if args.auth == "shared" else ""
        settings = HubSettings(
            course_dir=str(course_dir), exchange=str(args.exchange.resolve()), grader_user=grader_user,
            students=students, instructors=instructors, user_config_dir=str(user_config), state_dir=str(state),
            ip=args.ip, port=args.port, hub_port=free_port(), proxy_api_port=free_port(), service_port=free_port(),
            authenticator=args.auth, shared_password=shared)
        settings_file = settings.write(state / "hub.json")
        lines = [f"  {n:20} {passwords[n] if n in passwords else (shared or '(their system password)')}"
                 for n in students + instructors]
        (state / "passwords.txt").touch(0o600)
        (state / "passwords.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        command = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(HUB_CONFIG)]
        env = {**_own_environment(), SETTINGS_ENV: str(settings_file),
               "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
        print(f"course {course_dir} (grader account {grader_user}), exchange {args.exchange}")
        print(f"accounts and passwords ({'TRIAL shared password' if shared else 'PAM'}; also in {state / 'passwords.txt'}):")
        print("\n".join(lines))
        if args.configure_only:
            print(f"start it with: cd {state} && {SETTINGS_ENV}={settings_file} {' '.join(command)}")
            return 0
        print(f"JupyterHub: http://{args.ip}:{args.port}/  (instructors: formgrader at /services/{COURSE_ID}/formgrader)",
              flush=True)
        return _run(command, env, state)
    finally:
        if args.remove_users:
            for name in created:
                remove_user(name)


def _run(command: list[str], env: dict, cwd: Path) -> int:
    """Run jupyterhub until it ends or this process is told to stop (it then stops its servers)."""
    process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    stop = lambda *_: process.poll() is None and process.send_signal(signal.SIGTERM)
    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                code = process.wait(timeout=1)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if process.poll() is None:
            process.kill()
            process.wait()
    return 0 if code in (0, -signal.SIGTERM) else code
