"""Deliveries on SQLAlchemy Core (`transom.store.ports.deliveries.DeliveryPort`)."""

from __future__ import annotations

from sqlalchemy.engine import Connection


class DeliveryQueries:
    _conn: Connection
