"""Cryptography the server keeps at rest or serves with: the master keys that seal access-key
secrets, and the private CA and server certificate of `transom up --tls`."""
