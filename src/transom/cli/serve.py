"""Running the HTTP server in the foreground until SIGTERM or SIGINT (imported lazily)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from types import FrameType

import uvicorn

from transom.api.agent import Signals
from transom.bootstrap import Settings, build_app
from transom.store.sql import SqlStore


class _Server(uvicorn.Server):
    """uvicorn's server, which also tells long polls to answer when shutdown begins."""

    def __init__(self, config: uvicorn.Config, signals: Signals) -> None:
        super().__init__(config)
        self._signals = signals

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._signals.stop()
        super().handle_exit(sig, frame)


def serve(
    settings: Settings,
    store: SqlStore,
    companion: Callable[[str], subprocess.Popen[bytes]] | None = None,
) -> None:
    """Bind, say where in one line on stderr, serve, and close the store on the way out.
    `companion`, given the server's URL once it listens, starts a child process that is
    stopped (SIGTERM) when the server stops."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sys.exit(f"transom: cannot listen on {settings.host}:{settings.port}: {exc.strerror}")
    sock.listen(2048)  # accept (queue) connections from the moment we say where we listen
    host, port = sock.getsockname()[:2]
    signals = Signals()
    app = build_app(store, settings, signals)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=10
    )
    where = f"[{host}]" if family == socket.AF_INET6 else host
    print(
        f"transom server listening on http://{where}:{port} (database {_redacted(settings.url)})",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal under the
    # handlers it found; these turn that into a normal exit so the store is closed.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_normally)
    child = None if companion is None else companion(f"http://{where}:{port}")
    try:
        _Server(config, signals).run(sockets=[sock])
    except SystemExit:
        pass
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=30)
        store.close()
    print("transom server stopped", file=sys.stderr, flush=True)


def _exit_normally(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
