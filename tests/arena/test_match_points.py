"""Quick-match points through the real award path: the two_player/four_player rules, the day's limit."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from arena.models import MatchPlayer
from learning.models import LearningRecord, PolicySetting
from scoring.models import PointsEntry, PointsRule
from scoring.services import rules
from scoring.services.ledger import balance_of
from tests.arena.match_factories import match_bank, play_out, players, start_match

LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def scored(db, tree):
    """The default rules at the committee, every day of the week (the presets keep matches to some days)."""
    rules.apply_preset(tree.committee, "xuexi_default", effective_from=LONG_AGO)
    for rule in db.session.scalars(select(PointsRule).where(PointsRule.code.in_(["two_player", "four_player"]))):
        rule.schedule = None
    db.session.commit()
    match_bank(tree.committee)
    return tree


def _match_entries(db, member_id):
    return [(e.rule_code, e.delta) for e in db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member_id).order_by(PointsEntry.id))]


def test_first_matches_of_the_day_pay_points_and_later_ones_do_not(client, db, scored):
    group = players(scored.branch1, 2)
    (winner, _), (loser, _) = group
    for _ in range(3):
        match_id = start_match(client, group, "two_player")
        play_out(client, group, match_id, keys_by_seat={1: ("B",)})
    # two_player: a win 2, a loss 1, at most 2 a day; the day's limit (2 matches) leaves the third unscored
    assert balance_of(winner.id) == 2 and balance_of(loser.id) == 2
    assert _match_entries(db, winner.id) == [("two_player", 2)]
    assert _match_entries(db, loser.id) == [("two_player", 1), ("two_player", 1)]
    seats = db.session.scalars(select(MatchPlayer).where(MatchPlayer.member_id == winner.id)
                               .order_by(MatchPlayer.match_id)).all()
    assert [s.scored for s in seats] == [True, True, False]
    kinds = db.session.scalars(select(LearningRecord.object_type).where(
        LearningRecord.verb == "submitted", LearningRecord.member_id == winner.id).order_by(LearningRecord.id)).all()
    assert kinds == ["arena", "arena", "arena_unscored"]


def test_four_player_placings_pay_by_the_four_player_rule(client, db, scored):
    group = players(scored.branch1, 4)
    match_id = start_match(client, group, "four_player")
    play_out(client, group, match_id, keys_by_seat={1: ("B",), 2: ("B",), 3: ("B",)})
    # seat 0 wins alone; the other three tie for second place (no right answers)
    assert [balance_of(m.id) for m, _ in group] == [3, 2, 2, 2]


def test_the_daily_limit_is_a_policy_setting(client, db, scored):
    db.session.add(PolicySetting(org_id=scored.committee.id, key="arena_scored_matches_per_day", value=0))
    db.session.commit()
    group = players(scored.branch1, 2)
    match_id = start_match(client, group, "two_player")
    play_out(client, group, match_id)
    assert [balance_of(m.id) for m, _ in group] == [0, 0]
    assert not any(s.scored for s in db.session.scalars(select(MatchPlayer)))
