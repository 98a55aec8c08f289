"""Several `transom server` replicas on one database behind a real HAProxy, configured by
the README's example, `contrib/haproxy.cfg`, with only its addresses changed."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.servers import Database, ServerProcess, free_port
from tests.support.waiting import wait_for

CONFIG = Path(__file__).resolve().parents[2] / "contrib" / "haproxy.cfg"
_BIND = re.compile(r"^(\s*)bind\s+\S+(.*)$")
_SERVER = re.compile(r"^(\s*)server\s+\S+\s+\S+(.*)$")


def render(config: str, port: int, replicas: Sequence[int]) -> str:
    """`config` listening on 127.0.0.1:`port`, its server lines replaced by one per replica
    port on 127.0.0.1 (with the first one's options); every other line as written."""
    lines: list[str] = []
    placed = False
    for line in config.splitlines():
        if bind := _BIND.match(line):
            lines.append(f"{bind[1]}bind 127.0.0.1:{port}{bind[2]}")
        elif server := _SERVER.match(line):
            if not placed:
                lines += [
                    f"{server[1]}server transom{n} 127.0.0.1:{p}{server[2]}"
                    for n, p in enumerate(replicas, 1)
                ]
                placed = True
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


@dataclass
class Replicas:
    """`transom server` processes on one database, each keeping its port across restarts."""

    db: Database
    args: Sequence[str] = ()
    ports: list[int] = field(default_factory=list)
    servers: list[ServerProcess] = field(default_factory=list)

    def start(self, count: int) -> Replicas:
        """Start `count` replicas, side by side."""
        self.ports = [free_port() for _ in range(count)]
        with ThreadPoolExecutor(count) as pool:
            started = [pool.submit(self._server, port) for port in self.ports]
        self.servers = [f.result() for f in started if f.exception() is None]
        for failed in started:
            if (error := failed.exception()) is not None:
                self.kill_all()
                raise error
        return self

    def _server(self, port: int) -> ServerProcess:
        return ServerProcess(self.db, ["--port", str(port), *self.args]).start()

    def kill(self, index: int) -> None:
        """SIGKILL replica `index`."""
        self.servers[index].kill()

    def restart(self, index: int) -> None:
        """Start replica `index` again on its port (after `kill`)."""
        self.servers[index] = self._server(self.ports[index])

    def kill_all(self) -> None:
        for server in self.servers:
            server.kill()


@dataclass
class Balancer:
    """HAProxy running `contrib/haproxy.cfg` rendered for these replica ports; its log (the
    config logs every request to stdout) goes to `directory/haproxy.log`."""

    directory: Path
    replicas: Sequence[int]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Balancer:
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        assert Path(haproxy).exists(), "HAProxy is not installed: run scripts/test"
        self.port = free_port()
        config = self.directory / "haproxy.cfg"
        config.write_text(render(CONFIG.read_text(), self.port, self.replicas))
        with (self.directory / "haproxy.log").open("wb") as log:
            self.process = subprocess.Popen(
                [haproxy, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(self._routes, what="HAProxy to pass requests to a replica")
        return self

    def _routes(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, self.log()
        try:
            return httpx.get(f"{self.url}/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        return (self.directory / "haproxy.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
