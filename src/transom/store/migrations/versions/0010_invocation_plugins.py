"""Each step's result of an invocation (`invocation_plugins`): documents of several steps
report each step as a plugin of its own. Invocations reported before have none (they read
as one plugin, as before).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "invocation_plugins",
        sa.Column("command_id", sa.String(36), primary_key=True),
        sa.Column("instance_id", sa.String(20), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("details", sa.String(32), nullable=False),
        sa.Column("response_code", sa.Integer, nullable=False),
        sa.Column("stdout", sa.Text, nullable=False),
        sa.Column("stderr", sa.Text, nullable=False),
        sa.Column("started_date", UtcDateTime),
        sa.Column("finished_date", UtcDateTime),
    )
