"""Business logic of the arena: live events (events, referee, live, audience, results) and quick matches."""
