"""Long-running loops started from the application's lifespan."""
