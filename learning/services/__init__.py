"""Business logic of the core package; services flush, callers commit."""
