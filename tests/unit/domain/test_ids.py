"""Identifier formats: `new_uuid` is what `str(uuid.uuid4())` would give."""

from __future__ import annotations

import uuid

from transom.domain.ids import new_uuid


def test_new_uuid_is_a_lower_case_random_uuid() -> None:
    made = [new_uuid() for _ in range(5000)]
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # canonical: lower case, hyphens at 8-4-4-4-12
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    assert len(set(made)) == len(made)
    # every variant digit (8, 9, a, b) and every random digit of the third group appear
    assert {text[19] for text in made} == set("89ab")
    assert {text[15] for text in made} == set("0123456789abcdef")
