"""The `transom` command line."""
