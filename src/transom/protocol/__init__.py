"""Wire protocols spoken by the server."""
