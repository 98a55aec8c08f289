"""protocol/awsjson."""
