"""Change counts: how many committed transactions changed each kind of record (today only
windows; no row yet: none), so that a replica can keep what it read of them and know, with
one primary-key read, whether any replica changed them since.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    op.create_table(
        "change_counts",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
