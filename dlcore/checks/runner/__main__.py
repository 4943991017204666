"""``python -m runner zygote CONTROL_FD [UID]`` or ``python -m runner serve RFD WFD``.

The sandbox starts the runner this way, with only this folder and NumPy importable (see
``grader.sandbox``). ``zygote`` serves submission after submission (:mod:`.zygote`);
``serve`` serves one submission on two inherited pipe ends (:mod:`.serve`). With ``UID``
(the grader runs as root and bubblewrap without a user namespace), the process first
becomes that unprivileged user and group, so that the process limit applies to it.
"""
from __future__ import annotations

import os
import sys

from .serve import Channel, SubmissionServer
from .zygote import Zygote


def _drop_to(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("could not drop privileges")


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in ("zygote", "serve"):
        raise SystemExit(__doc__)
    # fds 0-2 go nowhere: the student's output is captured at the Python level, and
    # nothing written to a raw fd can reach the grader's channel.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    if argv[1] == "zygote":
        if len(argv) > 3:
            _drop_to(int(argv[3]))
        Zygote(int(argv[2])).serve()
    else:
        SubmissionServer(Channel(int(argv[2]), int(argv[3]))).serve()


if __name__ == "__main__":
    main(sys.argv)
