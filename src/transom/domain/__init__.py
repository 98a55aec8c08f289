"""Entities, value types, ids, errors and the clock. Imports the standard library only."""
