"""HTTP adapters: the Starlette application and its routes."""
