"""What the console's pages declare they read (`api.console.page_reads`) are SSM read
operations of the API's own access table, so a page cannot ask about an action the API does
not have, nor about one that changes something."""

from __future__ import annotations

from starlette.requests import Request

from transom.api.console import page_reads
from transom.api.console.authorized import Reads
from transom.domain.events import Realm
from transom.protocol.audit import READS
from transom.protocol.awsjson.access import SSM
from transom.protocol.awsjson.registry import Params
from transom.services.authorization import Arns

PATH = {"window_id": "mw-0123456789abcdef0", "instance_id": "mi-0123456789abcdef0"}


def request(query: bytes = b"") -> Request:
    return Request({"type": "http", "path_params": PATH, "query_string": query, "headers": []})


def test_every_page_reads_ssm_read_operations_of_the_access_table() -> None:
    declared = {name: value for name, value in vars(page_reads).items() if isinstance(value, Reads)}
    assert len(declared) >= 11
    asked: list[tuple[str, Params]] = []
    for reads in declared.values():
        for shown in (request(), request(b"window=mw-0123456789abcdef0")):
            asked += reads.page(shown)
            for section in reads.sections.values():
                asked += section.needs(shown)
    asked += page_reads.feed(None) + page_reads.feed("mw-0123456789abcdef0")
    for operation, params in asked:
        assert operation in READS["ssm"], operation
        assert SSM[operation](Arns(Realm()), params), operation
