"""Events and notifications: what changed, which rules pick it, how it reaches people."""
