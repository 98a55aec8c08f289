"""Pure planning: rate-control limits and status aggregation. No I/O."""
