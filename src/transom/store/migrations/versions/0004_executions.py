"""The window engine: execution history, the scheduler's cursors, and the link from a command
to the window execution that sent it.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from transom.store.schema import UtcDateTime

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("commands") as batch:
        batch.add_column(sa.Column("window_execution_id", sa.String(36)))
    op.create_table(
        "window_executions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("window_execution_id", sa.String(36), nullable=False, unique=True),
        sa.Column("window_id", sa.String(20), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_details", sa.String(250), nullable=False),
        sa.Column("start_time", UtcDateTime, nullable=False),
        sa.Column("end_time", UtcDateTime),
        sa.Column("scheduled_time", UtcDateTime),
        sa.Column("window_end", UtcDateTime, nullable=False),
        sa.Column("cutoff_at", UtcDateTime, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("wake_at", UtcDateTime),
        sa.UniqueConstraint("window_id", "scheduled_time", name="uq_window_executions_occurrence"),
    )
    op.create_index("ix_window_executions_window", "window_executions", ["window_id", "status"])
    op.create_index("ix_window_executions_wake", "window_executions", ["wake_at"])
    op.create_table(
        "task_executions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_execution_id", sa.String(36), nullable=False, unique=True),
        sa.Column("window_execution_id", sa.String(36), nullable=False),
        sa.Column("window_task_id", sa.String(36), nullable=False),
        sa.Column("task_arn", sa.String(1600), nullable=False),
        sa.Column("task_type", sa.String(32), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("service_role_arn", sa.Text),
        sa.Column("max_concurrency", sa.String(7), nullable=False),
        sa.Column("max_errors", sa.String(7), nullable=False),
        sa.Column("cutoff_behavior", sa.String(32), nullable=False),
        sa.Column("invocation_parameters", sa.JSON, nullable=False),
        sa.Column("task_parameters", sa.JSON, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_details", sa.String(250), nullable=False),
        sa.Column("start_time", UtcDateTime, nullable=False),
        sa.Column("end_time", UtcDateTime),
        sa.UniqueConstraint(
            "window_execution_id", "window_task_id", name="uq_task_executions_task"
        ),
    )
    op.create_index(
        "ix_task_executions_window_execution_id", "task_executions", ["window_execution_id"]
    )
    op.create_table(
        "task_invocations",
        sa.Column("invocation_id", sa.String(36), primary_key=True),
        sa.Column("task_execution_id", sa.String(36), nullable=False),
        sa.Column("window_execution_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("batch", sa.Integer, nullable=False),
        sa.Column("window_target_id", sa.String(36)),
        sa.Column("owner_information", sa.Text),
        sa.Column("resource_id", sa.String(2048)),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_details", sa.String(250), nullable=False),
        sa.Column("parameters", sa.Text),
        sa.Column("execution_id", sa.String(36)),
        sa.Column("start_time", UtcDateTime),
        sa.Column("end_time", UtcDateTime),
        sa.UniqueConstraint("task_execution_id", "seq", name="uq_task_invocations_seq"),
    )
    op.create_index(
        "ix_task_invocations_window_execution_id", "task_invocations", ["window_execution_id"]
    )
    op.create_table(
        "window_cursors",
        sa.Column("window_id", sa.String(20), primary_key=True),
        sa.Column("due_at", UtcDateTime),
        sa.Column("anchor", UtcDateTime, nullable=False),
    )
    op.create_index("ix_window_cursors_due_at", "window_cursors", ["due_at"])
