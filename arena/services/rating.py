"""Elo ratings for quick matches: one rating per member, updated pairwise after each match.

A match of n players counts as every pair playing once: a better placing beats a worse one,
equal placings draw. The K factor is shared among the n-1 opponents, so a four-player match
moves a rating about as much as a two-player one.
"""
from __future__ import annotations

from learning.extensions import db
from learning.timeutil import utcnow

from ..models import ArenaRating

INITIAL_RATING = 1200.0
K_FACTOR = 32.0


def expected(rating: float, opponent: float) -> float:
    """The Elo expected score of `rating` against `opponent` (0..1)."""
    return 1.0 / (1.0 + 10 ** ((opponent - rating) / 400.0))


def new_ratings(ratings: list[float], placings: list[int], k: float = K_FACTOR) -> list[float]:
    """Ratings after a match, given each player's rating before and placing (1 is best)."""
    n = len(ratings)
    if n < 2:
        return list(ratings)
    out = []
    for i, (rating, place) in enumerate(zip(ratings, placings)):
        delta = 0.0
        for j in range(n):
            if j == i:
                continue
            actual = 1.0 if place < placings[j] else 0.5 if place == placings[j] else 0.0
            delta += actual - expected(rating, ratings[j])
        out.append(round(rating + k * delta / (n - 1), 1))
    return out


def rating_of(member_id: int) -> ArenaRating:
    """The member's rating row, created at the initial rating when they have none (flushed)."""
    row = db.session.get(ArenaRating, member_id)
    if row is None:
        row = ArenaRating(member_id=member_id, rating=INITIAL_RATING, games=0, wins=0, updated_at=utcnow())
        db.session.add(row)
        db.session.flush()
    return row


def current_rating(member_id: int) -> float:
    """The member's rating without writing anything (the initial rating when they have none)."""
    row = db.session.get(ArenaRating, member_id)
    return row.rating if row is not None else INITIAL_RATING
