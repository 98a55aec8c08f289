"""Least privilege: an access key's policy document (NULL: the key may do everything, as every
key could before) and the roles window tasks run as (named policy documents).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    with op.batch_alter_table("access_keys") as table:
        table.add_column(sa.Column("policy", sa.Text))
    op.create_table(
        "roles",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("policy", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("created_date", UtcDateTime, nullable=False),
    )
