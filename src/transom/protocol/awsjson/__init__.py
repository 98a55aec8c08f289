"""AWS JSON 1.1: framing, SigV4, validation against the botocore model, operations."""
