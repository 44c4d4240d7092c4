"""Analytics: the scripted-study model, the disengagement classifier and what to study next."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sqlalchemy import select

from learning.models import LearningRecord, Member, Org
from reports.analytics import risk, scripted, store
from reports.analytics.features import session_features
from reports.simulate import simulate_daily_answers
from tests.factories import Tree, bearer, make_member, make_tree

#: the stated rate: at most this share of honest sessions is flagged
HONEST_FLAG_RATE = 0.03


def _judged_sessions(db, history):
    model = scripted.train(history.tree.committee)
    db.session.commit()
    recs = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "studied")).all()
    verdicts = scripted.judge([session_features(r) for r in recs], "session", store.load(model))
    return {r.id: v for r, v in zip(recs, verdicts)}


def test_anomaly_model_catches_injected_scripted_sessions(db, history):
    judged = _judged_sessions(db, history)
    caught = [judged[i] for i in history.outcome.scripted_sessions if judged[i]]
    assert len(caught) >= 0.9 * len(history.outcome.scripted_sessions)


def test_anomaly_model_leaves_honest_sessions_alone_at_stated_rate(db, history):
    judged = _judged_sessions(db, history)
    flagged = [i for i in history.outcome.honest_sessions if judged[i]]
    assert len(flagged) <= HONEST_FLAG_RATE * len(history.outcome.honest_sessions)


def test_scripted_member_flag_lists_the_features_that_raised_it(client, db, history):
    from tests.reports.test_member_report import _report

    scripted.train(history.tree.committee)
    db.session.commit()
    report = _report(client, db, history, history.scripted[0])
    kinds = {f["kind"]: f for f in report["flags"]}
    study_reasons = {r["feature"] for r in kinds["scripted_study"]["reasons"]}
    assert {"regular_heartbeats", "fast_playback"} <= study_reasons
    assert "answers_too_fast" in {r["feature"] for r in kinds["scripted_answers"]["reasons"]}


def test_honest_member_has_no_scripted_flag(client, db, history):
    from tests.reports.test_member_report import _report

    scripted.train(history.tree.committee)
    db.session.commit()
    for member in history.honest[:4]:
        report = _report(client, db, history, member)
        assert not [f for f in report["flags"] if f["kind"].startswith("scripted")], member.name


def test_training_again_writes_a_new_model_version(client, db, history):
    reviewer = make_member(history.tree.branch3, roles=[("reviewer", history.tree.committee)])
    headers = bearer(reviewer)
    for _ in range(2):
        assert client.post(f"/api/v1/orgs/{history.tree.committee.id}/analytics/train", headers=headers).status_code == 202
    models = client.get(f"/api/v1/orgs/{history.tree.committee.id}/analytics", headers=headers).get_json()["items"]
    assert sorted((m["kind"], m["version"]) for m in models) == [("risk", 1), ("risk", 2), ("scripted", 1),
                                                               ("scripted", 2)]


def _activity_history(snapshots, db, pattern):
    """45 members answering on active days over 40 weeks on their own tree, built once per session per pattern: (tree, members)."""
    def build():
        tree = make_tree()
        members = [make_member([tree.branch1, tree.branch2, tree.branch3][i % 3]) for i in range(45)]
        simulate_daily_answers(members, weeks=40, end=datetime.now(timezone.utc), pattern=pattern, seed=11)
        return {k: getattr(tree, k).id for k in Tree.__dataclass_fields__}, [m.id for m in members]

    tree_ids, member_ids = snapshots.restore(f"reports_answers_{pattern}", build)
    tree = Tree(**{k: db.session.get(Org, i) for k, i in tree_ids.items()})
    return tree, [db.session.get(Member, i) for i in member_ids]


def test_disengagement_model_reports_f1_and_auc_from_repeated_cv(db, snapshots):
    tree, _ = _activity_history(snapshots, db, "fading")
    model = risk.train(tree.committee)
    assert model.metrics["folds"] * model.metrics["repeats"] == 10
    assert 0 <= model.metrics["auc"] <= 1 and 0 <= model.metrics["f1_weighted"] <= 1
    assert model.usable is (model.metrics["f1_weighted"] >= 0.7)


def test_disengagement_model_is_used_where_it_predicts_well(client, db, snapshots):
    tree, members = _activity_history(snapshots, db, "fading")
    model = risk.train(tree.committee)
    db.session.commit()
    assert model.usable and model.metrics["f1_weighted"] >= 0.7
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    report = client.get(f"/api/v1/orgs/{tree.committee.id}/report", headers=bearer(reviewer)).get_json()
    assert report["risk_model"]["usable"] is True and report["risk_model"]["auc"] == model.metrics["auc"]


def test_disengagement_model_below_f1_threshold_is_not_used(client, db, snapshots):
    tree, _ = _activity_history(snapshots, db, "memoryless")
    model = risk.train(tree.committee)
    db.session.commit()
    assert model.metrics.get("f1_weighted", 0) < 0.7 and not model.usable
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    report = client.get(f"/api/v1/orgs/{tree.committee.id}/report", headers=bearer(reviewer)).get_json()
    assert report["risk_model"]["usable"] is False
    assert not any("disengagement_risk" in a["why"] for a in report["attention"])


def test_what_to_study_next_starts_from_the_weakest_knowledge_point(client, db, history):
    from tests.reports.test_member_report import _report

    report = _report(client, db, history, history.honest[0])
    weakest = min((k for k in report["knowledge_points"] if k["answered"] >= 2 and k["accuracy"] < 0.8),
                  key=lambda k: (k["accuracy"], -k["answered"]))
    first = report["next_steps"][0]
    assert first["knowledge_point"] == weakest["knowledge_point"]
    assert all(weakest["knowledge_point"] in c["course"] for c in first["courses"])
    assert first["questions"] and all(q["question"].startswith(weakest["knowledge_point"]) for q in first["questions"])


class _Tripwire:
    """A pickle that records being unpickled (what a payload crafted for another version could run)."""

    loaded = []

    def __reduce__(self):
        return (_Tripwire.loaded.append, ("unpickled",))


def test_model_pickled_by_another_library_version_is_retrained_not_unpickled(client, db, history):
    import pickle

    from reports.analytics.flags import scripted_flags

    old = scripted.train(history.tree.committee)
    old.library_version = "scikit-learn 0.24.2; numpy 1.19.5"
    old.blob = pickle.dumps({"session": _Tripwire()})
    db.session.commit()
    with pytest.raises(store.StaleModel):
        store.load(old)
    flags, judged, _ = scripted_flags(history.tree.committee, [], [])
    assert _Tripwire.loaded == []
    newest = store.latest_row(history.tree.committee, "scripted")
    assert newest.version == old.version + 1 and newest.library_version == store.library_version()
    assert "session" in store.load(newest)


def test_stored_model_names_the_library_versions_that_trained_it(db, history):
    import sklearn

    model = scripted.train(history.tree.committee)
    assert f"scikit-learn {sklearn.__version__}" in model.library_version
