"""The quick-match demo history: played through the real services, visible to demo-member, idempotent."""
from types import SimpleNamespace

from sqlalchemy import func, select

from arena.models import ArenaRating, Match, MatchPlayer
from arena.services.match_seed import seed_matches
from arena.services.match_state import history, rating_view
from learning.models import LearningRecord
from tests.factories import make_member
from tests.quizzes.factories import make_question


def test_the_demo_member_sees_a_rating_and_past_matches_and_a_second_run_adds_nothing(db, tree,
                                                                                                 one_moment):
    for kind in ("single_choice", "multiple_choice", "true_false") * 3:
        make_question(tree.committee, kind)
    demo = make_member(tree.branch1, username="demo-member")
    for _ in range(7):
        make_member(tree.branch1)
    db.session.commit()
    demo_tree = SimpleNamespace(demo_branch=tree.branch1)
    seed_matches(demo_tree)
    db.session.commit()
    mine = history(demo)
    assert len(mine) >= 8 and {m["mode"] for m in mine} == {"two_player", "four_player"}
    assert rating_view(demo)["games"] == len(mine)
    assert db.session.scalar(select(func.count()).select_from(MatchPlayer).where(MatchPlayer.left_reason.is_not(None))) == 0
    assert db.session.scalar(select(func.count()).select_from(Match).where(Match.state != "finished")) == 0
    assert db.session.scalar(select(func.count()).select_from(LearningRecord).where(
        LearningRecord.object_type.in_(["arena", "arena_unscored"]))) == db.session.scalar(
        select(func.count()).select_from(MatchPlayer))
    counts = [db.session.scalar(select(func.count()).select_from(t)) for t in (Match, MatchPlayer, ArenaRating)]
    seed_matches(demo_tree)
    db.session.commit()
    assert [db.session.scalar(select(func.count()).select_from(t)) for t in (Match, MatchPlayer, ArenaRating)] == counts
