"""courses package of Pioneer Learning: micro-courses, lessons, study-time tracking and learning tasks."""
