#!/usr/bin/env python3
"""Start the honest AWS emulator (moto 5.2.5 + AWS's rules) on loopback.

    python testbed/serve.py [--host 127.0.0.1] [--port 0] [--config JSON]
                            [--config-file FILE] [--port-file FILE]
                            [--exit-with-parent] [--log-requests]

Prints ``http://127.0.0.1:<port>`` on stdout (one line, flushed) once the socket is
bound and answering.  --port 0 (the default) picks a free port.  The starting
configuration (see honest_moto/state.py DEFAULTS) comes from $HONEST_MOTO_CONFIG
(JSON), then --config-file, then --config; resets return to it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def _exit_with_parent() -> None:
    parent = os.getppid()
    try:  # Linux: ask the kernel to kill us when the parent goes (nothing to flush)
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(0.5)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # parent already gone before prctl took effect
        os._exit(0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--config", help="JSON object of settings")
    ap.add_argument("--config-file", help="file holding a JSON object of settings")
    ap.add_argument("--port-file", help="write the bound port to this file once ready")
    ap.add_argument("--exit-with-parent", action="store_true", help="exit when the parent process dies")
    ap.add_argument("--log-requests", action="store_true", help="log every request on stderr")
    args = ap.parse_args(argv)

    if args.exit_with_parent:
        _exit_with_parent()

    settings: dict = {}
    try:
        if os.environ.get("HONEST_MOTO_CONFIG"):
            settings.update(json.loads(os.environ["HONEST_MOTO_CONFIG"]))
        if args.config_file:
            with open(args.config_file) as fh:
                settings.update(json.load(fh))
        if args.config:
            settings.update(json.loads(args.config))
    except ValueError as exc:
        print(f"serve.py: bad configuration: {exc}", file=sys.stderr)
        return 2

    from honest_moto import STATE, make_server

    try:
        STATE.set_startup(settings)
    except ValueError as exc:
        print(f"serve.py: bad configuration: {exc}", file=sys.stderr)
        return 2

    server = make_server(args.host, args.port, quiet=not args.log_requests)
    port = server.server_address[1]

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"http://{args.host}:{port}", flush=True)
    print(f"serve.py: honest moto listening on {args.host}:{port} (pid {os.getpid()})", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    # Skip interpreter finalization: tearing down moto's EC2 data takes seconds.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
