"""Running the HTTP server in the foreground until SIGTERM or SIGINT (imported lazily)."""

from __future__ import annotations

import dataclasses
import gc
import logging
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from types import FrameType

import uvicorn

from transom.api.agent import Signals
from transom.bootstrap import Settings, build_app
from transom.cli.connections import ConnectionLimits
from transom.cli.logs import process_log
from transom.store.engine import redacted_url
from transom.store.sql import SqlStore

log = logging.getLogger(__name__)
CHILD_STOP_SECONDS = 30.0
"""How long the companion may take to stop after SIGTERM before it is killed."""
YOUNG_COLLECTION_EVERY = 400_000
"""Container objects allocated (net) between two young collections of the cyclic garbage
collector: Python's 700 suits a small heap, not a server holding thousands of long polls."""


def tune_garbage_collector() -> None:
    """Spare the server collections that find nothing: the objects of its start (modules,
    botocore's model, the app) leave the collector's view, and young collections run every
    `YOUNG_COLLECTION_EVERY` allocations instead of 700. At 700, a batch of hand-outs or
    results survives several young collections while it runs, its short-lived objects reach
    the old generation and soon bring on a full collection, which walks every waiting poll:
    with 5,000 agents in process, 5 full collections during one command, a quarter of the
    CPU it took; at 50,000, 3 young collections and none full. At 50,000 a young collection
    still walked the 50,000-200,000 objects of the polls in flight and found nothing (10,000
    agents in process: 1.3 s of collection in one command); at 400,000 most of them are gone
    before it comes (0.3 s). Cyclic garbage is still collected, only later."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 20, 10)


class _Server(uvicorn.Server):
    """uvicorn's server, which also tells long polls to answer when shutdown begins.

    SIGTERM and SIGINT reach it only through `handle_exit`, which sets flags that its main
    loop reads each tick: a signal handler that raises, or takes a lock, can fire anywhere
    (inside a finally block, a weakref callback, a critical section of this thread) and be
    lost or deadlock. The long polls are woken from the event loop as shutdown begins."""

    def __init__(self, config: uvicorn.Config, signals: Signals) -> None:
        super().__init__(config)
        self._signals = signals

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._signals.stop()
        await super().shutdown(sockets)


def serve(
    settings: Settings,
    store: SqlStore,
    limits: ConnectionLimits,
    companion: Callable[[str], subprocess.Popen[bytes]] | None = None,
) -> None:
    """Bind, say where in one line on stderr, serve within `limits`, and close the store on
    the way out. `companion`, given the server's URL once it listens, starts a child process
    that is stopped (SIGTERM) when the server stops."""
    problem = _tls_problem(settings)
    if problem is not None:
        store.close()
        log.error("%s", problem)
        sys.exit(1)
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", settings.host, settings.port, exc.strerror)
        sys.exit(1)
    sock.listen(2048)  # accept (queue) connections from the moment we say where we listen
    host, port = sock.getsockname()[:2]
    settings = dataclasses.replace(settings, port=port)  # the one bound, for `base_url`
    # From here SIGTERM and SIGINT only ask the server to stop, also before it runs (uvicorn
    # installs its own handler while it runs, and afterwards re-raises the signals it caught
    # under this one).
    server: _Server | None = None
    stop_requested = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stop_requested
        stop_requested = True
        if server is not None:
            server.handle_exit(signum, frame)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    signals = Signals()
    try:
        app = build_app(store, settings, signals)
    except ValueError as exc:  # a bad --smtp-url or key file (signing, metrics token, master)
        store.close()
        log.error("%s", exc)
        sys.exit(1)
    cap = limits.connection_cap()
    config = uvicorn.Config(
        app,
        log_config=None,  # logging is set up by the command (transom.cli.logs)
        access_log=logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO),
        lifespan="on",
        timeout_graceful_shutdown=10,
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
        http=limits.protocol(cap),
        timeout_keep_alive=limits.keep_alive_seconds,
        # X-Forwarded-For names the client only when a trusted proxy sends it
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
    )
    process_log.info(
        "server listening on %s://%s",
        settings.scheme,
        _where(host, port),
        extra={"database": redacted_url(settings.url), "max_connections": cap},
    )
    child = None
    try:
        if companion is not None:  # on this host: through loopback if listening on all
            child = companion(f"{settings.scheme}://{_where(_LOOPBACK.get(host, host), port)}")
        server = _Server(config, signals)
        tune_garbage_collector()
        if stop_requested:
            server.should_exit = True  # uvicorn then skips its main loop
        server.run(sockets=[sock])
    finally:
        if child is not None:
            _stop_child(child)
        store.close()
    process_log.info("server stopped")


_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def _tls_problem(settings: Settings) -> str | None:
    """Why https cannot be served with the certificate and key given; None when it can, or
    when the server serves plain http."""
    if settings.tls_cert is None:
        return None
    try:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as exc:
        return f"cannot serve https with {settings.tls_cert} and {settings.tls_key}: {exc}"
    return None


def _where(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=CHILD_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
