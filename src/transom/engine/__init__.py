"""Long-running loops started from the application's lifespan. A loop paces its passes and
keeps a failed one from stopping it; what a pass does is a use case in `transom.services`."""
