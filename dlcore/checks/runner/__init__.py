"""Everything that runs in the student's process or in the sandbox.

- :mod:`.codec`: plain data without pickle, and the messages of the pipes (used by both
  sides: the grader reads and writes with the same functions);
- :mod:`.calls`: calling a student's function on plain data and reporting what happened;
- :mod:`.serve`: the sandbox protocol, served by the process of one submission (one
  *exercise child* forked per graded exercise);
- :mod:`.zygote`: the sandbox's preloaded process that forks one process per submission;
- ``python -m runner`` (:mod:`.__main__`): how the sandbox starts it.

This package imports only the standard library and NumPy, with relative imports, so that
the sandbox can mount this folder alone and import it as ``runner``
(``tests/test_runner.py`` enforces it). The public codec is re-exported here.
"""
from .calls import invoke, plain
from .codec import (
                    FUNCTIONS,
                    HEAD,
                    MAX_DEPTH,
                    MAX_FRAME,
                    MAX_HEADER,
                    Fn,
                    WireError,
                    decode,
                    encode,
                    length,
                    pack,
                    read_message,
                    write_message,
)

__all__ = ["FUNCTIONS", "HEAD", "MAX_DEPTH", "MAX_FRAME", "MAX_HEADER", "Fn", "WireError", "decode", "encode", "invoke",
           "length", "pack", "plain", "read_message", "write_message"]
