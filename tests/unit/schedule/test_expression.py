"""parse_schedule (SPEC §c.1): one of three forms, or a ValidationError naming them."""

from __future__ import annotations

import pytest

from transom.domain.errors import ValidationError
from transom.schedule import AtSchedule, CronSchedule, RateSchedule, parse_schedule


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("cron(0 16 ? * TUE *)", CronSchedule),
        ("rate(5 minutes)", RateSchedule),
        ("at(2020-07-07T15:55:00)", AtSchedule),
    ],
)
def test_it_dispatches_on_the_form(expression: str, kind: type) -> None:
    assert isinstance(parse_schedule(expression), kind)


@pytest.mark.parametrize(
    "expression",
    ["", "0 16 * * 2", "CRON(0 16 ? * TUE *)", " rate(5 minutes)", "every tuesday", "cron"],
)
def test_it_refuses_anything_else_naming_the_three_forms(expression: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_schedule(expression)
    assert raised.value.message == (
        f"Invalid schedule {expression!r}: use cron(...), rate(...) or at(...), "
        "e.g. cron(0 2 ? * SUN *), rate(1 day) or at(2025-07-07T15:55:00)."
    )


def test_it_refuses_a_schedule_longer_than_256_characters() -> None:
    with pytest.raises(ValidationError) as raised:
        parse_schedule("cron(" + "0," * 130 + "0 1 ? * * *)")
    assert raised.value.message == (
        "Invalid schedule: it is 277 characters long; the limit is 256."
    )


def test_it_returns_the_same_schedule_for_the_same_text() -> None:
    assert parse_schedule("cron(0 16 ? * TUE *)") is parse_schedule("cron(0 16 ? * TUE *)")
