"""Finding: the agent channel read a body whole before checking its size, also on the
unauthenticated `/agent/v1/register` (100 MB in, +300 MB of server memory). Now every route
refuses a body past its limit from Content-Length before reading it, and a chunked body as
soon as it grows past the limit: 413, and the server's memory does not grow with the body."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.servers import ServerProcess
from transom.wire import MAX_REPORT_BYTES

HUNDRED_MB = 100 * 1024 * 1024
CHUNK = b"x" * (256 * 1024)
GROWTH_ALLOWED = 32 * 1024 * 1024
"""Less than a third of the body: what a server that reads it whole could not stay under."""
ROUTES = [  # (path, headers, status): a node's reports are read only once it is known
    pytest.param("/", {"X-Amz-Target": "AmazonSSM.GetMaintenanceWindow"}, 413, id="aws-json"),
    pytest.param("/", {"Content-Type": "application/x-www-form-urlencoded"}, 413, id="sns"),
    pytest.param("/v1/windows/mw-0123456789abcdef0/executions", {}, 413, id="rest"),
    pytest.param("/agent/v1/register", {}, 413, id="register"),
    pytest.param("/agent/v1/poll", {}, 401, id="poll"),
    pytest.param("/agent/v1/results", {}, 401, id="results"),
]


def resident_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def stream(server: ServerProcess, path: str, headers: dict[str, str], *, chunked: bool) -> bytes:
    """POST 100 MB to `path` (declared by Content-Length, or chunked) as fast as the server
    takes it, until it answers or stops reading; the start of its answer."""
    where = urlsplit(server.endpoint)
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUNDRED_MB}"
        head = [f"POST {path} HTTP/1.1", f"Host: {where.netloc}", length]
        head += [f"{name}: {value}" for name, value in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        frame = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK
        sock.settimeout(5)  # a server that stopped reading blocks the sender
        try:
            for _ in range(HUNDRED_MB // len(CHUNK)):
                sock.sendall(frame)
        except OSError:
            pass  # it answered and closed, or stopped reading: the answer is waiting
        sock.settimeout(30)
        try:
            return sock.recv(4096)
        except ConnectionResetError:
            return b""  # it answered and closed before all we sent was read


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("path", "headers", "status"), ROUTES)
def test_a_hundred_megabyte_body_is_refused_without_the_server_holding_it(
    server: ServerProcess, path: str, headers: dict[str, str], status: int, chunked: bool
) -> None:
    assert server.process is not None
    before = resident_bytes(server.process.pid)
    answer = stream(server, path, headers, chunked=chunked)
    assert resident_bytes(server.process.pid) - before < GROWTH_ALLOWED
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:200]


def test_a_nodes_report_declared_past_its_limit_is_refused_unread(
    server: ServerProcess, node: dict[str, str]
) -> None:
    assert server.process is not None
    before = resident_bytes(server.process.pid)
    answer = stream(server, "/agent/v1/results", node, chunked=False)
    assert resident_bytes(server.process.pid) - before < GROWTH_ALLOWED
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"larger than %d bytes" % MAX_REPORT_BYTES in answer
