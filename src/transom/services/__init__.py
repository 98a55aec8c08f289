"""Use cases shared by every adapter: windows, targets, tasks, tags, keys."""
