"""The seccomp filter of the sandbox: a small classic-BPF program built here, loaded by
bubblewrap (``--seccomp FD``) before it starts the runner.

System calls that would let one submission reach the grader, another submission or the
kernel's shared state fail with ``EPERM``: tracing and writing another process's memory
(``ptrace``, ``process_vm_readv/writev``), the kernel keyrings (``add_key``, ``keyctl``,
``request_key``: a key survives the sandbox), POSIX message queues (``mq_*``), ``bpf``,
``perf_event_open``, ``userfaultfd``, io_uring, new namespaces and mounts (``unshare``,
``setns``, ``mount``, ``umount2``, ``pivot_root``, ``chroot``), loading kernel modules and
``kexec``. x32 system calls and any other architecture than the one the grader runs on
are refused as a whole. Everything else is allowed: NumPy, threads and ``fork`` work.
"""
from __future__ import annotations

import platform
import struct

__all__ = ["DENIED", "filter_program", "supported"]

#: Denied system calls, by name; numbers per architecture below.
DENIED = ("ptrace", "process_vm_readv", "process_vm_writev", "add_key", "keyctl", "request_key", "mq_open",
          "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr", "bpf", "perf_event_open",
          "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "unshare", "setns", "mount",
          "umount2", "pivot_root", "chroot", "init_module", "finit_module", "delete_module", "kexec_load",
          "kexec_file_load", "open_tree", "move_mount", "fsopen", "fsmount", "fsconfig", "fspick")

_X86_64 = {"ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "add_key": 248, "keyctl": 250,
           "request_key": 249, "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243,
           "mq_notify": 244, "mq_getsetattr": 245, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
           "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "unshare": 272, "setns": 308,
           "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "init_module": 175, "finit_module": 313,
           "delete_module": 176, "kexec_load": 246, "kexec_file_load": 320, "open_tree": 428, "move_mount": 429,
           "fsopen": 430, "fsmount": 432, "fsconfig": 431, "fspick": 433}
_AARCH64 = {"ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "add_key": 217, "keyctl": 219,
            "request_key": 218, "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183,
            "mq_notify": 184, "mq_getsetattr": 185, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
            "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "unshare": 97, "setns": 268,
            "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "init_module": 105, "finit_module": 273,
            "delete_module": 106, "kexec_load": 104, "kexec_file_load": 294, "open_tree": 428, "move_mount": 429,
            "fsopen": 430, "fsmount": 432, "fsconfig": 431, "fspick": 433}
#: machine -> (AUDIT_ARCH value, system call numbers)
_ARCHES = {"x86_64": (0xC000003E, _X86_64), "aarch64": (0xC00000B7, _AARCH64)}

# classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h)
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_RET_ALLOW, _RET_KILL_PROCESS, _RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_EPERM = 1
_OFF_NR, _OFF_ARCH = 0, 4  # offsets in struct seccomp_data


def supported() -> bool:
    """True when a filter can be built for this machine's architecture."""
    return platform.machine() in _ARCHES


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def filter_program(machine: str | None = None) -> bytes:
    """The BPF program (``struct sock_filter`` array) for ``machine`` (default: this one)."""
    machine = machine or platform.machine()
    if machine not in _ARCHES:
        raise ValueError(f"machine must be one of {sorted(_ARCHES)}; got {machine!r}")
    arch, numbers = _ARCHES[machine]
    denied = sorted({numbers[name] for name in DENIED})
    prog = [_insn(_LD_W_ABS, 0, 0, _OFF_ARCH),
            _insn(_JEQ_K, 1, 0, arch),
            _insn(_RET_K, 0, 0, _RET_KILL_PROCESS),
            _insn(_LD_W_ABS, 0, 0, _OFF_NR)]
    if machine == "x86_64":  # x32 ABI numbers have bit 30 set
        prog += [_insn(_JGE_K, 0, 1, 0x40000000), _insn(_RET_K, 0, 0, _RET_ERRNO | _EPERM)]
    n = len(denied)
    for i, nr in enumerate(denied):  # on a match jump to the EPERM return after the list
        prog.append(_insn(_JEQ_K, n - i, 0, nr))
    prog += [_insn(_RET_K, 0, 0, _RET_ALLOW), _insn(_RET_K, 0, 0, _RET_ERRNO | _EPERM)]
    return b"".join(prog)
