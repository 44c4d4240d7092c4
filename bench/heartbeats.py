"""Study heartbeats accepted per second (p50/p99) beside the bare endpoint, at 1, 100 and 1,000 learners.

Each simulated learner is its own member with its own open study session on a one-hour video
lesson, beating as fast as the server answers (a closed loop: the worst case for one node) with
an honest, advancing position and client time, so every beat takes the full crediting path:
session row locked, progress row locked and updated, coverage marked. The baseline is the bare
Flask endpoint under the same gunicorn/gevent set-up and the same number of clients.
"""
from __future__ import annotations

import json
import time

from .harness import BenchRun
from .load import Request

LEVELS = (1, 100, 1000)
BRANCH_NAME = "压测党支部"


def _learners(bench: BenchRun, n: int) -> list[tuple[int, str]]:
    """n members in a bench branch, each with a bearer token and an open session: [(session id, token)]."""
    with bench.app_context():
        from sqlalchemy import select

        from courses.models import Course, Lesson
        from courses.services import study
        from learning.extensions import db
        from learning.models import Member, Org
        from learning.services import accounts, members as member_service, orgs as org_service
        from media.models import MediaAsset

        top = db.session.scalar(select(Org).where(Org.parent_id.is_(None)).order_by(Org.id))
        branch = db.session.scalar(select(Org).where(Org.name == BRANCH_NAME)) or \
            org_service.create_org(BRANCH_NAME, "branch", top)
        lesson = db.session.scalar(select(Lesson).join(Course).where(Course.title == "压测课程"))
        if lesson is None:
            asset = MediaAsset(org_id=branch.id, kind="video", title="压测视频", original_name="bench.mp4",
                               status="ready", duration_s=3600.0, storage_key="bench/none",
                               renditions=[{"label": "360p", "path": "360p.mp4", "height": 360}])
            db.session.add(asset)
            db.session.flush()
            course = Course(org_id=branch.id, audience_org_id=branch.id, title="压测课程", status="published", tags=[])
            db.session.add(course)
            db.session.flush()
            lesson = Lesson(course_id=course.id, position=1, title="压测视频课", kind="video", media_asset_id=asset.id)
            db.session.add(lesson)
            db.session.flush()
        password_hash = accounts.hash_password("bench-learner-pass")
        out = []
        for i in range(n):
            username = f"bench-learner-{n}-{i}"
            member = db.session.scalar(select(Member).where(Member.username == username)) or \
                member_service.create_member(branch, username=username, name=f"压测学员{i}",
                                             password_hash=password_hash, must_change_password=False)
            token, _ = accounts.issue_token(member)
            session, _ = study.open_session(member, lesson, "app")
            db.session.flush()
            out.append((session.id, token))
        db.session.commit()
        return out


def _beats_written(bench: BenchRun, session_ids: list[int]) -> tuple[int, int, float]:
    with bench.app_context():
        from sqlalchemy import func, select

        from courses.models import StudySession
        from learning.extensions import db

        row = db.session.execute(select(func.sum(StudySession.beats), func.sum(StudySession.ignored_beats),
                                        func.sum(StudySession.credited_s))
                                 .where(StudySession.id.in_(session_ids))).one()
        return int(row[0] or 0), int(row[1] or 0), float(row[2] or 0)


def run(bench: BenchRun) -> None:
    """Heartbeats vs the bare endpoint at each level of concurrent learners."""
    with bench.app_server() as app, bench.bare_server() as bare:
        for level in LEVELS:
            learners = _learners(bench, level)
            t0 = time.time()

            def heartbeat(client: int, seq: int, learners=learners, t0=t0) -> Request:
                session_id, token = learners[client % len(learners)]
                now = time.time()
                body = json.dumps({"position": round(now - t0, 3), "playing": True, "visible": True,
                                   "client_time": now * 1000}).encode()
                return Request("POST", f"/api/v1/study/sessions/{session_id}/heartbeats",
                               {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, body)

            def ping(client: int, seq: int) -> Request:
                return Request("GET", "/ping")

            saved = bench.clients
            bench.clients = level
            try:
                ours, baseline = bench.compare((app, heartbeat), (bare, ping))
                bench.report(f"heartbeats: {level} concurrent learner{'s' if level > 1 else ''} "
                             f"(POST /study/sessions/{{id}}/heartbeats vs bare GET /ping)",
                             [("heartbeat (full crediting path)", ours), ("bare Flask GET /ping", baseline)],
                             servers=[app, bare])
            finally:
                bench.clients = saved
            accepted, ignored, credited = _beats_written(bench, [sid for sid, _ in learners])
            print(f"   server side: {accepted} beats accepted, {ignored} ignored, "
                  f"{credited:.0f} s credited over {len(learners)} sessions; statuses {ours.statuses}", flush=True)
