"""Scripted-study flags in the org report's "members who need attention": shown with their reasons to
organisers and reviewers (report.analytics), never to members."""
from __future__ import annotations

import pytest

from reports.analytics import scripted
from reports.services.org_report import build_org_report
from learning.services.period import Period
from tests.factories import bearer, make_member
from tests.reports.conftest import snapshot_history, standard_history


@pytest.fixture
def trained(db, snapshots):
    """The generated history (one scripted member) with the committee's scripted-study model trained."""
    def build():
        history = standard_history(snapshots, db)
        scripted.train(history.tree.committee)
        return history

    return snapshot_history(snapshots, db, "reports_trained", build)


def _attention(client, history, org, reader):
    resp = client.get(f"/api/v1/orgs/{org.id}/report", query_string=history.query(), headers=bearer(reader))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return {a["id"]: a for a in resp.get_json()["attention"]}


def test_scripted_member_needs_attention_with_the_features_that_raised_it(client, db, trained):
    reviewer = make_member(trained.tree.branch3, roles=[("reviewer", trained.tree.committee)])
    listed = _attention(client, trained, trained.tree.committee, reviewer)
    bot = listed[trained.scripted[0].id]
    assert {"scripted_study", "scripted_answers"} <= set(bot["why"])
    flags = {f["kind"]: f for f in bot["flags"]}
    assert {"regular_heartbeats", "fast_playback"} <= {r["feature"] for r in flags["scripted_study"]["reasons"]}
    assert "answers_too_fast" in {r["feature"] for r in flags["scripted_answers"]["reasons"]}
    assert flags["scripted_study"]["flagged"] >= 2 and flags["scripted_study"]["of"] >= flags["scripted_study"]["flagged"]
    assert bot["url"] == f"/api/v1/members/{bot['id']}/report"


def test_honest_members_are_not_flagged_as_scripted(client, db, trained):
    reviewer = make_member(trained.tree.branch3, roles=[("reviewer", trained.tree.committee)])
    listed = _attention(client, trained, trained.tree.committee, reviewer)
    for member in trained.honest:
        assert not [w for w in listed.get(member.id, {"why": []})["why"] if w.startswith("scripted")], member.name


def test_branch_organiser_sees_flags_of_their_own_members(client, db, trained):
    bot = trained.scripted[0]
    organiser = make_member(bot.org, roles=[("organiser", bot.org)])
    assert "scripted_study" in _attention(client, trained, bot.org, organiser)[bot.id]["why"]


def test_org_page_shows_the_reasons_in_chinese(client, db, trained, page_login):
    reviewer = make_member(trained.tree.branch3, roles=[("reviewer", trained.tree.committee)])
    db.session.commit()
    page_login(reviewer)
    html = client.get(f"/reports/orgs/{trained.tree.committee.id}", query_string=trained.query()).get_data(as_text=True)
    attention = html[html.index('id="attention"'):html.index('id="members"')]
    assert trained.scripted[0].name in attention
    assert "疑似刷课的学习会话" in attention and "心跳间隔如机器般均匀" in attention


def test_scripted_member_sees_no_flag_on_their_own_report(client, db, trained, page_login):
    bot = trained.scripted[0]
    report = client.get(f"/api/v1/members/{bot.id}/report", query_string=trained.query(), headers=bearer(bot)).get_json()
    assert report["flags"] is None and not any(s.get("flag") for s in report["sessions"])
    page_login(bot)
    html = client.get(f"/reports/members/{bot.id}", query_string=trained.query()).get_data(as_text=True)
    assert "心跳间隔如机器般均匀" not in html and "疑似刷课" not in html and 'id="flags"' not in html


def test_other_members_cannot_reach_the_attention_list_or_the_flagged_report(client, db, trained):
    bot = trained.scripted[0]
    peer = next(m for m in trained.honest if m.org_id == bot.org_id)
    resp = client.get(f"/api/v1/orgs/{bot.org_id}/report", headers=bearer(peer))
    assert resp.status_code == 403 and "attention" not in resp.get_json()  # own branch: seen, not readable
    assert client.get(f"/api/v1/members/{bot.id}/report", headers=bearer(peer)).status_code == 404


def test_without_analytics_the_attention_list_carries_no_flags(db, trained):
    period = Period(trained.start, trained.end)
    report = build_org_report(trained.tree.committee, period, show_flags=False)
    assert report["risk_model"] is None
    assert not [a for a in report["attention"] if a["flags"] or {"scripted_study", "scripted_answers",
                                                                  "disengagement_risk"} & set(a["why"])]
    with_flags = build_org_report(trained.tree.committee, period, show_flags=True)
    assert any(a["flags"] for a in with_flags["attention"])
