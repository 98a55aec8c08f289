"""Topics, subscriptions, messages and deliveries on SQLAlchemy Core
(`transom.store.ports.topics.TopicPort`)."""

from __future__ import annotations

from sqlalchemy.engine import Connection


class TopicQueries:
    _conn: Connection
