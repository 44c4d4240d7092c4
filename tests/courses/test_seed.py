"""The demo catalogue: courses with articles and transcoded clips, tasks, weeks of study history."""
import pytest
from sqlalchemy import distinct, func, select

from courses.models import Course, LearningTask, Lesson, StudySession
from learning.extensions import db
from learning.models import LearningRecord, MemberDayStats
from learning.timeutil import LOCAL_TZ

pytest.importorskip("learning.seed", reason="needs the core demo tree (learning.seed, from branch f-ops)")
if not hasattr(pytest.importorskip("media.services"), "ingest_file"):  # not the tests' stand-in
    pytest.skip("needs the media pipeline (package media, from branch media)", allow_module_level=True)


def _counts():
    return [db.session.scalar(select(func.count()).select_from(t)) for t in
            (Course, Lesson, LearningTask, StudySession, LearningRecord, MemberDayStats)]


def test_demo_seed_builds_a_living_catalogue_and_a_second_run_changes_nothing(app):
    import learning.seed
    import courses.seed

    learning.seed.seed_demo("demo-pass-2026")
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
    before = _counts()
    courses.seed.seed_demo("demo-pass-2026")
    db.session.commit()
    assert _counts() == before
