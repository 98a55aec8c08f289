"""The host agent: registration, the long-poll loop, the document runner and the result spool.

Imports only `transom.wire`, `transom.__version__`, httpx and the standard library, so it
installs and starts light.
"""
