"""Event patterns: the User Guide's documented examples, invalid patterns, SSM events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transom.domain.errors import InvalidEventPatternError
from transom.domain.events import AWS_SSM, TRANSOM, Event, Realm
from transom.events.envelope import envelope
from transom.events.patterns import compile_pattern

EC2_TERMINATED = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}

NUMBERS = {"detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8}}

# (pattern, event, matches): the User Guide's examples, each with its near misses.
DOCUMENTED: list[tuple[Any, Any, bool]] = [
    # Fields are ANDed; the values of an array are alternatives.
    (
        {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["terminated"]},
        },
        EC2_TERMINATED,
        True,
    ),
    ({"detail": {"state": ["running", "terminated"]}}, EC2_TERMINATED, True),
    ({"detail": {"state": ["running", "stopped"]}}, EC2_TERMINATED, False),
    ({"source": ["aws.ec2"], "detail": {"state": ["running"]}}, EC2_TERMINATED, False),
    # Matching is exact and case-sensitive; a field the event lacks fails the match.
    ({"source": ["aws.EC2"]}, EC2_TERMINATED, False),
    ({"detail": {"state ": ["terminated"]}}, EC2_TERMINATED, False),
    ({"detail": {"instance-id": ["i-1234567890abcdef0"], "zone": ["a"]}}, EC2_TERMINATED, False),
    # An array in the event matches when any of its values does.
    (
        {
            "resources": [
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                "arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0",
            ]
        },
        EC2_TERMINATED,
        True,
    ),
    (
        {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]},
        EC2_TERMINATED,
        False,
    ),
    # Null and empty strings are values of their own, and differ from an absent field.
    ({"detail": {"responseElements": [None]}}, {"detail": {"responseElements": None}}, True),
    ({"detail": {"responseElements": [None]}}, {"detail": {}}, False),
    ({"detail": {"eventVersion": [""]}}, {"detail": {"eventVersion": ""}}, True),
    ({"detail": {"eventVersion": [""]}}, {"detail": {"eventVersion": None}}, False),
    # Numbers and booleans match by value and type.
    ({"detail": {"price": [100]}}, {"detail": {"price": 100.0}}, True),
    ({"detail": {"price": [100]}}, {"detail": {"price": "100"}}, False),
    ({"detail": {"enabled": [True]}}, {"detail": {"enabled": True}}, True),
    ({"detail": {"enabled": [True]}}, {"detail": {"enabled": 1}}, False),
    ({"detail": {"count": [1]}}, {"detail": {"count": True}}, False),
    # prefix, on strings only; with equals-ignore-case.
    ({"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"}, True),
    ({"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-03T18:43:48Z"}, False),
    (
        {"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]},
        {"source": "aws.autoscaling", "region": "eu-west-1"},
        True,
    ),
    (
        {"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]},
        {"source": "aws.autoscaling", "region": "us-east-1"},
        False,
    ),
    ({"price": [{"prefix": "1"}]}, {"price": 10}, False),
    ({"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"service": "eventbridge"}, True),
    ({"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"service": "EVENTBRIDGE"}, True),
    (
        {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]},
        {"service": "AmazonEventBridge"},
        False,
    ),
    # suffix; with equals-ignore-case.
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"}, True),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.PNG"}, False),
    ({"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"FileName": "image.PNG"}, True),
    (
        {"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]},
        {"service": "EventBRIDGE"},
        True,
    ),
    # anything-but: a value, strings or numbers, prefix, suffix, ignoring case, wildcard.
    (
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        {"detail": {"state": "running"}},
        True,
    ),
    (
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        {"detail": {"state": "initializing"}},
        False,
    ),
    ({"detail": {"state": [{"anything-but": "initializing"}]}}, {"detail": {}}, False),
    ({"detail": {"x-limit": [{"anything-but": 123}]}}, {"detail": {"x-limit": 124}}, True),
    ({"detail": {"x-limit": [{"anything-but": 123}]}}, {"detail": {"x-limit": 123.0}}, False),
    (
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        {"detail": {"state": "running"}},
        True,
    ),
    (
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        {"detail": {"state": "stopped"}},
        False,
    ),
    (
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        {"detail": {"x-limit": 250}},
        True,
    ),
    (
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        {"detail": {"x-limit": 200}},
        False,
    ),
    (
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        {"detail": {"state": "running"}},
        True,
    ),
    (
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        {"detail": {"state": "initializing"}},
        False,
    ),
    (
        {"detail": {"path": [{"anything-but": {"suffix": ".txt"}}]}},
        {"detail": {"path": "notes.md"}},
        True,
    ),
    (
        {"detail": {"path": [{"anything-but": {"suffix": ".txt"}}]}},
        {"detail": {"path": "notes.txt"}},
        False,
    ),
    (
        {"detail": {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}},
        {"detail": {"state": "INITIALIZING"}},
        False,
    ),
    (
        {
            "detail": {
                "state": [{"anything-but": {"equals-ignore-case": ["Stopped", "overloaded"]}}]
            }
        },
        {"detail": {"state": "STOPPED"}},
        False,
    ),
    (
        {
            "detail": {
                "state": [{"anything-but": {"equals-ignore-case": ["Stopped", "overloaded"]}}]
            }
        },
        {"detail": {"state": "running"}},
        True,
    ),
    ({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/bin/env"}, True),
    (
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/lib/libc.so"},
        False,
    ),
    (
        {"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]},
        {"FilePath": "/usr/bin/env"},
        False,
    ),
    # numeric ranges, on numbers only.
    (
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        },
        NUMBERS,
        True,
    ),
    ({"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}}, NUMBERS, False),
    ({"detail": {"c-count": [{"numeric": [">=", 5]}]}}, NUMBERS, True),
    ({"detail": {"c-count": [{"numeric": [">", 5]}]}}, NUMBERS, False),
    ({"detail": {"c-count": [{"numeric": [">", 0]}]}}, {"detail": {"c-count": "5"}}, False),
    ({"detail": {"c-count": [{"numeric": ["<", 10]}]}}, {"detail": {"c-count": [20, 3]}}, True),
    # cidr, for IP addresses.
    (
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        {"detail": {"sourceIPAddress": "10.0.0.255"}},
        True,
    ),
    (
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        {"detail": {"sourceIPAddress": "10.0.1.0"}},
        False,
    ),
    (
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        {"detail": {"sourceIPAddress": "example.com"}},
        False,
    ),
    ({"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}, {"sourceIPAddress": "2001:db8::1"}, True),
    # exists: only leaves exist; exists false also matches an absent field.
    ({"detail": {"state": [{"exists": True}]}}, EC2_TERMINATED, True),
    ({"detail": {"state": [{"exists": False}]}}, EC2_TERMINATED, False),
    ({"detail": {"state": [{"exists": True}]}}, {"detail": {}}, False),
    ({"detail": {"state": [{"exists": False}]}}, {"detail": {}}, True),
    ({"detail": {"state": [{"exists": False}]}}, {"source": "aws.ec2"}, True),
    ({"detail": {"state": [{"exists": True}]}}, {"detail": {"state": {"name": "x"}}}, False),
    ({"detail": {"state": [{"exists": True}]}}, {"detail": {"state": None}}, True),
    ({"detail": {"tags": [{"exists": False}]}}, {"detail": {"tags": []}}, True),
    # equals-ignore-case.
    ({"name": [{"equals-ignore-case": "alice"}]}, {"name": "ALICE"}, True),
    ({"name": [{"equals-ignore-case": "alice"}]}, {"name": "alicia"}, False),
    # wildcard: * is any run of characters; \* is a star.
    (
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"},
        True,
    ),
    (
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/default"},
        False,
    ),
    ({"Filename": [{"wildcard": "dir/*.png"}]}, {"Filename": "dir/cat.png"}, True),
    ({"Filename": [{"wildcard": "dir/*.png"}]}, {"Filename": "dir/cat.png.txt"}, False),
    ({"Filename": [{"wildcard": "a\\*b"}]}, {"Filename": "a*b"}, True),
    ({"Filename": [{"wildcard": "a\\*b"}]}, {"Filename": "axb"}, False),
    ({"Filename": [{"wildcard": "a.c"}]}, {"Filename": "abc"}, False),
    # $or: any one of the sub-patterns, alongside the other fields.
    (
        {
            "detail": {
                "$or": [
                    {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                    {"d-count": [{"numeric": ["<", 10]}]},
                    {"x-limit": [{"numeric": ["=", 3.018e2]}]},
                ]
            }
        },
        {"detail": {"c-count": 50, "d-count": 50, "x-limit": 301.8}},
        True,
    ),
    (
        {
            "detail": {
                "$or": [
                    {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                    {"d-count": [{"numeric": ["<", 10]}]},
                ]
            }
        },
        {"detail": {"c-count": 50, "d-count": 50}},
        False,
    ),
    (
        {
            "source": ["aws.ec2"],
            "$or": [
                {"detail-type": ["EC2 Instance State-change Notification"]},
                {"detail": {"state": ["pending"]}},
            ],
        },
        EC2_TERMINATED,
        True,
    ),
    (
        {
            "source": ["aws.s3"],
            "$or": [
                {"detail-type": ["EC2 Instance State-change Notification"]},
                {"detail": {"state": ["pending"]}},
            ],
        },
        EC2_TERMINATED,
        False,
    ),
    # Several filters on one event (the User Guide's complex example).
    (
        {
            "time": [{"prefix": "2017-10-02"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
            },
        },
        {
            "time": "2017-10-02T18:43:48Z",
            "detail": {"state": "running", "c-count": 5, "d-count": 3, "x-limit": 301.8},
        },
        True,
    ),
    # A nested pattern over an array of objects needs one element to match all its fields.
    (
        {"detail": {"items": {"a": [1], "b": [2]}}},
        {"detail": {"items": [{"a": 1, "b": 2}, {"a": 3}]}},
        True,
    ),
    (
        {"detail": {"items": {"a": [1], "b": [2]}}},
        {"detail": {"items": [{"a": 1}, {"b": 2}]}},
        False,
    ),
]


@pytest.mark.parametrize(("pattern", "event", "expected"), DOCUMENTED)
def test_documented_examples(pattern: Any, event: Any, expected: bool) -> None:
    assert compile_pattern(json.dumps(pattern)).matches(event) is expected


INVALID: list[tuple[str, str]] = [
    ("{", "not valid JSON"),
    ('["aws.ssm"]', "must be a JSON object"),
    ("null", "must be a JSON object"),
    ("{}", "at least one field"),
    ('{"detail": {}}', 'at least one field at "detail"'),
    ('{"source": "aws.ssm"}', '"source" must be an object or an array'),
    (
        '{"detail": {"status": "FAILED"}}',
        '"status" must be an object or an array, not "FAILED" at "detail"',
    ),
    ('{"detail": {"count": 3}}', '"count" must be an object or an array'),
    ('{"source": []}', 'at least one value or matcher at "source"'),
    ('{"source": [["aws.ssm"]]}', "cannot hold an array"),
    ('{"source": [{"regex": "aws.*"}]}', 'unrecognized match type "regex"'),
    ('{"source": [{"prefix": "a", "suffix": "b"}]}', "exactly one of"),
    ('{"source": [{}]}', "exactly one of"),
    ('{"source": [{"prefix": 1}]}', '"prefix" takes a string'),
    ('{"source": [{"prefix": {"equals-ignore-case": 1}}]}', '"prefix" takes a string'),
    ('{"source": [{"suffix": ["a"]}]}', '"suffix" takes a string'),
    ('{"source": [{"equals-ignore-case": 1}]}', '"equals-ignore-case" takes a string'),
    ('{"source": [{"wildcard": 1}]}', '"wildcard" takes a string'),
    ('{"source": [{"wildcard": "a**b"}]}', "consecutive *"),
    ('{"source": [{"wildcard": "a\\\\b"}]}', "backslash must be followed"),
    ('{"source": [{"exists": "yes"}]}', '"exists" takes true or false'),
    ('{"source": [{"anything-but": []}]}', "at least one value"),
    ('{"source": [{"anything-but": ["a", 1]}]}', "strings only or numbers only"),
    ('{"source": [{"anything-but": null}]}', "strings only or numbers only"),
    ('{"source": [{"anything-but": {"numeric": [">", 1]}}]}', '"anything-but" takes a value'),
    ('{"source": [{"anything-but": {"prefix": 1}}]}', '"anything-but" "prefix" takes a string'),
    ('{"source": [{"anything-but": {"wildcard": [1]}}]}', "takes a string or an array of strings"),
    ('{"n": [{"numeric": [">"]}]}', 'write "numeric" as'),
    ('{"n": [{"numeric": ["!=", 1]}]}', 'write "numeric" as'),
    ('{"n": [{"numeric": [">", "1"]}]}', 'write "numeric" as'),
    ('{"n": [{"numeric": [">", true]}]}', 'write "numeric" as'),
    ('{"n": [{"numeric": ["<", 5, ">", 1]}]}', "lower bound (> or >=) then an upper"),
    ('{"n": [{"numeric": ["=", 1, "<", 5]}]}', "lower bound (> or >=) then an upper"),
    ('{"n": [{"numeric": [">", 5, "<", 5]}]}', "lower bound below its upper bound"),
    ('{"n": [{"numeric": [">", 1e10]}]}', '"numeric" values lie between'),
    ('{"ip": [{"cidr": "10.0.0.0/33"}]}', '"cidr" takes a CIDR block'),
    ('{"ip": [{"cidr": 10}]}', '"cidr" takes a CIDR block'),
    ('{"$or": [{"source": ["a"]}]}', '"$or" must be an array of at least two objects'),
    ('{"$or": {"source": ["a"]}}', '"$or" must be an array of at least two objects'),
    (
        '{"$or": [{"source": ["a"]}, ["b"]]}',
        'each "$or" alternative must be an object at "$or"."1"',
    ),
    (
        '{"detail": {"$or": [{"a": ["x"]}, {"b": "y"}]}}',
        '"b" must be an object or an array, not "y" at "detail"."$or"."1"',
    ),
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_patterns_say_what_is_wrong_and_where(text: str, reason: str) -> None:
    with pytest.raises(InvalidEventPatternError) as raised:
        compile_pattern(text)
    assert raised.value.code == "InvalidEventPatternException"
    assert raised.value.message.startswith("Event pattern is not valid. Reason: ")
    assert reason in raised.value.message


REALM = Realm("123456789012", "us-east-2")
WINDOW_FAILED = {
    "source": ["aws.ssm"],
    "detail-type": ["Maintenance Window Execution State-change Notification"],
    "detail": {"status": ["FAILED"]},
}
NOT_SUCCESS = {
    "detail-type": ["EC2 Command Invocation Status-change Notification"],
    "detail": {"status": [{"anything-but": "Success"}]},
}


def _ssm_event(detail_type: str, detail: dict[str, Any], source: str = AWS_SSM) -> dict[str, Any]:
    return envelope(
        Event(
            event_id="01234567-0123-0123-0123-0123456789ab",
            time=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
            source=source,
            detail_type=detail_type,
            resources=(REALM.arn("ssm", "maintenancewindow/mw-0c50858d01EXAMPLE"),),
            detail=detail,
        ),
        REALM,
    )


def _window_execution(status: str, source: str = AWS_SSM) -> dict[str, Any]:
    return _ssm_event(
        "Maintenance Window Execution State-change Notification",
        {
            "start-time": "2024-05-01T12:00:00.000Z",
            "end-time": "2024-05-01T12:01:00.000Z",
            "window-id": "mw-0c50858d01EXAMPLE",
            "window-execution-id": "c3b73d3b-1c6b-4e6a-91e4-3a1a5EXAMPLE",
            "status": status,
        },
        source,
    )


def _invocation(status: str) -> dict[str, Any]:
    return _ssm_event(
        "EC2 Command Invocation Status-change Notification",
        {
            "command-id": "e8d3c0e4-71f7-4491-898f-c9b35bee5f3b",
            "document-name": "AWS-RunShellScript",
            "instance-id": "mi-0123456789abcdef0",
            "requested-date-time": "2024-05-01T12:00:00.000Z",
            "status": status,
        },
    )


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        (WINDOW_FAILED, _window_execution("FAILED"), True),
        (WINDOW_FAILED, _window_execution("SUCCESS"), False),
        (WINDOW_FAILED, _window_execution("FAILED", source=TRANSOM), False),
        (WINDOW_FAILED, _invocation("Failed"), False),
        (
            '{"source": ["aws.ssm"], "detail": {"status": ["FAILED", "TIMED_OUT"]}}',
            _window_execution("TIMED_OUT"),
            True,
        ),
        ('{"detail-type": [{"prefix": "Maintenance Window"}]}', _window_execution("SUCCESS"), True),
        ('{"detail-type": [{"prefix": "Maintenance Window"}]}', _invocation("Success"), False),
        (
            NOT_SUCCESS,
            _invocation("Failed"),
            True,
        ),
        (
            NOT_SUCCESS,
            _invocation("Success"),
            False,
        ),
        (
            {
                "detail": {
                    "instance-id": [{"prefix": "mi-"}],
                    "document-name": [{"wildcard": "AWS-Run*Script"}],
                }
            },
            _invocation("Failed"),
            True,
        ),
        (
            '{"resources": [{"wildcard": "arn:aws:ssm:*:123456789012:maintenancewindow/*"}]}',
            _window_execution("FAILED"),
            True,
        ),
        ('{"account": ["111122223333"]}', _window_execution("FAILED"), False),
        (
            '{"region": ["us-east-2"], "detail": {"end-time": [{"exists": true}]}}',
            _window_execution("FAILED"),
            True,
        ),
    ],
)
def test_systems_manager_events(pattern: Any, event: dict[str, Any], expected: bool) -> None:
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    assert compile_pattern(text).matches(event) is expected


scalars = st.one_of(
    st.text(max_size=8),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
keys = st.text(min_size=1, max_size=6).filter(lambda key: key != "$or")
events = st.recursive(
    st.dictionaries(keys, scalars, min_size=1, max_size=4),
    lambda children: st.dictionaries(keys, st.one_of(scalars, children), min_size=1, max_size=4),
    max_leaves=12,
)


def _own_values(event: dict[str, Any], wrap: Any) -> dict[str, Any]:
    return {
        key: _own_values(value, wrap) if isinstance(value, dict) else [wrap(value)]
        for key, value in event.items()
    }


@given(events)
def test_a_pattern_of_an_events_own_values_matches_it(event: dict[str, Any]) -> None:
    assert compile_pattern(json.dumps(_own_values(event, lambda value: value))).matches(event)
    exists = _own_values(event, lambda _: {"exists": True})
    assert compile_pattern(json.dumps(exists)).matches(event)


@given(events)
def test_anything_but_an_events_own_values_does_not_match_it(event: dict[str, Any]) -> None:
    leaves = [
        (key, value)
        for key, value in event.items()
        if isinstance(value, str)
        or (isinstance(value, (int, float)) and not isinstance(value, bool))
    ]
    for key, value in leaves:
        assert not compile_pattern(json.dumps({key: [{"anything-but": value}]})).matches(event)
        assert not compile_pattern(json.dumps({key: [{"exists": False}]})).matches(event)
