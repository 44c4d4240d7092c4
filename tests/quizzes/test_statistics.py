"""Item statistics against an independent numpy computation of Moodle's formulas on a generated matrix."""
import numpy as np
import pytest

from learning.timeutil import utcnow
from quizzes.services import attempts as attempt_service
from quizzes.services.statistics import item_statistics, time_distribution
from tests.factories import make_member
from tests.quizzes.factories import make_question, make_quiz


def _matrix(seed=7, s=400, p=12):
    """Marks of s attempts on p questions from a simple ability model, one question reversed."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=s)
    difficulty = rng.normal(size=p)
    prob = 1 / (1 + np.exp(-(ability[:, None] - difficulty[None, :])))
    marks = (rng.random((s, p)) < prob).astype(float)
    marks[:, 3] = (rng.random(s) < 1 / (1 + np.exp(ability))).astype(float)  # the able get it wrong
    marks[:, 5] *= 2  # a two-mark question
    max_marks = np.ones(p)
    max_marks[5] = 2
    return marks, max_marks


def _expected(marks, max_marks):
    """Moodle's formulas written out directly, one question at a time."""
    s, p = marks.shape
    x = marks.sum(axis=1)
    mean = x.mean()
    m2, m3, m4 = (((x - mean) ** n).sum() / s for n in (2, 3, 4))
    k2 = s * m2 / (s - 1)
    k3 = s * s * m3 / ((s - 1) * (s - 2))
    k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 ** 2) / ((s - 1) * (s - 2) * (s - 3))
    item_var = marks.var(axis=0, ddof=1)
    cic = 100 * p / (p - 1) * (1 - item_var.sum() / k2)
    er = 100 * np.sqrt(1 - cic / 100)
    test = {"mean": mean, "median": np.median(x), "sd": np.sqrt(k2), "skewness": k3 / k2 ** 1.5,
            "kurtosis": k4 / k2 ** 2, "cic": cic, "error_ratio": er, "standard_error": er * np.sqrt(k2) / 100}
    covs = np.array([np.cov(marks[:, j], x)[0, 1] for j in range(p)])
    denominator = np.sqrt(covs[covs >= 0]).sum()
    questions = []
    for j in range(p):
        item, rest = marks[:, j], x - marks[:, j]
        cov_rest = np.cov(item, rest)[0, 1]
        cov_max = np.cov(np.sort(item), np.sort(rest))[0, 1]
        questions.append({
            "facility": 100 * item.mean() / max_marks[j], "sd": 100 * item.std(ddof=1) / max_marks[j],
            "intended_weight": 100 * max_marks[j] / max_marks.sum(),
            "effective_weight": 100 * np.sqrt(covs[j]) / denominator if covs[j] >= 0 else None,
            "discrimination_index": 100 * np.corrcoef(item, rest)[0, 1],
            "discriminative_efficiency": 100 * cov_rest / cov_max})
    return test, questions


def test_test_level_figures_match_an_independent_computation():
    marks, max_marks = _matrix()
    got = item_statistics(marks, max_marks)["test"]
    expected, _ = _expected(marks, max_marks)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9), key


def test_question_figures_match_an_independent_computation():
    marks, max_marks = _matrix()
    got = item_statistics(marks, max_marks)["questions"]
    _, expected = _expected(marks, max_marks)
    for j, (g, e) in enumerate(zip(got, expected)):
        for key, value in e.items():
            if value is None:
                assert g.get(key) is None, (j, key)
            else:
                assert g[key] == pytest.approx(value, rel=1e-9), (j, key)


def test_reversed_question_is_flagged_for_negative_discrimination():
    marks, max_marks = _matrix()
    stats = item_statistics(marks, max_marks)["questions"]
    assert "negative_discrimination" in stats[3]["flags"]
    assert "negative_discrimination" not in stats[0]["flags"]


def test_question_with_low_efficiency_is_flagged():
    rng = np.random.default_rng(3)
    marks, max_marks = _matrix()
    marks[:, 7] = (rng.random(len(marks)) < 0.5).astype(float)  # pure noise: efficiency near zero
    stat = item_statistics(marks, max_marks)["questions"][7]
    assert stat["discriminative_efficiency"] < 15 and "low_efficiency" in stat["flags"]


def test_question_everyone_gets_right_has_no_discrimination_figure():
    marks, max_marks = _matrix()
    marks[:, 2] = 1.0
    stat = item_statistics(marks, max_marks)["questions"][2]
    assert stat["facility"] == 100.0 and stat.get("discrimination_index") is None and stat["flags"] == []


def test_time_distribution_bins_median_and_p90():
    dist = time_distribution([1, 2, 3, 7, 12, 25, 40, 400])
    assert [b["count"] for b in dist["bins"]] == [3, 1, 1, 1, 1, 0, 0, 1]
    assert dist["median"] == pytest.approx(9.5) and dist["count"] == 8


def test_statistics_endpoint_computes_from_closed_attempts(db, tree, client, login_as):
    questions = [make_question(tree.branch1, "true_false") for _ in range(3)]
    quiz = make_quiz(tree.branch1, questions)
    marks = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 1]], dtype=float)
    for row in marks:
        member = make_member(tree.branch1)
        attempt, _ = attempt_service.start(member, quiz)
        for item, mark in zip(attempt.items, row):
            item.response, item.answered_at = (["T"] if mark else ["F"]), utcnow()
            item.shown_at = attempt.started_at
        attempt_service.submit(attempt)
    db.session.commit()
    _, headers = login_as("reviewer", tree.branch1)
    body = client.get(f"/api/v1/quizzes/{quiz.id}/statistics", headers=headers).get_json()
    expected = item_statistics(marks, np.ones(3), [0.5] * 3)
    assert body["test"]["attempts"] == 5 and body["test"]["mean"] == pytest.approx(expected["test"]["mean"])
    assert [q["question_id"] for q in body["questions"]] == [q.id for q in questions]
    assert [q["facility"] for q in body["questions"]] == pytest.approx([80.0, 60.0, 60.0])
    assert body["questions"][0]["random_guess_score"] == 0.5
    assert body["questions"][0]["times"]["count"] == 5


def test_statistics_period_excludes_attempts_outside_it(db, tree, client, login_as):
    question = make_question(tree.branch1, "true_false")
    quiz = make_quiz(tree.branch1, [question])
    member = make_member(tree.branch1)
    attempt, _ = attempt_service.start(member, quiz)
    attempt_service.submit(attempt)
    db.session.commit()
    _, headers = login_as("organiser", tree.branch1)
    body = client.get(f"/api/v1/quizzes/{quiz.id}/statistics", query_string={"to": "2020-01-01T00:00:00Z"},
                      headers=headers).get_json()
    assert body["test"]["attempts"] == 0


def test_statistics_period_from_after_to_is_refused(db, tree, client, login_as):
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1)])
    _, headers = login_as("organiser", tree.branch1)
    resp = client.get(f"/api/v1/quizzes/{quiz.id}/statistics", headers=headers,
                      query_string={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"})
    assert resp.status_code == 422


def test_random_pool_is_analysed_per_position_like_moodles_random_slots(db, tree, client, login_as):
    from quizzes.services.quizzes import create_quiz

    for _ in range(6):
        make_question(tree.branch1, "true_false")
    quiz = create_quiz(tree.branch1, {"kind": "weekly", "title": "随机", "attempts_allowed": 0,
                                      "pool": {"mode": "random", "count": 3}})
    rows = []
    for n in range(8):
        member = make_member(tree.branch1)
        attempt, _ = attempt_service.start(member, quiz)
        row = []
        for item in attempt.items:
            right = (n + item.position) % 3 != 0
            item.response, item.answered_at = (["T"] if right else ["F"]), utcnow()
            row.append(1.0 if right else 0.0)
        attempt_service.submit(attempt)
        rows.append(row)
    db.session.commit()
    _, headers = login_as("organiser", tree.branch1)
    body = client.get(f"/api/v1/quizzes/{quiz.id}/statistics", headers=headers).get_json()
    expected = item_statistics(np.array(rows), np.ones(3))
    assert body["mode"] == "slot" and [s["position"] for s in body["slots"]] == [1, 2, 3]
    assert [s["facility"] for s in body["slots"]] == pytest.approx([q["facility"] for q in expected["questions"]])
    assert body["test"]["cic"] == pytest.approx(expected["test"]["cic"])
    assert sum(q["attempts"] for q in body["questions"]) == 24
