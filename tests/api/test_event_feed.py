"""`GET /v1/events`: the outbox as envelopes through a pattern, long-polled, on a real server."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support.outbox import append, markers, window_event
from tests.support.servers import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, Database, ServerProcess
from transom.domain.events import TRANSOM


def get_events(endpoint: str, params: dict[str, str], sign: bool = True) -> httpx.Response:
    url = f"{endpoint}/v1/events?{urlencode(params, quote_via=quote)}"
    request = AWSRequest(method="GET", url=url)
    if sign:
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "ssm", REGION).add_auth(request)
    return httpx.get(url, headers=dict(request.headers), timeout=30)


def read(endpoint: str, **params: str) -> dict[str, Any]:
    response = get_events(endpoint, params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def only(marker: str, **detail: list[Any]) -> str:
    return json.dumps({"detail": {"marker": [marker], **detail}})


def test_events_after_a_position_come_as_envelopes_in_order(
    server: ServerProcess, backend_db: Database
) -> None:
    marker = uuid.uuid4().hex
    start = read(server.endpoint, pattern=only(marker))
    assert start["events"] == []
    append(
        backend_db,
        window_event("RUNNING", marker),
        window_event("FAILED", marker),
        window_event("FAILED", marker, source=TRANSOM),
    )
    answer = read(server.endpoint, after=str(start["next"]), pattern=only(marker))
    assert markers(answer["events"]) == [
        ("RUNNING", marker),
        ("FAILED", marker),
        ("FAILED", marker),
    ]
    first = answer["events"][0]
    assert first["source"] == "aws.ssm"
    assert first["detail-type"] == "Maintenance Window Execution State-change Notification"
    assert list(first) == [
        *("version", "id", "detail-type", "source", "account", "time", "region"),
        *("resources", "detail"),
    ]
    assert answer["next"] > start["next"]
    assert read(server.endpoint, after=str(answer["next"]), pattern=only(marker))["events"] == []


def test_a_pattern_picks_the_events(server: ServerProcess, backend_db: Database) -> None:
    marker = uuid.uuid4().hex
    start = read(server.endpoint)["next"]
    append(
        backend_db,
        window_event("SUCCESS", marker),
        window_event("FAILED", marker),
        window_event("FAILED", marker, source=TRANSOM),
    )
    pattern = json.dumps(
        {"source": ["aws.ssm"], "detail": {"marker": [marker], "status": ["FAILED"]}}
    )
    answer = read(server.endpoint, after=str(start), pattern=pattern)
    assert markers(answer["events"]) == [("FAILED", marker)]
    assert answer["events"][0]["source"] == "aws.ssm"


def test_a_waiting_read_answers_as_soon_as_an_event_comes(
    server: ServerProcess, backend_db: Database
) -> None:
    marker = uuid.uuid4().hex
    start = read(server.endpoint)["next"]
    answers: list[dict[str, Any]] = []
    began = time.monotonic()
    reader = threading.Thread(
        target=lambda: answers.append(
            read(server.endpoint, after=str(start), pattern=only(marker), wait="15")
        )
    )
    reader.start()
    append(backend_db, window_event("SUCCESS", f"not-{marker}"))
    append(backend_db, window_event("FAILED", marker))
    reader.join(timeout=30)
    assert markers(answers[0]["events"]) == [("FAILED", marker)]
    assert time.monotonic() - began < 10


def test_a_waiting_read_with_nothing_to_see_answers_after_its_wait(server: ServerProcess) -> None:
    began = time.monotonic()
    answer = read(server.endpoint, pattern=only(uuid.uuid4().hex), wait="0.5")
    assert answer["events"] == []
    assert 0.5 <= time.monotonic() - began < 10


@pytest.mark.parametrize(
    ("params", "code", "says"),
    [
        (
            {"pattern": '{"detail": {"status": "FAILED"}}'},
            "InvalidEventPatternException",
            '"status" must be an object or an array',
        ),
        ({"pattern": "{"}, "InvalidEventPatternException", "not valid JSON"),
        (
            {"pattern": '{"n": [{"numeric": [">", "1"]}]}'},
            "InvalidEventPatternException",
            'write "numeric" as',
        ),
        ({"after": "-1"}, "ValidationException", "whole number of 0 or more"),
        ({"after": "ten"}, "ValidationException", "is not a position"),
        ({"wait": "21"}, "ValidationException", "from 0 to 20"),
        ({"wait": "nan"}, "ValidationException", "from 0 to 20"),
        ({"wait": "soon"}, "ValidationException", "from 0 to 20"),
        ({"since": "0"}, "ValidationException", "Unknown query parameter 'since'"),
    ],
)
def test_bad_queries_are_refused_saying_what_to_fix(
    server: ServerProcess, params: dict[str, str], code: str, says: str
) -> None:
    response = get_events(server.endpoint, params)
    assert response.status_code == 400
    assert response.json()["__type"] == code
    assert says in response.json()["message"]


def test_an_unsigned_read_is_refused(server: ServerProcess) -> None:
    response = get_events(server.endpoint, {}, sign=False)
    assert response.status_code == 403
    assert response.json()["__type"] == "MissingAuthenticationTokenException"
