"""Calendar feeds: each access key's secret iCalendar feed URL, kept as its token's hash.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("access_key_id", sa.String(128), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_date", UtcDateTime, nullable=False),
    )
