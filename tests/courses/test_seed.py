"""The demo catalogue: courses with articles and transcoded clips, tasks, weeks of study history."""
import pytest
from sqlalchemy import distinct, func, select

from courses.models import Course, CourseRating, LearningTask, Lesson, StudySession, TopicBacking, TopicRequest
from learning.extensions import db
from learning.models import LearningRecord, MemberDayStats
from learning.timeutil import LOCAL_TZ

pytest.importorskip("learning.seed", reason="needs the core demo tree (learning.seed, from branch f-ops)")
if not hasattr(pytest.importorskip("media.services"), "ingest_file"):  # not the tests' stand-in
    pytest.skip("needs the media pipeline (package media, from branch media)", allow_module_level=True)


def _counts():
    return [db.session.scalar(select(func.count()).select_from(t)) for t in
            (Course, Lesson, LearningTask, StudySession, LearningRecord, MemberDayStats, CourseRating,
             TopicRequest, TopicBacking)]


def test_demo_seed_builds_a_living_catalogue_and_a_second_run_changes_nothing(app, one_moment, demo_county):
    import courses.seed

    # demo_county: learning.seed.seed_demo("demo-pass-2026") on empty tables
    courses.seed.seed_demo("demo-pass-2026")
    db.session.commit()
    courses_ = db.session.scalars(select(Course)).all()
    assert len(courses_) == 12 and all(c.status == "published" for c in courses_)
    kinds = {lesson.kind for c in courses_ for lesson in c.lessons}
    assert {"article", "video", "audio"} <= kinds
    assert db.session.scalar(select(func.count()).select_from(LearningTask)) >= 2
    studied = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "studied")).all()
    days = {r.occurred_at.astimezone(LOCAL_TZ).date() for r in studied}
    hours = [r.occurred_at.astimezone(LOCAL_TZ).hour for r in studied]
    assert len(days) >= 14  # a few weeks
    assert sum(h in (7, 8, 12, 13, 20, 21) for h in hours) > len(hours) / 2  # commute, lunch, evening
    assert db.session.scalar(select(func.count(distinct(LearningRecord.member_id)))
                             .where(LearningRecord.verb == "completed")) > 10
    ratings = db.session.scalars(select(CourseRating)).all()
    assert len(ratings) >= 5 and any(r.comment for r in ratings) and {r.stars for r in ratings} <= set(range(1, 6))
    topics = db.session.scalars(select(TopicRequest).order_by(TopicRequest.backers.desc())).all()
    assert len(topics) == 5 and topics[0].backers > topics[-1].backers
    assert [t.title for t in topics if t.status == "answered"] == ["党纪处分条例案例讲解"]
    before = _counts()
    courses.seed.seed_demo("demo-pass-2026")
    db.session.commit()
    assert _counts() == before
