"""honest_moto: moto 5.2.5 server mode, patched to refuse what AWS refuses.

    from honest_moto import install, make_app, make_server
    install()                      # patch moto (idempotent)
    server = make_server("127.0.0.1", 0)
    server.serve_forever()

See testbed/README.md for the rules, the control API and the launcher.
"""

from __future__ import annotations

from typing import Any

__all__ = ["install", "make_app", "make_server", "STATE"]

import threading

_INSTALLED = False
_ELBV2_INSTALLED = False
_INSTALL_LOCK = threading.Lock()


def install(eager: bool = True) -> None:
    """Patch moto.  ELBv2's models import all of moto's EC2 (about 3 s), so with
    eager=False that part waits for ``install_elbv2()``, which the app calls before
    the first ELBv2/EC2 request and ``make_server`` runs in the background."""
    global _INSTALLED
    with _INSTALL_LOCK:
        if not _INSTALLED:
            import moto

            if moto.__version__ != "5.2.5":  # the patches read moto 5.2.5's internals
                import warnings

                warnings.warn(f"honest_moto was written against moto 5.2.5, found {moto.__version__}", stacklevel=2)
            from . import cloudfront, route53, saas

            cloudfront.install()
            saas.install()
            route53.install()
            _INSTALLED = True
    if eager:
        install_elbv2()


def install_elbv2() -> None:
    global _ELBV2_INSTALLED
    if _ELBV2_INSTALLED:
        return
    with _INSTALL_LOCK:
        if not _ELBV2_INSTALLED:
            from . import elbv2

            elbv2.install()
            _ELBV2_INSTALLED = True


def make_app() -> Any:
    install(eager=False)
    from .app import HonestApp

    return HonestApp()


def make_server(host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> Any:
    """A threaded werkzeug server (not started) serving the honest app."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server as _make_server

    handler = MotoRequestHandler
    if quiet:

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        handler = QuietHandler
    app = make_app()
    server = _make_server(host, port, app, threaded=True, request_handler=handler)
    # Do not wait for clients' idle keep-alive connections on shutdown.
    server.daemon_threads = True
    server.block_on_close = False

    def warm() -> None:
        install_elbv2()
        app.warm()

    threading.Thread(target=warm, name="warm", daemon=True).start()
    return server


from .state import STATE  # noqa: E402
