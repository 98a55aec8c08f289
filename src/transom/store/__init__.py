"""Persistence: the Store port and its SQLAlchemy implementation with alembic migrations."""
