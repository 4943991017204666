"""A throw-away PostgreSQL server for the tests: fixture :func:`postgres_url`, function :func:`start_postgres`.

nbgrader's gradebook is an SQLAlchemy database; a course with several graders or autograde
workers keeps it in PostgreSQL. To test that set-up, the tests start a private server of their
own (Debian package ``postgresql``; nothing else is needed: no running service, no password):

- the server programs (``initdb``, ``pg_ctl``, ``postgres``) are taken from the first folder on
  ``PATH`` that has all three (symlinks followed), else from the newest ``/usr/lib/postgresql/*/bin``
  (where Debian installs them, outside ``PATH``);
- a new folder under ``tmpdir`` holds the cluster (``data/``), its log (``server.log``) and its
  socket: the server listens on that Unix socket only (no TCP port, so nothing can collide with
  another server), trusts local connections, and skips fsync (test data is thrown away anyway);
- PostgreSQL refuses to run as root, so when the tests run as root (containers, CI) ``initdb``
  and the server run as the ``postgres`` system user, or ``nobody`` when there is none, and the
  folder belongs to that user (mode 0700: root can still connect, other users cannot);
- the URL uses the psycopg 3 driver and names the socket's folder with ``host=``, e.g.
  ``postgresql+psycopg://postgres@/dlcourse?host=/tmp/pg-x1y2&port=5432``, which
  ``nbgrader.api.Gradebook(url, course_id)`` and ``sqlalchemy.create_engine`` accept as is.

``start_postgres(tmpdir)`` returns ``(url, stop)``; ``stop()`` shuts the server down (fast mode)
and removes its folder; it is idempotent and also registered with :mod:`atexit`. Start-up
(initdb, start, CREATE DATABASE) takes 1-2 s on an idle machine, most of it initdb; stopping 0.2 s.
Use it outside pytest like this::

    url, stop = start_postgres(tempfile.gettempdir())
    try:
        ...  # Gradebook(url, "course")
    finally:
        stop()

The session fixture ``postgres_url`` does the same around the whole test session (teardown runs
even when tests fail), and skips with instructions when PostgreSQL is not installed. A test
module uses it by importing it (``from postgres import postgres_url``); ``create_database`` makes
a separate, empty database on the same server for a test that needs a fresh one.
"""
from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
INSTALL_HINT = "install them with `apt-get install postgresql` (Debian/Ubuntu; the programs land in /usr/lib/postgresql/N/bin)"
SUPERUSER = "postgres"  # the cluster's superuser (initdb -U), whatever system user runs the server
DATABASE = "dlcourse"
PORT = 5432  # names the socket file (.s.PGSQL.5432) only: the server opens no TCP port
SOCKET_PATH_MAX = 107  # sun_path is 108 bytes on Linux, including the final NUL
SETTINGS = {
    "listen_addresses": "''",
    "port": str(PORT),
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def find_server_bin() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``: from ``PATH``, else the newest Debian one."""
    found = (shutil.which(name) for name in SERVER_PROGRAMS)
    candidates = [Path(os.path.realpath(path)).parent for path in found if path]

    def version(folder: str) -> tuple[int, ...]:
        number = Path(folder).parent.name  # /usr/lib/postgresql/15/bin -> "15"
        return tuple(int(part) for part in number.split(".") if part.isdigit())

    candidates += [Path(folder) for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)]
    for folder in candidates:
        if all(os.access(folder / name, os.X_OK) for name in SERVER_PROGRAMS):
            return folder
    return None


def server_user() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as when we are root (``postgres``, else ``nobody``); None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, and there is neither a 'postgres' nor a 'nobody' user to run PostgreSQL as")


def _run(command: list[str | Path], user: pwd.struct_passwd | None, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``command`` as ``user`` (None: as ourselves) with output captured; never raises on failure."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}  # no stray PGDATA, PGPORT
    drop = {}
    if user is not None:
        env.update(HOME=str(cwd), USER=user.pw_name, LOGNAME=user.pw_name)
        drop = dict(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, **drop)


def sqlalchemy_url(socket_dir: str | Path, database: str = DATABASE) -> str:
    """The SQLAlchemy URL (psycopg 3 driver) of ``database`` on the server whose socket is in ``socket_dir``."""
    from sqlalchemy.engine import URL

    url = URL.create("postgresql+psycopg", username=SUPERUSER, database=database,
                     query={"host": str(socket_dir), "port": str(PORT)})
    return url.render_as_string(hide_password=False)


def connect(url: str, **kwargs):
    """A plain psycopg connection to the database of an SQLAlchemy ``url`` made here (e.g. for CREATE DATABASE)."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return psycopg.connect(host=parsed.query["host"], port=int(parsed.query["port"]), user=parsed.username,
                           dbname=parsed.database, **kwargs)


def create_database(url: str, name: str) -> str:
    """Create the empty database ``name`` on the server of ``url``; return its URL."""
    from psycopg import sql
    from sqlalchemy.engine import make_url

    with connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def start_postgres(tmpdir: str | Path) -> tuple[str, Callable[[], None]]:
    """Start a private PostgreSQL server in a new folder under ``tmpdir``; return ``(url, stop)``.

    ``url`` is the SQLAlchemy URL of the (empty) database ``dlcourse``; ``stop()`` stops the
    server and removes the folder. When we are root, the server runs as :func:`server_user`,
    which must be able to reach ``tmpdir`` (the system temporary folder always works). Raises
    FileNotFoundError when PostgreSQL is not installed, RuntimeError when it does not start.
    """
    bindir = find_server_bin()
    if bindir is None:
        raise FileNotFoundError(f"PostgreSQL server programs ({', '.join(SERVER_PROGRAMS)}) not found on PATH "
                                f"nor in /usr/lib/postgresql/*/bin: {INSTALL_HINT}")
    user = server_user()
    base = Path(tempfile.mkdtemp(prefix="pg-", dir=tmpdir)).resolve()
    data, log = base / "data", base / "server.log"
    stopped = False

    def stop() -> None:
        """Stop the server (fast shutdown: open sessions are cut) and remove its folder; safe to call twice."""
        nonlocal stopped
        if stopped:
            return
        stopped = True
        atexit.unregister(stop)
        try:
            if (data / "postmaster.pid").exists():
                for mode in ("fast", "immediate"):
                    if _run([bindir / "pg_ctl", "stop", "-D", data, "-m", mode, "-w", "-t", "30"], user, base).returncode == 0:
                        break
        finally:
            shutil.rmtree(base, ignore_errors=True)

    def check(result: subprocess.CompletedProcess, what: str) -> None:
        if result.returncode == 0:
            return
        server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        who = f" (run as user {user.pw_name!r}, who must be able to reach {base})" if user else ""
        raise RuntimeError(f"{what} failed{who}:\n{result.stdout}{result.stderr}{server_log}")

    atexit.register(stop)
    try:
        socket = base / f".s.PGSQL.{PORT}"
        if len(str(socket)) > SOCKET_PATH_MAX or any(char in str(base) for char in ",:'\\ "):
            raise RuntimeError(f"{base} does not suit a Unix socket (too long, or , : ' \\ or a space in it): "
                               "use a short tmpdir such as /tmp")
        if user is not None:
            os.chown(base, user.pw_uid, user.pw_gid)
        check(_run([bindir / "initdb", "-D", data, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C",
                    "--no-sync"], user, base), "initdb")
        settings = {**SETTINGS, "unix_socket_directories": f"'{base}'"}
        with open(data / "postgresql.conf", "a") as conf:  # later lines win over initdb's
            conf.write("\n# tests/postgres.py\n" + "".join(f"{key} = {value}\n" for key, value in settings.items()))
        check(_run([bindir / "pg_ctl", "start", "-D", data, "-l", log, "-w", "-t", "60", "-s"], user, base), "pg_ctl start")
        url = create_database(sqlalchemy_url(base, "postgres"), DATABASE)
    except BaseException:
        stop()
        raise
    return url, stop


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of an empty database ``dlcourse`` on a private PostgreSQL server, for the whole session."""
    if find_server_bin() is None:
        pytest.skip(f"PostgreSQL server programs ({', '.join(SERVER_PROGRAMS)}) not found on PATH nor in "
                    f"/usr/lib/postgresql/*/bin: {INSTALL_HINT}")
    url, stop = start_postgres(tempfile.gettempdir())
    try:
        yield url
    finally:
        stop()
