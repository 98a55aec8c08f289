"""The audit trail: one row per audited call (`audit_records`) and the resources it named
(`audit_resources`), found by resource.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("access_key_id", sa.String(128)),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("api", sa.String(16), nullable=False),
        sa.Column("operation", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(128), nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_records_at", "audit_records", ["at"])
    op.create_index("ix_audit_records_key", "audit_records", ["access_key_id", "seq"])
    op.create_table(
        "audit_resources",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("resource", sa.String(256), nullable=False),
    )
    op.create_index("ix_audit_resources_resource", "audit_resources", ["resource", "seq"])
