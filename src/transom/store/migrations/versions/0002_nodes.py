"""Activations and managed nodes.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "activations",
        sa.Column("activation_id", sa.String(36), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("iam_role", sa.String(64), nullable=False),
        sa.Column("registration_limit", sa.Integer, nullable=False),
        sa.Column("registrations_count", sa.Integer, nullable=False),
        sa.Column("expiration_date", UtcDateTime, nullable=False),
        sa.Column("created_date", UtcDateTime, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("default_instance_name", sa.String(256)),
        sa.Column("tags", sa.JSON, nullable=False),
    )
    op.create_table(
        "nodes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("instance_id", sa.String(20), nullable=False, unique=True),
        sa.Column("activation_id", sa.String(36), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("computer_name", sa.String(255), nullable=False),
        sa.Column("ip_address", sa.String(46), nullable=False),
        sa.Column("platform_type", sa.String(16), nullable=False),
        sa.Column("platform_name", sa.String(128), nullable=False),
        sa.Column("platform_version", sa.String(128), nullable=False),
        sa.Column("agent_version", sa.String(32), nullable=False),
        sa.Column("registration_date", UtcDateTime, nullable=False),
        sa.Column("last_ping_date", UtcDateTime, nullable=False),
        sa.Column("iam_role", sa.String(64), nullable=False),
        sa.Column("name", sa.String(256)),
        sa.Column("deregistered_date", UtcDateTime),
    )
