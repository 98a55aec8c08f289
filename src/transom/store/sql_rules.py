"""Event rules on SQLAlchemy Core (`transom.store.ports.rules.RulePort`)."""

from __future__ import annotations

from sqlalchemy.engine import Connection


class RuleQueries:
    _conn: Connection
