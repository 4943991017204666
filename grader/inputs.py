"""Reading what students hand in: regular files only, size-capped, never quoted.

A submission folder is made by the student (or by an LMS from their upload). Its files
are opened without following symbolic links (``O_NOFOLLOW``) and without blocking
(``O_NONBLOCK``, so a FIFO cannot stop the run); anything but a regular file is refused,
and a file over its size cap is refused before it is read. Error messages name the file
and what is wrong, never its content. Text from a student that is printed or written to
a CSV goes through :func:`printable` first.
"""
from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

#: The largest ``timestamp.txt`` that is read (nbgrader's is one line).
MAX_TIMESTAMP_BYTES = 1024


class InputError(ValueError):
    """A submitted file that is not graded (not a regular file, too large); the message names no content."""


def printable(text: str, keep: str = "") -> str:
    """``text`` with control and format characters (newline, escape, bidi overrides...)
    shown as visible escapes (``\\n``, ``\\x1b``, ``\\u202e``), except those in ``keep``."""
    out = []
    for ch in str(text):
        if ch not in keep and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, a regular file (not a symbolic link) of at most ``limit`` bytes.

    Raises :class:`InputError` (naming the file's kind or size, never its content) for
    anything else; the file is never followed, waited on or read past ``limit``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.islink(path):
            raise InputError("a symbolic link, not a file") from None
        raise InputError(f"cannot be opened ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{_kind(st.st_mode)}, not a file")
        if st.st_size > limit:
            raise InputError(f"{st.st_size} bytes, over the limit of {limit}")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            raise InputError(f"over the limit of {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def listed(folder: Path, pattern: str) -> list[Path]:
    """The entries of ``folder`` matching ``pattern`` that are not folders (symbolic links
    and special files included, so that they are reported rather than silently skipped)."""
    out = []
    for p in sorted(folder.glob(pattern)):
        try:
            if not stat.S_ISDIR(os.lstat(p).st_mode):
                out.append(p)
        except OSError:
            continue
    return out


def read_timestamp(path: Path) -> tuple[str | None, str]:
    """(the submission time of ``timestamp.txt`` as written, or None; the problem, or "").

    None with no problem when there is no file. A file that is not a regular file, too
    large, or not a date nbgrader can read gives None and the problem: the submission is
    graded without a late-penalty decision, instead of failing in nbgrader.
    """
    if not os.path.lexists(path):
        return None, ""
    try:
        text = read_regular(path, MAX_TIMESTAMP_BYTES).decode("utf-8").strip()
        from nbgrader.utils import parse_utc

        parse_utc(text)
    except InputError as exc:
        return None, f"timestamp.txt is {exc}; graded without a late-penalty decision"
    except Exception:
        return None, "timestamp.txt holds no date nbgrader can read; graded without a late-penalty decision"
    return text, ""
