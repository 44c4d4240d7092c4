"""Celery tasks: eager in the embedded pass, on a real worker over Redis in the real pass."""
import time

import pytest
from sqlalchemy import select

from learning.models import MemberDayStats
from learning.services.records import record
from learning.tasks import rebuild_day_stats
from tests.factories import make_member


def _seed(db, tree):
    member = make_member(tree.branch1)
    record(member, "studied", "lesson", 1, idempotency_key="s1", duration_s=120)
    db.session.commit()
    db.session.execute(MemberDayStats.__table__.delete())  # the rollup is lost
    db.session.commit()
    return member


def test_rebuild_task_restores_a_lost_rollup(db, tree):
    member = _seed(db, tree)
    rebuild_day_stats.delay(member.id)
    assert db.session.scalar(select(MemberDayStats.study_seconds)) == 120


@pytest.mark.worker
def test_a_real_worker_runs_the_rebuild_task(db, tree, real_tasks):
    member = _seed(db, tree)
    rebuild_day_stats.delay(member.id)
    deadline = time.time() + 30
    while time.time() < deadline:
        db.session.rollback()
        if db.session.scalar(select(MemberDayStats.study_seconds).where(MemberDayStats.member_id == member.id)):
            break
        time.sleep(0.2)
    assert db.session.scalar(select(MemberDayStats.study_seconds)) == 120


def test_every_beat_entry_names_a_registered_task(app):
    celery_app = app.extensions["celery"]
    celery_app.loader.import_default_modules()  # the `imports` setting, as a worker or beat loads it
    schedule = celery_app.conf.beat_schedule
    assert "scoring-rebuild-boards" in schedule
    unknown = {name: entry["task"] for name, entry in schedule.items() if entry["task"] not in celery_app.tasks}
    assert not unknown, f"beat entries naming no registered task: {unknown}"
