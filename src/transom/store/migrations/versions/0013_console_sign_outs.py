"""Console sign-outs: the sessions signed out before they expired, so that a copy of their
cookie is refused on every replica. And an index of window executions by start time, for the
console's calendar.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_table(
        "console_sign_outs",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("expires_date", UtcDateTime, nullable=False, index=True),
    )
    op.create_index("ix_window_executions_start", "window_executions", ["start_time"], unique=False)
