"""Windows, targets, tasks, tags, idempotency tokens and access keys.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "windows",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("window_id", sa.String(20), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("start_date", sa.String(64)),
        sa.Column("end_date", sa.String(64)),
        sa.Column("schedule", sa.String(256), nullable=False),
        sa.Column("schedule_timezone", sa.String(64)),
        sa.Column("schedule_offset", sa.Integer),
        sa.Column("duration", sa.Integer, nullable=False),
        sa.Column("cutoff", sa.Integer, nullable=False),
        sa.Column("allow_unassociated_targets", sa.Boolean, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_date", UtcDateTime, nullable=False),
        sa.Column("modified_date", UtcDateTime, nullable=False),
        sa.Column("schedule_changed_date", UtcDateTime, nullable=False),
    )
    op.create_index("ix_windows_name", "windows", ["name"])
    for table, id_column, extra in (
        (
            "window_targets",
            "window_target_id",
            [
                sa.Column("resource_type", sa.String(32), nullable=False),
                sa.Column("targets", sa.JSON, nullable=False),
                sa.Column("owner_information", sa.Text),
            ],
        ),
        (
            "window_tasks",
            "window_task_id",
            [
                sa.Column("task_arn", sa.String(1600), nullable=False),
                sa.Column("task_type", sa.String(32), nullable=False),
                sa.Column("targets", sa.JSON, nullable=False),
                sa.Column("priority", sa.Integer, nullable=False),
                sa.Column("service_role_arn", sa.Text),
                sa.Column("task_parameters", sa.JSON),
                sa.Column("task_invocation_parameters", sa.JSON),
                sa.Column("max_concurrency", sa.String(7)),
                sa.Column("max_errors", sa.String(7)),
                sa.Column("logging_info", sa.JSON),
                sa.Column("cutoff_behavior", sa.String(32)),
                sa.Column("alarm_configuration", sa.JSON),
            ],
        ),
    ):
        op.create_table(
            table,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column(id_column, sa.String(36), nullable=False, unique=True),
            sa.Column(
                "window_id",
                sa.String(20),
                sa.ForeignKey("windows.window_id", ondelete="CASCADE"),
                nullable=False,
                index=True,
            ),
            *extra,
            sa.Column("name", sa.String(128)),
            sa.Column("description", sa.Text),
        )
    op.create_table(
        "tags",
        sa.Column("resource_type", sa.String(32), primary_key=True),
        sa.Column("resource_id", sa.String(128), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_table(
        "idempotency_tokens",
        sa.Column("operation", sa.String(64), primary_key=True),
        sa.Column("client_token", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(64), nullable=False),
        sa.Column("created_date", UtcDateTime, nullable=False),
    )
    op.create_table(
        "access_keys",
        sa.Column("access_key_id", sa.String(128), primary_key=True),
        sa.Column("secret_access_key", sa.String(128), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("created_date", UtcDateTime, nullable=False),
    )
