"""Committee packs on the `reports` queue: progress, files kept for download, the monthly pack."""
from __future__ import annotations

import io
import shutil
import time
import zipfile
from datetime import date

import pytest
from sqlalchemy import select

from learning.models import Member
from reports.models import ReportPack
from tests.factories import bearer, make_member
from tests.reports.conftest import history_from_ids, history_ids, standard_history


def _start(client, history, headers):
    resp = client.post(f"/api/v1/orgs/{history.tree.committee.id}/report-packs", json=history.query(), headers=headers)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return resp.get_json()


@pytest.fixture
def started_pack(client, db, snapshots):
    """(history, headers, pack): the standard history and the pack a committee reviewer started through the API
    (built eagerly to the end), made once per session: its rows copied into each test that asks, its zip put
    back where the pack keeps it. Rendering a pack's PDFs is what these tests cost; they only read the pack."""
    from reports.services.packs import pack_root

    kept = snapshots.directory / "snap-reports_pack.zip"

    def build():
        history = standard_history(snapshots, db)
        reviewer = make_member(history.tree.branch3, roles=[("reviewer", history.tree.committee)])
        pack = _start(client, history, bearer(reviewer))
        file_path = db.session.get(ReportPack, pack["id"]).file_path
        shutil.copyfile(pack_root() / file_path, kept)
        return history_ids(history), reviewer.id, pack, file_path

    ids, reviewer_id, pack, file_path = snapshots.restore("reports_pack", build)
    shutil.copyfile(kept, pack_root() / file_path)  # as the build left it, whatever ran in between
    return history_from_ids(db, ids), bearer(db.session.get(Member, reviewer_id)), pack


def test_pack_holds_a_pdf_and_xlsx_for_every_branch(client, db, started_pack):
    history, headers, pack = started_pack
    state = client.get(pack["url"], headers=headers).get_json()
    assert state["status"] == "done" and state["done"] == state["total"] == 4  # committee + three branches
    resp = client.get(state["file_url"], headers=headers)
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    for branch in (history.tree.branch1, history.tree.branch2, history.tree.branch3):
        assert sum(n.startswith(f"{branch.id}-") for n in names) == 2
    assert {n.rsplit(".", 1)[1] for n in names} == {"pdf", "xlsx"}


def test_pack_file_stays_for_later_download(client, db, started_pack):
    history, headers, pack = started_pack
    listed = client.get(f"/api/v1/orgs/{history.tree.committee.id}/report-packs", headers=headers).get_json()["items"]
    assert [p["id"] for p in listed] == [pack["id"]]
    first = client.get(listed[0]["file_url"], headers=headers)
    second = client.get(listed[0]["file_url"], headers=headers)
    assert first.status_code == second.status_code == 200 and first.data == second.data


def test_pack_of_an_unfinished_pack_has_no_file(client, db, tree):
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    pack = ReportPack(org_id=tree.committee.id, period_from=date(2026, 10, 1), period_to=date(2026, 10, 31),
                      status="running", total=4, done=1)
    db.session.add(pack)
    db.session.commit()
    headers = bearer(reviewer)
    state = client.get(f"/api/v1/report-packs/{pack.id}", headers=headers).get_json()
    assert state["progress"] == 0.25 and state["file_url"] is None
    assert client.get(f"/api/v1/report-packs/{pack.id}/file", headers=headers).status_code == 404


def test_monthly_pack_covers_last_month_once(db, tree, monkeypatch):
    from reports import tasks

    monkeypatch.setattr(tasks, "utcnow", lambda: __import__("datetime").datetime(2026, 11, 1, 1, 0,
                                                                                 tzinfo=__import__("datetime").timezone.utc))
    assert tasks.monthly_packs() == 1
    assert tasks.monthly_packs() == 0
    packs = db.session.scalars(select(ReportPack)).all()
    assert [(p.kind, p.period_from, p.period_to, p.status) for p in packs] == [
        ("monthly", date(2026, 10, 1), date(2026, 10, 31), "done")]


def test_monthly_pack_is_scheduled_on_the_first_on_the_reports_queue(app):
    conf = app.extensions["celery"].conf
    entry = conf.beat_schedule["reports-monthly-packs"]
    assert entry["task"] == "reports.tasks.monthly_packs"
    assert entry["schedule"].day_of_month == {1}
    assert conf.task_routes["reports.tasks.*"] == {"queue": "reports"}


@pytest.mark.worker
def test_pack_runs_on_a_real_worker_with_progress(client, db, history, real_tasks):
    headers = bearer(make_member(history.tree.branch3, roles=[("reviewer", history.tree.committee)]))
    pack = _start(client, history, headers)
    seen = set()
    deadline = time.time() + 240
    while time.time() < deadline:
        state = client.get(pack["url"], headers=headers).get_json()
        seen.add((state["status"], state["done"]))
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.3)
    assert state["status"] == "done", state
    assert client.get(state["file_url"], headers=headers).status_code == 200
