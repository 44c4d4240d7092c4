"""The member report against figures computed here, independently, from the raw records."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from learning.models import LearningRecord
from learning.timeutil import local_day
from tests.factories import bearer, make_member


def _raw(db, member, history):
    rows = db.session.scalars(select(LearningRecord).where(LearningRecord.member_id == member.id)).all()
    return [r for r in rows if history.start <= local_day(r.occurred_at) <= history.end]


def _report(client, db, history, member, reader_role="organiser"):
    reader = make_member(history.tree.branch3, roles=[(reader_role, history.tree.committee)])
    resp = client.get(f"/api/v1/members/{member.id}/report", query_string=history.query(), headers=bearer(reader))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_study_time_and_sessions_match_raw_records(client, db, history):
    member = history.honest[0]
    report = _report(client, db, history, member)
    studied = [r for r in _raw(db, member, history) if r.verb == "studied"]
    assert report["summary"]["study_seconds"] == sum(r.duration_s for r in studied)
    assert report["summary"]["sessions"] == len(studied)
    per_day = defaultdict(int)
    for r in studied:
        per_day[local_day(r.occurred_at).isoformat()] += r.duration_s
    assert {d["day"]: d["seconds"] for d in report["study_by_day"] if d["seconds"]} == dict(per_day)
    assert sum(map(sum, report["heatmap"])) == sum(r.duration_s for r in studied)


def test_answers_and_knowledge_points_match_raw_records(client, db, history):
    member = history.honest[1]
    report = _report(client, db, history, member)
    answers = [r for r in _raw(db, member, history) if r.verb == "answered"]
    right = sum(1 for r in answers if r.result["success"])
    assert report["summary"]["questions_answered"] == len(answers)
    assert report["summary"]["questions_correct"] == right
    by_kp = defaultdict(lambda: [0, 0])
    for r in answers:
        for kp in r.result["knowledge_points"]:
            by_kp[kp][0] += 1
            by_kp[kp][1] += int(r.result["success"])
    assert {k["knowledge_point"]: [k["answered"], k["correct"]] for k in report["knowledge_points"]} == dict(by_kp)


def test_wrong_answer_book_lists_questions_last_answered_wrongly(client, db, history):
    member = history.honest[2]
    report = _report(client, db, history, member)
    last = {}
    for r in sorted(_raw(db, member, history), key=lambda r: (r.occurred_at, r.id)):
        if r.verb == "answered":
            last[r.object_id] = r.result["success"]
    assert sorted(w["question_id"] for w in report["wrong_answers"]) == sorted(q for q, ok in last.items() if not ok)


def test_quiz_attempts_tasks_and_offline_match_raw_records(client, db, history):
    member = history.honest[3]
    report = _report(client, db, history, member)
    raw = _raw(db, member, history)
    submitted = [r for r in raw if r.verb == "submitted"]
    assert sorted(a["score"] for a in report["quiz_attempts"]) == sorted(float(r.result["score"]) for r in submitted)
    assigned = [r for r in raw if r.verb == "assigned"]
    done = [r for r in raw if r.verb == "completed" and r.object_type == "course"]
    assert len(report["tasks"]) == len(assigned)
    expected = "done_on_time" if done and done[0].result["on_time"] else ("done_late" if done else None)
    if expected:
        assert report["tasks"][0]["status"] == expected
    else:
        assert report["tasks"][0]["status"] in ("open", "overdue")
    assert report["summary"]["offline_attended"] == sum(1 for r in raw if r.verb == "attended")


def test_attitude_index_follows_its_formula(client, db, history):
    member = history.honest[0]
    report = _report(client, db, history, member)
    raw = _raw(db, member, history)
    weeks = ((history.end - history.start).days + 1 + 6) // 7
    active_weeks = {(local_day(r.occurred_at) - history.start).days // 7 for r in raw}
    parts = report["attitude"]["parts"]
    assert abs(parts["regularity"] - len(active_weeks) / weeks) < 1e-9
    values = {k: v for k, v in parts.items() if v is not None}
    weights = {"regularity": 0.4, "on_time": 0.3, "spread": 0.3}
    expected = 100 * sum(weights[k] * v for k, v in values.items()) / sum(weights[k] for k in values)
    assert abs(report["attitude"]["value"] - round(expected, 1)) < 0.051
    assert "Attitude = 100 × (0.4·R + 0.3·T + 0.3·S)" in report["attitude"]["formula"]


def test_effectiveness_accuracy_part_is_share_of_right_answers(client, db, history):
    member = history.honest[1]
    report = _report(client, db, history, member)
    answers = [r for r in _raw(db, member, history) if r.verb == "answered"]
    assert abs(report["effectiveness"]["parts"]["accuracy"] - sum(r.result["success"] for r in answers) / len(answers)) < 1e-9


def test_member_reads_own_report_without_flags(client, db, history):
    member = history.scripted[0]
    resp = client.get(f"/api/v1/members/{member.id}/report", query_string=history.query(), headers=bearer(member))
    assert resp.status_code == 200
    assert resp.get_json()["flags"] is None


def test_member_cannot_read_another_members_report(client, db, history):
    me, other = history.honest[0], history.honest[4]
    resp = client.get(f"/api/v1/members/{other.id}/report", headers=bearer(me))
    assert resp.status_code == 404


def test_rank_hidden_from_member_when_policy_hides_rankings(client, db, history):
    from learning.services.policy import set_policy

    member = history.honest[0]
    set_policy(history.tree.committee, "ranking_visibility", "hidden")
    db.session.commit()
    resp = client.get(f"/api/v1/members/{member.id}/report", headers=bearer(member))
    assert resp.get_json()["rank"] is None


def test_rank_shown_to_member_under_own_rank_policy(client, db, tree):
    member = make_member(tree.branch1)
    db.session.commit()
    resp = client.get(f"/api/v1/members/{member.id}/report", headers=bearer(member))
    assert resp.get_json()["rank"] == {"rank": 1, "of": 1, "points": 0}
