"""Command documents of one's own with their versions, and the document version each command
runs.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    with op.batch_alter_table("commands") as commands:
        commands.add_column(sa.Column("document_version", sa.String(16)))
    op.create_table(
        "documents",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("document_type", sa.String(64), nullable=False),
        sa.Column("default_version", sa.Integer, nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("created_date", UtcDateTime, nullable=False),
        sa.Column("target_type", sa.String(200)),
    )
    op.create_table(
        "document_versions",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("document_format", sa.String(8), nullable=False),
        sa.Column("created_date", UtcDateTime, nullable=False),
        sa.Column("version_name", sa.String(128)),
    )
