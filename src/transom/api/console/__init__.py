"""The web console: server-rendered pages at `/console/` over the same services as the API
(`routes`), signed-cookie sessions keyed by the access-key store (`sessions`), and the
templates and static files it serves (`rendering`)."""
