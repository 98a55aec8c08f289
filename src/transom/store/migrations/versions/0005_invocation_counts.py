"""An index that makes counting a command's invocations by details a covering-index scan.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_index("ix_invocations_command_details", "invocations", ["command_id", "details"])
