"""Fixtures of the reports tests: a generated learning history written through record()."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from learning.timeutil import local_day
from reports.simulate import Outcome, make_profiles, simulate
from learning.models import Member, Org
from tests.factories import Tree, make_member, make_tree

NAMES = ["王建国", "李秀英", "张伟", "刘芳", "陈静", "杨洋", "赵磊", "黄敏", "周杰", "吴霞", "徐涛", "孙丽", "马强", "朱红", "胡斌", "郭敏"]


@dataclass
class History:
    """The generated data set: tree, members by branch, who is scripted, the period it covers."""

    tree: object
    members: list
    outcome: Outcome
    start: object
    end: object

    @property
    def scripted(self) -> list:
        return [m for m in self.members if m.id in self.outcome.scripted_members]

    @property
    def honest(self) -> list:
        return [m for m in self.members if m.id not in self.outcome.scripted_members]

    def query(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def build_history(tree, db, *, per_branch: int = 4, days: int = 28, scripted: int = 1, seed: int = 5) -> History:
    """Members in branch1, branch2, branch3 (and group1) with `days` days of simulated learning."""
    branches = [tree.branch1, tree.group1, tree.branch2, tree.branch3]
    members = [make_member(branches[i % len(branches)], name=NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else str(i)))
               for i in range(per_branch * len(branches))]
    end = datetime.now(timezone.utc) - timedelta(minutes=5)
    profiles = make_profiles(members, random.Random(seed), scripted=scripted, dropouts=0.0)
    outcome = simulate(profiles, days=days, end=end, seed=seed)
    db.session.commit()
    return History(tree, members, outcome, local_day(end - timedelta(days=days)), local_day(end))


def history_ids(h: History) -> tuple:
    """A History as plain data (ids), what a snapshot's builder may return."""
    return ({k: getattr(h.tree, k).id for k in Tree.__dataclass_fields__}, [m.id for m in h.members],
            h.outcome, h.start, h.end)


def history_from_ids(db, ids: tuple) -> History:
    """The History `history_ids` gave, its objects read back."""
    tree_ids, member_ids, outcome, start, end = ids
    tree = Tree(**{k: db.session.get(Org, i) for k, i in tree_ids.items()})
    return History(tree, [db.session.get(Member, i) for i in member_ids], outcome, start, end)


def snapshot_history(snapshots, db, name: str, build) -> History:
    """The History `build()` makes, built once per session and copied into each test that asks (tests/snapshots.py)."""
    return history_from_ids(db, snapshots.restore(name, lambda: history_ids(build())))


def standard_history(snapshots, db) -> History:
    """The standard history (see `history`), from its session snapshot."""
    return snapshot_history(snapshots, db, "reports_history", lambda: build_history(make_tree(), db))


@pytest.fixture
def history(request, snapshots, db):
    """A small realistic history: 16 members over four weeks, one of them scripted (on its own org tree)."""
    assert "tree" not in request.fixturenames, "use history.tree: the history brings its own tree"
    return standard_history(snapshots, db)
