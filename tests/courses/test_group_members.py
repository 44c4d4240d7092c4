"""A 党小组 member sees the courses and learning tasks of the enclosing branch, and not a sibling branch's."""
from datetime import timedelta

from learning.timeutil import utcnow
from tests.courses.helpers import make_course
from tests.factories import bearer, make_member, make_org
from tests.helpers import assert_error


def _assign(client, headers, org, course_ids):
    return client.post(f"/api/v1/orgs/{org.id}/tasks", headers=headers,
                       json={"title": "二十大精神专题学习", "course_ids": course_ids,
                             "due_at": (utcnow() + timedelta(days=7)).isoformat()})


def test_a_group_member_sees_branch_courses_and_not_a_sibling_branchs(client, db, tree):
    ours, theirs = make_course(tree.branch1), make_course(tree.branch2)
    headers = bearer(make_member(tree.group1))
    listed = [c["id"] for c in client.get("/api/v1/courses", headers=headers).get_json()["items"]]
    assert ours.id in listed and theirs.id not in listed
    assert client.get(f"/api/v1/courses/{ours.id}", headers=headers).get_json()["title"] == ours.title
    assert_error(client.get(f"/api/v1/courses/{theirs.id}", headers=headers), 404)
    assert_error(client.patch(f"/api/v1/courses/{ours.id}", json={"title": "改"}, headers=headers), 403)


def test_a_branch_task_reaches_the_group_member_who_cannot_manage_it(client, db, tree, login_as):
    course = make_course(tree.branch1)
    member = make_member(tree.group1)
    outsider = make_member(make_org("第二党小组", "group", tree.branch2))
    _, organiser = login_as("organiser", tree.branch1)
    task = _assign(client, organiser, tree.branch1, [course.id]).get_json()
    headers = bearer(member)
    mine = client.get("/api/v1/me/tasks", headers=headers).get_json()["items"]
    assert [(t["id"], t["org_name"]) for t in mine] == [(task["id"], tree.branch1.name)]
    assert client.get("/api/v1/me/tasks", headers=bearer(outsider)).get_json()["items"] == []
    assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}/tasks", headers=headers), 403)
    assert_error(client.get(f"/api/v1/tasks/{task['id']}/completion", headers=headers), 404)
    assert_error(_assign(client, headers, tree.branch1, [course.id]), 403)
    assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}/tasks", headers=bearer(outsider)), 404)
