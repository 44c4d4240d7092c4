"""The speed-score function every arena round uses, and the Elo update of quick matches."""
import pytest

from arena.services.rating import expected, new_ratings
from arena.services.speed import speed_points


@pytest.mark.parametrize("elapsed", [0.0, 0.2, 0.5])
def test_full_marks_within_the_first_half_second(elapsed):
    assert speed_points(1.0, elapsed, 15, 100) == 100


def test_half_marks_at_the_limit_and_never_under_half_for_a_right_answer():
    assert speed_points(1.0, 15, 15, 100) == 50
    assert all(speed_points(1.0, t / 10, 15, 100) >= 50 for t in range(0, 151))


def test_points_fall_with_time():
    points = [speed_points(1.0, t, 15, 1000) for t in (0.5, 3, 6, 9, 12, 15)]
    assert points == sorted(points, reverse=True) and points[0] == 1000 and points[-1] == 500
    assert speed_points(1.0, 7.75, 15, 1000) == 750  # halfway between 0.5 s and the limit


def test_a_wrong_answer_scores_nothing_and_partial_credit_scales():
    assert speed_points(0.0, 1, 15, 100) == 0
    assert speed_points(0.5, 0.1, 15, 100) == 50


def test_an_answer_after_the_limit_is_refused_before_scoring():
    with pytest.raises(ValueError):
        speed_points(1.0, 15.01, 15, 100)
    with pytest.raises(ValueError):
        speed_points(1.0, 1, 0, 100)


def test_an_even_two_player_match_moves_16_points():
    assert new_ratings([1200, 1200], [1, 2]) == [1216.0, 1184.0]


def test_beating_a_stronger_player_gains_more():
    gain_vs_strong = new_ratings([1200, 1400], [1, 2])[0] - 1200
    gain_vs_weak = new_ratings([1200, 1000], [1, 2])[0] - 1200
    assert gain_vs_strong > gain_vs_weak > 0
    assert expected(1400, 1200) > 0.5


def test_four_player_ratings_keep_their_sum_and_order():
    before = [1300.0, 1250.0, 1200.0, 1150.0]
    after = new_ratings(before, [4, 3, 2, 1])
    assert abs(sum(after) - sum(before)) < 0.5
    assert after[3] - before[3] > 0 > after[0] - before[0]


def test_a_tie_between_equals_changes_nothing():
    assert new_ratings([1200, 1200], [1, 1]) == [1200.0, 1200.0]
