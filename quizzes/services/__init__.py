"""Business logic of the quizzes package; services flush, callers commit."""
