"""Rankings: ties, visibility policy, fair branch order, live boards rebuildable from the database."""
from learning.services.policy import set_policy
from scoring.services import ledger
from scoring.services.boards import boards
from learning.services.period import resolve as resolve_period
from scoring.services.rankings import board_key, shrinkage_weight
from tests.factories import make_member
from tests.helpers import assert_error


def _give(db, by, member, points):
    ledger.adjust(member, points, "测试积分", actor=by)


def _setup(db, tree, points):
    admin = make_member(tree.branch1, roles=[("admin", tree.committee)])
    members = [make_member(tree.branch1, name=f"党员{i}") for i in range(len(points))]
    for m, p in zip(members, points):
        if p:
            _give(db, admin, m, p)
    db.session.commit()
    return admin, members


def test_members_are_ranked_by_points_with_ties_sharing_a_rank(client, db, tree, login_as):
    _admin, members = _setup(db, tree, [5, 9, 5, 1])
    _reviewer, headers = login_as("reviewer", tree.branch1)
    body = client.get(f"/api/v1/orgs/{tree.branch1.id}/rankings?period=week", headers=headers).get_json()
    ranked = [(i["rank"], i["points"]) for i in body["items"] if i["points"]]
    assert ranked == [(1, 9), (2, 5), (2, 5), (4, 1)]


def test_a_later_page_continues_the_ranks_and_a_tie_across_the_break_shares_its_rank(client, db, tree, login_as):
    _admin, members = _setup(db, tree, [9, 5, 5, 5, 1])
    _reviewer, headers = login_as("reviewer", tree.branch1)
    url = f"/api/v1/orgs/{tree.branch1.id}/rankings"
    pages = [client.get(url, query_string={"period": "week", "page": p, "per_page": 2}, headers=headers).get_json()
             for p in (1, 2, 3, 4)]
    scored = [(i["rank"], i["points"], i["member_id"]) for body in pages for i in body["items"] if i["points"]]
    assert [(rank, points) for rank, points, _ in scored] == [(1, 9), (2, 5), (2, 5), (2, 5), (5, 1)]
    assert len({m for _, _, m in scored}) == 5  # no member twice, none lost at a page break
    # the admin who gave the points and the reviewer hold 0 and close the ranking, tied at place 6
    assert [(i["rank"], i["points"]) for i in pages[3]["items"]] == [(6, 0)] and pages[2]["items"][-1]["rank"] == 6
    assert [(b["page"], b["per_page"], b["total"]) for b in pages] == [(p, 2, 7) for p in (1, 2, 3, 4)]
    assert all(b["me"] is not None and b["period"]["kind"] == "week" for b in pages)


def test_a_page_past_the_end_of_a_ranking_is_empty_with_the_total(client, db, tree, login_as):
    _setup(db, tree, [3, 2])
    _reviewer, headers = login_as("reviewer", tree.branch1)
    body = client.get(f"/api/v1/orgs/{tree.branch1.id}/rankings?page=50&per_page=10", headers=headers).get_json()
    assert (body["items"], body["total"], body["page"]) == ([], 4, 50)  # the two, the admin and the reviewer


def test_own_rank_policy_shows_a_member_only_their_place(client, db, tree):
    from tests.factories import bearer

    _admin, members = _setup(db, tree, [5, 9, 1])
    body = client.get(f"/api/v1/orgs/{tree.branch1.id}/rankings", headers=bearer(members[0])).get_json()
    assert body["visibility"] == "own" and body["items"] == []
    assert (body["me"]["rank"], body["me"]["points"]) == (2, 5)
    assert body["total"] == 4  # the whole ranking is counted, though only the caller's place is shown


def test_public_policy_shows_members_the_table(client, db, tree):
    from tests.factories import bearer

    _admin, members = _setup(db, tree, [5, 9])
    set_policy(tree.committee, "ranking_visibility", "public")
    db.session.commit()
    body = client.get(f"/api/v1/orgs/{tree.branch1.id}/rankings", headers=bearer(members[0])).get_json()
    assert [i["points"] for i in body["items"]][:2] == [9, 5]


def test_hidden_policy_refuses_members_but_not_organisers(client, db, tree, login_as):
    from tests.factories import bearer

    _admin, members = _setup(db, tree, [5])
    set_policy(tree.branch1, "ranking_visibility", "hidden")
    db.session.commit()
    assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}/rankings", headers=bearer(members[0])), 403)
    _organiser, headers = login_as("organiser", tree.branch1)
    assert client.get(f"/api/v1/orgs/{tree.branch1.id}/rankings", headers=headers).status_code == 200


def test_a_ranking_period_with_from_after_to_is_refused(client, db, tree, login_as):
    _reviewer, headers = login_as("reviewer", tree.branch1)
    resp = client.get(f"/api/v1/orgs/{tree.branch1.id}/rankings?period=custom&from=2026-03-02&to=2026-03-01",
                      headers=headers)
    assert assert_error(resp, 422)["errors"] == {"from": ["after_to"]}


def test_the_cached_board_moves_with_each_award_after_commit(client, db, tree, login_as):
    admin, members = _setup(db, tree, [5, 9])
    _reviewer, headers = login_as("reviewer", tree.branch1)
    url = f"/api/v1/orgs/{tree.branch1.id}/rankings?period=month"
    client.get(url, headers=headers)  # builds the board
    _give(db, admin, members[0], 10)
    db.session.commit()
    body = client.get(url, headers=headers).get_json()
    assert body["items"][0] == body["items"][0] | {"member_id": members[0].id, "points": 15, "rank": 1}


def test_a_lost_board_is_rebuilt_from_the_database(client, db, tree, login_as):
    _admin, members = _setup(db, tree, [5, 9])
    _reviewer, headers = login_as("reviewer", tree.branch1)
    url = f"/api/v1/orgs/{tree.branch1.id}/rankings?period=year"
    client.get(url, headers=headers)
    key = board_key(tree.branch1.id, resolve_period("year"))
    boards().replace(key, {members[0].id: 1000.0}, 60)  # a corrupted cache ...
    boards().delete_prefix(key)  # ... is dropped
    body = client.get(url, headers=headers).get_json()
    assert [i["points"] for i in body["items"]][:2] == [9, 5]


def test_committee_ranking_spans_its_branches(client, db, tree, login_as):
    admin = make_member(tree.branch1, roles=[("admin", tree.committee)])
    a, b = make_member(tree.branch1), make_member(tree.branch3)
    _give(db, admin, a, 3)
    _give(db, admin, b, 7)
    db.session.commit()
    _reviewer, headers = login_as("reviewer", tree.committee, branch=tree.branch1)
    body = client.get(f"/api/v1/orgs/{tree.committee.id}/rankings", headers=headers).get_json()
    assert [i["member_id"] for i in body["items"]][:2] == [b.id, a.id]


def test_a_tiny_branch_with_high_scores_does_not_top_a_large_active_one(client, db, tree, login_as):
    from tests.factories import make_org

    parent = make_org("第三党总支", "general_branch", tree.committee)
    admin = make_member(tree.branch1, roles=[("admin", tree.committee)])
    big = {}
    for mean in (18, 19, 20, 21, 24):  # 20 members each, spread ±12 around the branch mean
        branch = make_org(f"党支部{mean}", "branch", parent)
        big[mean] = branch
        for i in range(20):
            _give(db, admin, make_member(branch), mean + (-12, -6, 0, 6, 12)[i % 5])
    tiny = make_org("两人党支部", "branch", parent)
    for points in (30, 31):
        _give(db, admin, make_member(tiny), points)
    db.session.commit()
    _reviewer, headers = login_as("reviewer", parent, branch=tree.branch3)
    body = client.get(f"/api/v1/orgs/{parent.id}/rankings?of=branches", headers=headers).get_json()
    by_id = {i["org_id"]: i for i in body["items"]}
    assert max(body["items"], key=lambda i: i["points_per_member"])["org_id"] == tiny.id  # raw favours it
    assert body["items"][0]["org_id"] == big[24].id
    assert by_id[tiny.id]["shrunk_points_per_member"] < by_id[big[24].id]["shrunk_points_per_member"]
    assert body["method"]["k_points"] > 1
    second = client.get(f"/api/v1/orgs/{parent.id}/rankings?of=branches&page=2&per_page=2", headers=headers).get_json()
    assert [i["org_id"] for i in second["items"]] == [i["org_id"] for i in body["items"][2:4]]
    assert (second["total"], second["page"], second["per_page"]) == (6, 2, 2) and second["method"] == body["method"]


def test_shrinkage_weight_is_zero_when_branches_truly_differ():
    groups = [(100, 10.0, 0), (100, 50.0, 0)]
    assert shrinkage_weight(groups, within_var=4.0) < 0.01


def test_the_rebuild_task_refreshes_a_stale_board(client, db, tree, login_as):
    from scoring.tasks import rebuild_boards

    admin, members = _setup(db, tree, [5, 9])
    _reviewer, headers = login_as("reviewer", tree.branch1)
    url = f"/api/v1/orgs/{tree.branch1.id}/rankings?period=month"
    client.get(url, headers=headers)
    boards().replace(board_key(tree.branch1.id, resolve_period("month")), {members[0].id: 1.0}, 60)
    rebuild_boards.delay(tree.branch1.id)
    body = client.get(url, headers=headers).get_json()
    assert [i["points"] for i in body["items"]][:2] == [9, 5]
