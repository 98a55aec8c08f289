"""Events: the outbox, the rules that route events, topics with their subscriptions, and the
messages published to topics with their per-subscription deliveries; and the ping status each
node's last ping-status event reported.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("nodes") as nodes:
        nodes.add_column(
            sa.Column(
                "reported_ping_status", sa.String(16), nullable=False, server_default="Online"
            )
        )
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("time", UtcDateTime, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("detail_type", sa.String(128), nullable=False),
        sa.Column("resources", sa.JSON, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("relayed", sa.Boolean, nullable=False),
    )
    op.create_index(
        "ix_events_unrelayed",
        "events",
        ["seq"],
        postgresql_where=sa.text("NOT relayed"),
        sqlite_where=sa.text("NOT relayed"),
    )
    op.create_index("ix_events_time", "events", ["time"])
    op.create_table(
        "rules",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("event_pattern", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("description", sa.String(512)),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_date", UtcDateTime, nullable=False),
    )
    op.create_table(
        "rule_targets",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "rule_name",
            sa.String(64),
            sa.ForeignKey("rules.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("arn", sa.String(1600), nullable=False),
        sa.Column("input", sa.Text),
        sa.Column("input_path", sa.String(256)),
        sa.Column("input_transformer", sa.JSON),
        sa.UniqueConstraint("rule_name", "target_id", name="uq_rule_targets_id"),
    )
    op.create_table(
        "topics",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False, unique=True),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_date", UtcDateTime, nullable=False),
    )
    op.create_table(
        "subscriptions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic_name", sa.String(256), nullable=False),
        sa.Column("protocol", sa.String(16), nullable=False),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("token", sa.String(128)),
        sa.Column("confirmed", sa.Boolean, nullable=False),
        sa.Column("created_date", UtcDateTime, nullable=False),
    )
    op.create_index("ix_subscriptions_topic", "subscriptions", ["topic_name"])
    op.create_table(
        "messages",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic_name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(100)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("created_date", UtcDateTime, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("subscription_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt", UtcDateTime, nullable=False),
        sa.Column("lease", sa.String(64)),
        sa.Column("leased_until", UtcDateTime),
        sa.Column("last_error", sa.String(1024)),
        sa.Column("created_date", UtcDateTime, nullable=False),
        sa.Column("finished_date", UtcDateTime),
        sa.UniqueConstraint("message_id", "subscription_id", name="uq_deliveries_message"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt"])
