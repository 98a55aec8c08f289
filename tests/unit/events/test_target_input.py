"""What a rule target sends: the event, Input, InputPath or an InputTransformer's template."""

from __future__ import annotations

import json

import pytest

from transom.domain.rules import InputTransformer, RuleTarget
from transom.events.target_input import render

EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "Maintenance Window Execution State-change Notification",
    "source": "aws.ssm",
    "resources": ["arn:aws:ssm:us-east-1:000000000000:maintenancewindow/mw-0123456789abcdef0"],
    "detail": {"window-id": "mw-0123456789abcdef0", "status": "FAILED", "count": 3, "why": 'a "b"'},
}
TOPIC = "arn:aws:sns:us-east-1:000000000000:ops"


def _target(**input: object) -> RuleTarget:
    return RuleTarget("t1", TOPIC, **input)  # type: ignore[arg-type]


def test_a_target_with_no_input_sends_the_whole_event() -> None:
    assert json.loads(render(_target(), EVENT)) == EVENT


def test_input_is_sent_as_given() -> None:
    assert render(_target(input='{"fixed": true}'), EVENT) == '{"fixed": true}'


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        ("$", json.dumps(EVENT)),
        ("$.detail", json.dumps(EVENT["detail"])),
        ("$.detail.status", '"FAILED"'),
        ("$.resources[0]", json.dumps(EVENT["resources"][0])),  # type: ignore[index]
        ("$.detail.missing", ""),
        ("$.resources[5]", ""),
    ],
)
def test_input_path_sends_the_part_it_picks(path: str, sent: str) -> None:
    assert render(_target(input_path=path), EVENT) == sent


def test_an_input_transformer_fills_its_template_from_the_event() -> None:
    paths = {
        "window": "$.detail.window-id",
        "status": "$.detail.status",
        "count": "$.detail.count",
        "gone": "$.detail.gone",
        "why": "$.detail.why",
    }
    text = InputTransformer(paths, "Window <window> is <status> after <count> tries <gone>")
    assert render(_target(input_transformer=text), EVENT) == (
        "Window mw-0123456789abcdef0 is FAILED after 3 tries null"
    )
    as_json = InputTransformer(
        paths, '{"text": "Window <window> <status>: <why>", "count": <count>, "gone": "<gone>"}'
    )
    assert json.loads(render(_target(input_transformer=as_json), EVENT)) == {
        "text": 'Window mw-0123456789abcdef0 FAILED: a "b"',
        "count": 3,
        "gone": "",
    }
