"""Quizzes: answer + submit throughput, a 10,000-question XLSX import, item statistics; each beside a baseline.

1. `PUT /api/v1/attempts/{id}/answers/{qid}` ×10 + `POST …/submit` of 10-question attempts, beside the
   bare Flask endpoint, same gunicorn set-up, alternating rounds (the harness's `compare`);
2. importing a 10,000-question XLSX (validate the whole file, bulk insert) beside reading the same file
   with openpyxl;
3. Moodle's item statistics for 10,000 attempts × 20 questions (quizzes.services.statistics) beside the
   same figures computed directly in numpy; and the statistics endpoint's work from PostgreSQL.
"""
from __future__ import annotations

import io
import json
import multiprocessing
import time

import numpy as np

from .harness import BenchRun
from .load import Request

QUESTIONS = 10
ATTEMPTS_PER_CLIENT = 30  # started beforehand; a client moves to its next one after submitting


def _prepare_attempts(bench: BenchRun) -> list[list[dict]]:
    """Per client, a list of started 10-question attempts of members of their own, with bearer tokens."""
    from learning.extensions import db
    from learning.seed import demo_tree
    from learning.services import accounts, members
    from quizzes.services import attempts, bank, quizzes

    with bench.app_context():
        branch = demo_tree().demo_branch
        questions = [bank.create_question(branch, {"type": "single_choice", "stem": f"基准题{i}",
                                                   "options": ["甲", "乙", "丙", "丁"], "answer": "A",
                                                   "knowledge_points": ["党章"]}) for i in range(QUESTIONS)]
        quiz = quizzes.create_quiz(branch, {"kind": "practice", "title": "基准测验", "attempts_allowed": 0,
                                            "shuffle_questions": True, "shuffle_options": True,
                                            "pool": {"mode": "fixed", "question_ids": [q.id for q in questions]}})
        plans = []
        for client in range(bench.clients):
            plan = []
            for k in range(ATTEMPTS_PER_CLIENT):
                member = members.create_member(branch, username=f"bench-q{client}-{k}", name=f"基准{client}-{k}",
                                               password_hash="-", must_change_password=False)
                token, _ = accounts.issue_token(member)
                attempt, _ = attempts.start(member, quiz)
                plan.append({"id": attempt.id, "questions": [i.question_id for i in attempt.items],
                             "headers": {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}})
            plans.append(plan)
            db.session.commit()
        return plans


def bench_answers(bench: BenchRun) -> None:
    """Figure 1: answers and submits of 10-question attempts beside the bare endpoint."""
    plans = _prepare_attempts(bench)
    position = multiprocessing.Array("i", bench.clients)  # shared with the forked load processes
    body = json.dumps({"response": ["A"]}).encode()

    def answer_or_submit(client: int, seq: int) -> Request:
        n = position[client]
        position[client] = n + 1
        attempt = plans[client][(n // (QUESTIONS + 1)) % ATTEMPTS_PER_CLIENT]
        step = n % (QUESTIONS + 1)
        if step < QUESTIONS:
            return Request("PUT", f"/api/v1/attempts/{attempt['id']}/answers/{attempt['questions'][step]}",
                           attempt["headers"], body)
        return Request("POST", f"/api/v1/attempts/{attempt['id']}/submit", attempt["headers"], b"")

    def ping(client: int, seq: int) -> Request:
        return Request("GET", "/ping")

    with bench.app_server() as app, bench.bare_server() as bare:
        ours, baseline = bench.compare((app, answer_or_submit), (bare, ping))
        bench.report(f"quizzes: 10 answers + submit per attempt vs bare Flask GET /ping "
                     f"({ours.requests // (QUESTIONS + 1)} attempts)",
                     [("PUT answer / POST submit", ours), ("bare Flask GET /ping", baseline)], servers=[app, bare])
    done = sum(position)
    if done > bench.clients * ATTEMPTS_PER_CLIENT * (QUESTIONS + 1):
        print("   (some clients ran out of prepared attempts: their extra requests were refused and count as errors)")


def _lines(bench: BenchRun, lines: list[str]) -> None:
    text = "\n".join(lines)
    print(text, flush=True)
    bench.figures.append(text)


def _xlsx(n: int) -> bytes:
    from openpyxl import Workbook

    from quizzes.services.formats.tabular import HEADERS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("题库")
    sheet.append(HEADERS)
    kinds = ["单选题", "多选题", "判断题", "填空题"]
    answers = {"单选题": "B", "多选题": "AC", "判断题": "正确", "填空题": "为人民服务|全心全意为人民服务"}
    for i in range(n):
        kind = kinds[i % 4]
        options = ["甲", "乙", "丙", "丁"] if kind in ("单选题", "多选题") else [""] * 4
        sheet.append([kind, f"第{i}题：关于党章的题干"] + options + [""] * 4 + [answers[kind], "解析", "党章,组织", "中等", 1])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bench_import(bench: BenchRun) -> None:
    """Figure 2: a 10,000-question XLSX imported in one call, beside reading it with openpyxl."""
    from openpyxl import load_workbook
    from sqlalchemy import select

    from learning.extensions import db
    from learning.models import Member
    from learning.seed import demo_tree
    from quizzes.services import imports

    content = _xlsx(10000)
    t0 = time.perf_counter()
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    read_s = time.perf_counter() - t0
    with bench.app_context():
        org = demo_tree().demo_branch
        actor = db.session.scalar(select(Member).where(Member.username == "demo-organiser"))
        t0 = time.perf_counter()
        job = imports.import_file(org, actor, "bench.xlsx", content)
        db.session.commit()
        import_s = time.perf_counter() - t0
        if job.imported != 10000:
            raise RuntimeError(f"the import failed: {job.errors[:3]}")
    _lines(bench, [f"== quizzes: import of a 10,000-question XLSX ({len(content) / 1e6:.1f} MB, {rows - 1} rows)",
                   f"   validate whole file + bulk insert (PostgreSQL) {import_s:8.2f} s",
                   f"   openpyxl reading the same file (baseline)     {read_s:8.2f} s",
                   f"   ratio                                         {import_s / read_s:8.2f}x"])


def _direct_numpy(marks: np.ndarray, max_marks: np.ndarray) -> dict:
    """Moodle's figures written straight in numpy for a complete matrix: the baseline."""
    s, p = marks.shape
    x = marks.sum(axis=1)
    dev = x - x.mean()
    m2, m3, m4 = (dev ** 2).mean(), (dev ** 3).mean(), (dev ** 4).mean()
    k2 = s * m2 / (s - 1)
    item_var = marks.var(axis=0, ddof=1)
    idev = marks - marks.mean(axis=0)
    cov_total = (idev * dev[:, None]).sum(axis=0) / (s - 1)
    rest = x[:, None] - marks
    rdev = rest - rest.mean(axis=0)
    cov_rest = (idev * rdev).sum(axis=0) / (s - 1)
    si, sr = np.sort(marks, axis=0), np.sort(rest, axis=0)
    cov_max = ((si - si.mean(axis=0)) * (sr - sr.mean(axis=0))).sum(axis=0) / (s - 1)
    root = np.sqrt(np.clip(cov_total, 0, None))
    return {"facility": 100 * marks.mean(axis=0) / max_marks, "sd": 100 * np.sqrt(item_var) / max_marks,
            "cic": 100 * p / (p - 1) * (1 - item_var.sum() / k2), "sd_total": np.sqrt(k2),
            "skewness": s * s * m3 / ((s - 1) * (s - 2)) / k2 ** 1.5,
            "kurtosis": s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 ** 2) / ((s - 1) * (s - 2) * (s - 3)) / k2 ** 2,
            "effective_weight": 100 * root / root.sum(),
            "discrimination": 100 * cov_rest / np.sqrt(item_var * rdev.var(axis=0, ddof=1)),
            "efficiency": 100 * cov_rest / cov_max}


def bench_statistics(bench: BenchRun) -> None:
    """Figure 3: item statistics of 10,000 attempts × 20 questions, product code beside direct numpy."""
    from quizzes.services.statistics import item_statistics

    rng = np.random.default_rng(1)
    ability = rng.normal(size=10000)
    marks = (rng.random((10000, 20)) < 1 / (1 + np.exp(-(ability[:, None] - rng.normal(size=20))))).astype(float)
    max_marks = np.ones(20)

    def best(fn, repeat=7):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    ours, ref = item_statistics(marks, max_marks), _direct_numpy(marks, max_marks)
    if not (np.isclose(ours["test"]["cic"], ref["cic"])
            and np.allclose([q["discrimination_index"] for q in ours["questions"]], ref["discrimination"])
            and np.allclose([q["discriminative_efficiency"] for q in ours["questions"]], ref["efficiency"])):
        raise RuntimeError("the product's statistics differ from the direct computation")
    product, direct = best(lambda: item_statistics(marks, max_marks)), best(lambda: _direct_numpy(marks, max_marks))
    db_s = _statistics_from_db(bench, rng)
    _lines(bench, ["== quizzes: item statistics, 10,000 attempts x 20 questions (figures checked equal)",
                   f"   quizzes.services.statistics.item_statistics {product * 1000:8.1f} ms",
                   f"   the same figures directly in numpy (baseline) {direct * 1000:6.1f} ms",
                   f"   ratio                                         {product / direct:6.2f}x",
                   f"   whole statistics endpoint work from PostgreSQL (200,000 attempt items) {db_s:6.2f} s"])


def _statistics_from_db(bench: BenchRun, rng) -> float:
    from sqlalchemy import insert, select

    from learning.extensions import db
    from learning.models import Member
    from learning.seed import demo_tree
    from learning.timeutil import utcnow
    from quizzes.models import Attempt, AttemptItem, Question
    from quizzes.services import quizzes, statistics

    with bench.app_context():
        org = demo_tree().demo_branch
        member = db.session.scalar(select(Member).where(Member.username == "demo-member"))
        qs = db.session.scalars(select(Question).where(Question.org_id == org.id).order_by(Question.id).limit(20)).all()
        quiz = quizzes.create_quiz(org, {"kind": "weekly", "title": "统计基准", "attempts_allowed": 0,
                                         "pool": {"mode": "fixed", "question_ids": [q.id for q in qs]}})
        now = utcnow()
        ids = list(db.session.scalars(insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True), [
            {"quiz_id": quiz.id, "member_id": member.id, "org_id": org.id, "number": i + 1, "day": now.date(),
             "seed": 1, "state": "closed", "started_at": now, "submitted_at": now, "max_score": 20.0}
            for i in range(10000)]))
        marks = (rng.random((10000, 20)) < 0.7).astype(float)
        db.session.execute(insert(AttemptItem), [
            {"attempt_id": a, "position": j + 1, "question_id": q.id, "version_id": q.current_version_id,
             "option_order": [], "max_score": 1.0, "score": float(marks[i, j]), "shown_at": now, "answered_at": now}
            for i, a in enumerate(ids) for j, q in enumerate(qs)])
        db.session.commit()
        t0 = time.perf_counter()
        stats = statistics.quiz_statistics(quiz)
        elapsed = time.perf_counter() - t0
        if stats["test"]["attempts"] != 10000:
            raise RuntimeError("the statistics did not see every attempt")
        return elapsed


def run(bench: BenchRun) -> None:
    """All three quizzes figures, each beside its baseline."""
    bench_answers(bench)
    bench_import(bench)
    bench_statistics(bench)
