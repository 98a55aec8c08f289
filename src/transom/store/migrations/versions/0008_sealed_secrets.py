"""Access-key secrets sealed at rest: each key's secret under a master key kept outside the
database (`sealed_secret`, `master_key_id`). A migration cannot know the master key, so the
secrets of the keys already there stay in `secret_access_key`, now nullable, until a server
seals them as it starts (`KeyService.seal_plain`) and empties the column.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    with op.batch_alter_table("access_keys") as keys:
        keys.alter_column("secret_access_key", existing_type=sa.String(128), nullable=True)
        keys.add_column(sa.Column("master_key_id", sa.String(32)))
        keys.add_column(sa.Column("sealed_secret", sa.LargeBinary))
