"""Run Command: commands and their per-node invocations.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "commands",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("command_id", sa.String(36), nullable=False, unique=True),
        sa.Column("document_name", sa.String(128), nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("instance_ids", sa.JSON, nullable=False),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("requested_date", UtcDateTime, nullable=False),
        sa.Column("expires_after", UtcDateTime, nullable=False),
        sa.Column("timeout_seconds", sa.Integer, nullable=False),
        sa.Column("max_concurrency", sa.String(7), nullable=False),
        sa.Column("max_errors", sa.String(7), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_details", sa.String(100), nullable=False),
        sa.Column("comment", sa.String(100), nullable=False),
        sa.Column("request", sa.JSON),
    )
    op.create_table(
        "invocations",
        sa.Column("command_id", sa.String(36), primary_key=True),
        sa.Column("instance_id", sa.String(20), primary_key=True),
        sa.Column("details", sa.String(32), nullable=False),
        sa.Column("requested_date", UtcDateTime, nullable=False),
        sa.Column("instance_name", sa.String(255), nullable=False),
        sa.Column("response_code", sa.Integer, nullable=False),
        sa.Column("stdout", sa.Text, nullable=False),
        sa.Column("stderr", sa.Text, nullable=False),
        sa.Column("lease", sa.String(64)),
        sa.Column("dispatched_date", UtcDateTime),
        sa.Column("started_date", UtcDateTime),
        sa.Column("finished_date", UtcDateTime),
    )
    op.create_index("ix_invocations_node", "invocations", ["instance_id", "details"])
