"""The nightly rebuild of every org's leaderboards: on the beat schedule, and it repairs stale boards."""
from celery.schedules import crontab

from scoring import tasks
from scoring.services import ledger
from scoring.services.boards import boards
from learning.services.period import resolve as resolve_period
from scoring.services.rankings import board_key
from tests.factories import make_member


def test_the_board_rebuild_is_on_the_beat_schedule_as_a_registered_task(app):
    celery_app = app.extensions["celery"]
    entry = celery_app.conf.beat_schedule["scoring-rebuild-boards"]
    assert entry["task"] == tasks.rebuild_all_boards.name == "scoring.tasks.rebuild_all_boards"
    assert entry["task"] in celery_app.tasks
    assert isinstance(entry["schedule"], crontab) and entry["schedule"].hour == {19}  # 03:30 China time


def test_the_nightly_rebuild_repairs_stale_boards_of_every_org(client, db, tree, login_as):
    admin = make_member(tree.branch1, roles=[("admin", tree.committee)])
    low, high = make_member(tree.branch1), make_member(tree.branch1)
    ledger.adjust(low, 5, "测试积分", actor=admin)
    ledger.adjust(high, 9, "测试积分", actor=admin)
    db.session.commit()
    _reviewer, headers = login_as("reviewer", tree.committee, branch=tree.branch3)
    urls = [f"/api/v1/orgs/{org.id}/rankings?period=month" for org in (tree.branch1, tree.committee)]
    for org, url in zip((tree.branch1, tree.committee), urls):
        client.get(url, headers=headers)
        boards().replace(board_key(org.id, resolve_period("month")), {low.id: 100.0}, 60)  # gone stale
    assert tasks.rebuild_all_boards.delay().get() == 7  # the seven open orgs of the tree
    for url in urls:
        items = client.get(url, headers=headers).get_json()["items"]
        assert [(i["member_id"], i["points"]) for i in items][:2] == [(high.id, 9), (low.id, 5)]
