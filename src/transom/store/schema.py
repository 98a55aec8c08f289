"""The SQLAlchemy Core schema. Alembic migrations create it; this module is their reference
and the query layer's vocabulary. `seq` columns give a stable creation order for paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    PostgreSQL keeps `timestamptz`; SQLite keeps integer microseconds since the epoch, which
    sort, compare and load far faster than SQLAlchemy's ISO strings.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        if dialect.name == "sqlite":
            return (value - _EPOCH) // _MICROSECOND
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return _EPOCH + timedelta(microseconds=value)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


metadata = sa.MetaData()

windows = sa.Table(
    "windows",
    metadata,
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
sa.Index("ix_windows_name", windows.c.name)

window_targets = sa.Table(
    "window_targets",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("window_target_id", sa.String(36), nullable=False, unique=True),
    sa.Column(
        "window_id",
        sa.String(20),
        sa.ForeignKey("windows.window_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("resource_type", sa.String(32), nullable=False),
    sa.Column("targets", sa.JSON, nullable=False),
    sa.Column("owner_information", sa.Text),
    sa.Column("name", sa.String(128)),
    sa.Column("description", sa.Text),
)

window_tasks = sa.Table(
    "window_tasks",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("window_task_id", sa.String(36), nullable=False, unique=True),
    sa.Column(
        "window_id",
        sa.String(20),
        sa.ForeignKey("windows.window_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
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
    sa.Column("name", sa.String(128)),
    sa.Column("description", sa.Text),
    sa.Column("cutoff_behavior", sa.String(32)),
    sa.Column("alarm_configuration", sa.JSON),
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("resource_type", sa.String(32), primary_key=True),
    sa.Column("resource_id", sa.String(128), primary_key=True),
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

idempotency_tokens = sa.Table(
    "idempotency_tokens",
    metadata,
    sa.Column("operation", sa.String(64), primary_key=True),
    sa.Column("client_token", sa.String(64), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("resource_id", sa.String(64), nullable=False),
    sa.Column("created_date", UtcDateTime, nullable=False),
)

access_keys = sa.Table(
    "access_keys",
    metadata,
    sa.Column("access_key_id", sa.String(128), primary_key=True),
    sa.Column("secret_access_key", sa.String(128)),  # plain text: rows not sealed yet
    sa.Column("description", sa.Text),
    sa.Column("created_date", UtcDateTime, nullable=False),
    sa.Column("master_key_id", sa.String(32)),
    sa.Column("sealed_secret", sa.LargeBinary),  # under master_key_id (see SealedSecret)
    sa.Column("policy", sa.Text),  # a policy document; NULL: the key may do everything
)

roles = sa.Table(
    "roles",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("policy", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("created_date", UtcDateTime, nullable=False),
)

calendar_feeds = sa.Table(
    "calendar_feeds",
    metadata,
    sa.Column("access_key_id", sa.String(128), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_date", UtcDateTime, nullable=False),
)

console_sign_outs = sa.Table(
    "console_sign_outs",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("expires_date", UtcDateTime, nullable=False, index=True),
)

change_counts = sa.Table(
    "change_counts",
    metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)
"""How many committed transactions changed each kind of record (the row `windows`: any
window inserted, updated or deleted; no row: none yet), bumped as the transaction commits."""

activations = sa.Table(
    "activations",
    metadata,
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

nodes = sa.Table(
    "nodes",
    metadata,
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
    sa.Column("reported_ping_status", sa.String(16), nullable=False, server_default="Online"),
)

commands = sa.Table(
    "commands",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("command_id", sa.String(36), nullable=False, unique=True),
    sa.Column("document_name", sa.String(128), nullable=False),
    sa.Column("parameters", sa.JSON, nullable=False),
    sa.Column("instance_ids", sa.JSON, nullable=False),
    sa.Column("targets", sa.JSON, nullable=False),
    sa.Column("requested_date", UtcDateTime, nullable=False),
    sa.Column("expires_after", UtcDateTime, nullable=False),
    sa.Column("timeout_seconds", sa.Integer, nullable=False),
    sa.Column("max_concurrency", sa.String(7), nullable=False),
    sa.Column("max_errors", sa.String(7), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_details", sa.String(100), nullable=False),
    sa.Column("comment", sa.String(100), nullable=False),
    sa.Column("request", sa.JSON),
    sa.Column("window_execution_id", sa.String(36)),
    sa.Column("document_version", sa.String(16)),
)

invocations = sa.Table(
    "invocations",
    metadata,
    sa.Column("command_id", sa.String(36), primary_key=True),
    sa.Column("instance_id", sa.String(20), primary_key=True),
    sa.Column("details", sa.String(32), nullable=False),
    sa.Column("requested_date", UtcDateTime, nullable=False),
    sa.Column("instance_name", sa.String(255), nullable=False),
    sa.Column("response_code", sa.Integer, nullable=False),
    sa.Column("stdout", sa.Text, nullable=False),
    sa.Column("stderr", sa.Text, nullable=False),
    sa.Column("lease", sa.String(64)),
    sa.Column("dispatched_date", UtcDateTime),
    sa.Column("started_date", UtcDateTime),
    sa.Column("finished_date", UtcDateTime),
)
sa.Index("ix_invocations_node", invocations.c.instance_id, invocations.c.details)
sa.Index("ix_invocations_command_details", invocations.c.command_id, invocations.c.details)

invocation_plugins = sa.Table(
    "invocation_plugins",
    metadata,
    sa.Column("command_id", sa.String(36), primary_key=True),
    sa.Column("instance_id", sa.String(20), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("details", sa.String(32), nullable=False),
    sa.Column("response_code", sa.Integer, nullable=False),
    sa.Column("stdout", sa.Text, nullable=False),
    sa.Column("stderr", sa.Text, nullable=False),
    sa.Column("started_date", UtcDateTime),
    sa.Column("finished_date", UtcDateTime),
)

window_executions = sa.Table(
    "window_executions",
    metadata,
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
sa.Index("ix_window_executions_window", window_executions.c.window_id, window_executions.c.status)
sa.Index("ix_window_executions_wake", window_executions.c.wake_at)
sa.Index("ix_window_executions_start", window_executions.c.start_time)

task_executions = sa.Table(
    "task_executions",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("task_execution_id", sa.String(36), nullable=False, unique=True),
    sa.Column("window_execution_id", sa.String(36), nullable=False, index=True),
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
    sa.UniqueConstraint("window_execution_id", "window_task_id", name="uq_task_executions_task"),
)

task_invocations = sa.Table(
    "task_invocations",
    metadata,
    sa.Column("invocation_id", sa.String(36), primary_key=True),
    sa.Column("task_execution_id", sa.String(36), nullable=False),
    sa.Column("window_execution_id", sa.String(36), nullable=False, index=True),
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

window_cursors = sa.Table(
    "window_cursors",
    metadata,
    sa.Column("window_id", sa.String(20), primary_key=True),
    sa.Column("due_at", UtcDateTime, index=True),
    sa.Column("anchor", UtcDateTime, nullable=False),
)
"""The scheduler's place in each enabled window's timetable: `due_at` is the next occurrence
not yet handled (None when none is left), computed for the window as modified at `anchor`."""

# --- events (the outbox) and what routes and delivers them ---------------------------------

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("time", UtcDateTime, nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("detail_type", sa.String(128), nullable=False),
    sa.Column("resources", sa.JSON, nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("relayed", sa.Boolean, nullable=False),
)
sa.Index(
    "ix_events_unrelayed",
    events.c.seq,
    postgresql_where=sa.text("NOT relayed"),
    sqlite_where=sa.text("NOT relayed"),
)
sa.Index("ix_events_time", events.c.time)

rules = sa.Table(
    "rules",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("event_pattern", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("description", sa.String(512)),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("created_date", UtcDateTime, nullable=False),
)

rule_targets = sa.Table(
    "rule_targets",
    metadata,
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

topics = sa.Table(
    "topics",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(256), nullable=False, unique=True),
    sa.Column("attributes", sa.JSON, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("created_date", UtcDateTime, nullable=False),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
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
sa.Index("ix_subscriptions_topic", subscriptions.c.topic_name)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(36), nullable=False, unique=True),
    sa.Column("topic_name", sa.String(256), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("subject", sa.String(100)),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("attributes", sa.JSON, nullable=False),
    sa.Column("created_date", UtcDateTime, nullable=False),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
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
sa.Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_attempt)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("document_type", sa.String(64), nullable=False),
    sa.Column("default_version", sa.Integer, nullable=False),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("created_date", UtcDateTime, nullable=False),
    sa.Column("target_type", sa.String(200)),
)

document_versions = sa.Table(
    "document_versions",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("document_format", sa.String(8), nullable=False),
    sa.Column("created_date", UtcDateTime, nullable=False),
    sa.Column("version_name", sa.String(128)),
)

audit_records = sa.Table(
    "audit_records",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("access_key_id", sa.String(128)),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("api", sa.String(16), nullable=False),
    sa.Column("operation", sa.String(128), nullable=False),
    sa.Column("outcome", sa.String(128), nullable=False),
    sa.Column("parameters", sa.JSON, nullable=False),
)
sa.Index("ix_audit_records_at", audit_records.c.at)
sa.Index("ix_audit_records_key", audit_records.c.access_key_id, audit_records.c.seq)

audit_resources = sa.Table(
    "audit_resources",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("resource", sa.String(256), nullable=False),
)
sa.Index("ix_audit_resources_resource", audit_resources.c.resource, audit_resources.c.seq)
