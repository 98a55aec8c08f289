"""A server to watch: its `/metrics` wants a known token, failed deliveries wait an hour, and
on PostgreSQL it reaches its database through a `TcpProxy` a test can cut."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.metrics import Scrape, scrape
from tests.support.servers import Database, ServerProcess, database, install_test_key
from tests.support.tcp_proxy import TcpProxy

TOKEN = "metrics-test-token"


@dataclass
class Watched:
    server: ServerProcess
    db: Database
    """The database as the tests reach it (not through the proxy)."""
    proxy: TcpProxy | None
    """How the server reaches PostgreSQL; None on SQLite."""

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def metrics(self) -> Scrape:
        return scrape(self.endpoint, TOKEN)


@contextmanager
def watched_server(kind: str, tmp: Path) -> Iterator[Watched]:
    token_file = tmp / "token"
    token_file.write_text(f"  {TOKEN}\n")  # surrounded by blanks, as an editor may leave it
    args = ["--metrics-token-file", str(token_file), "--delivery-retry-delay", "3600"]
    with database(kind, tmp) as db:
        install_test_key(db)
        proxy = None
        served = db
        if db.url is not None:
            url = make_url(db.url)
            proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432)).start()
            proxied = url.set(host="127.0.0.1", port=proxy.port)
            served = dataclasses.replace(db, url=proxied.render_as_string(hide_password=False))
        server = ServerProcess(served, args).start()
        try:
            yield Watched(server, db, proxy)
        finally:
            server.stop()
            if proxy is not None:
                proxy.stop()
