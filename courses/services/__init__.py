"""Business logic of the courses package: catalogue, study-time protocol, progress, learning tasks."""
