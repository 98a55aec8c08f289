"""Rules for tags, shared by window creation and the tagging operations."""

from __future__ import annotations

from collections.abc import Sequence

from transom.domain.errors import TooManyTagsError, ValidationError
from transom.domain.windows import Tag


def check_tags(tags: Sequence[Tag], existing_keys: set[str], limit: int, resource_id: str) -> None:
    """Refuse reserved `aws:` keys and a resulting tag set larger than `limit`."""
    reserved = [t.key for t in tags if t.key.lower().startswith("aws:")]
    if reserved:
        raise ValidationError(
            f"Tag key {reserved[0]!r} uses the reserved prefix 'aws:'; choose another key."
        )
    keys = existing_keys | {t.key for t in tags}
    if len(keys) > limit:
        raise TooManyTagsError(
            f"{resource_id} would have {len(keys)} tags; the maximum is {limit}. Remove tags first."
        )
