"""Org report and dashboard against figures computed here from the raw records."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from learning.models import LearningRecord, Member, Org
from learning.timeutil import local_day
from tests.factories import bearer, make_member


def _get(client, history, path, role="reviewer"):
    reader = make_member(history.tree.branch3, roles=[(role, history.tree.committee)])
    resp = client.get(path, query_string=history.query(), headers=bearer(reader))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def _raw_in(db, history, org):
    orgs = {o.id for o in db.session.scalars(select(Org).where(Org.path.startswith(org.path)))}
    rows = db.session.scalars(select(LearningRecord).where(LearningRecord.org_id.in_(orgs))).all()
    members = db.session.scalars(select(Member).where(Member.org_id.in_(orgs))).all()
    return [r for r in rows if history.start <= local_day(r.occurred_at) <= history.end], members


def _expected(records, members) -> dict:
    active = {r.member_id for r in records  # an active day took effort (learning.services.activity)
              if r.verb in ("answered", "attended") or (r.verb == "studied" and r.duration_s > 0)}
    answers = [r for r in records if r.verb == "answered"]
    study = sum(r.duration_s for r in records if r.verb == "studied")
    return {"members": len(members), "active_members": len(active),
            "participation": len(active) / len(members), "study_seconds": study,
            "study_seconds_per_member": study / len(members), "answered": len(answers),
            "accuracy": sum(r.result["success"] for r in answers) / len(answers)}


def _close(actual: dict, expected: dict):
    for key, value in expected.items():
        assert abs(actual[key] - value) < 1e-9, (key, actual[key], value)


def test_committee_figures_match_raw_records(client, db, history):
    committee = history.tree.committee
    report = _get(client, history, f"/api/v1/orgs/{committee.id}/dashboard")
    _close(report["figures"], _expected(*_raw_in(db, history, committee)))


def test_each_child_compared_matches_raw_records(client, db, history):
    report = _get(client, history, f"/api/v1/orgs/{history.tree.general1.id}/report")
    children = {c["id"]: c for c in report["children"]}
    for child in (history.tree.branch1, history.tree.branch2):
        _close(children[child.id], _expected(*_raw_in(db, history, child)))


def test_task_completion_matches_raw_records(client, db, history):
    committee = history.tree.committee
    report = _get(client, history, f"/api/v1/orgs/{committee.id}/report")
    records, _ = _raw_in(db, history, committee)
    assigned = {(r.member_id, r.object_id) for r in records if r.verb == "assigned"}
    done = {(r.member_id, t) for r in records if r.verb == "completed" and r.object_type == "course"
            for t in r.result["task_ids"]}
    on_time = {(r.member_id, t) for r in records if r.verb == "completed" and r.object_type == "course"
               and r.result["on_time"] for t in r.result["task_ids"]}
    assert report["figures"]["tasks_assigned"] == len(assigned)
    assert report["figures"]["tasks_completed"] == len(assigned & done)
    assert report["figures"]["tasks_on_time"] == len(assigned & on_time)


def test_weak_knowledge_points_match_raw_answers(client, db, history):
    committee = history.tree.committee
    report = _get(client, history, f"/api/v1/orgs/{committee.id}/report")
    records, _ = _raw_in(db, history, committee)
    per_kp = defaultdict(lambda: [0, 0])
    for r in records:
        if r.verb == "answered":
            for kp in r.result["knowledge_points"]:
                per_kp[kp][0] += 1
                per_kp[kp][1] += int(r.result["success"])
    worst = sorted(per_kp.items(), key=lambda kv: (kv[1][1] / kv[1][0], -kv[1][0]))
    assert [k["knowledge_point"] for k in report["weak_points"]] == [kp for kp, _ in worst]
    assert [[k["answered"], k["correct"]] for k in report["weak_points"]] == [v for _, v in worst]


def test_trend_sums_to_the_period_total(client, db, history):
    report = _get(client, history, f"/api/v1/orgs/{history.tree.committee.id}/dashboard")
    assert sum(t["study_seconds"] for t in report["trend"]) == report["figures"]["study_seconds"]


def test_drill_down_reaches_every_member_of_a_branch(client, db, history):
    branch = history.tree.branch2
    report = _get(client, history, f"/api/v1/orgs/{branch.id}/report")
    expected = {m.id for m in history.members if m.org_id == branch.id}
    assert {m["id"] for m in report["members"]} == expected
    assert all(m["url"] == f"/api/v1/members/{m['id']}/report" for m in report["members"])


def test_children_links_drill_into_child_reports(client, db, history):
    report = _get(client, history, f"/api/v1/orgs/{history.tree.committee.id}/dashboard")
    assert {c["url"] for c in report["children"]} == {f"/api/v1/orgs/{o.id}/report" for o in
                                                     (history.tree.general1, history.tree.general2)}


def test_inactive_member_is_listed_as_needing_attention(client, db, history):
    idle = make_member(history.tree.branch3, name="闲置党员")
    db.session.commit()
    report = _get(client, history, f"/api/v1/orgs/{history.tree.branch3.id}/report")
    listed = {a["id"]: a["why"] for a in report["attention"]}
    assert "no_activity" in listed[idle.id]


def test_organiser_cannot_read_a_sibling_branch_report(client, db, tree):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    resp = client.get(f"/api/v1/orgs/{tree.branch2.id}/report", headers=bearer(organiser))
    assert resp.status_code == 404


def test_task_completion_reads_each_case_of_the_result_fields(db, tree):
    from datetime import timedelta

    from learning.services.records import record
    from learning.timeutil import utcnow
    from reports.services.org_report import task_rows
    from reports.services.period import make_period

    now = utcnow()
    due, late = (now - timedelta(days=2)).isoformat(), now - timedelta(days=1)
    cases = {  # member: (courses of the task, completions as (course, on_time or "absent", at))
        "on_time": (["1"], [("1", True, now - timedelta(days=3))]),
        "flag_absent": (["1"], [("1", "absent", now - timedelta(days=3))]),
        "flagged_late": (["1"], [("1", False, now - timedelta(days=3))]),
        "after_due": (["1"], [("1", True, late)]),
        "half_done": (["1", "2"], [("1", True, now - timedelta(days=3))]),
        "overdue": (["1"], []),
    }
    members = {}
    for name, (courses, completions) in cases.items():
        m = members[name] = make_member(tree.branch1)
        record(m, "assigned", "task", "t1", idempotency_key=f"a-{m.id}", occurred_at=now - timedelta(days=5),
               result={"course_ids": [int(c) for c in courses], "due_at": due})
        for course, flag, at in completions:
            result = {"course_id": int(course), "task_ids": ["t1"]} | ({} if flag == "absent" else {"on_time": flag})
            record(m, "completed", "course", course, idempotency_key=f"c-{m.id}-{course}", occurred_at=at,
                   result=result)
    db.session.commit()
    rows = {r["member_id"]: r for r in task_rows(tree.committee, make_period(None, None))}
    got = {name: (rows[m.id]["complete"], rows[m.id]["on_time"], rows[m.id]["overdue"]) for name, m in members.items()}
    assert got == {"on_time": (True, True, False), "flag_absent": (True, True, False),
                   "flagged_late": (True, False, False), "after_due": (True, False, False),
                   "half_done": (False, False, True), "overdue": (False, False, True)}
