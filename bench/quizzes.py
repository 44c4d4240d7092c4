"""Benchmarks of the quizzes package, each figure beside a baseline measured in the same run.

1. answer + submit throughput of a 10-question attempt beside a bare endpoint, same gunicorn server;
2. import of a 10,000-question XLSX beside reading the same file with openpyxl;
3. item statistics of 10,000 attempts x 20 questions beside the same figures computed directly in numpy.

Run: `python -m bench.quizzes` (or `python -m bench quizzes` with the shared harness), with
DATABASE_URL (PostgreSQL) and REDIS_URL set as `make bench` does. Uses a throwaway database.
"""
from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))


def bench_app():
    """The product app plus one bare endpoint (the baseline), for gunicorn."""
    from flask import jsonify

    from learning.app import create_app
    from learning.extensions import csrf

    app = create_app()

    @app.route("/bench/bare", methods=["PUT"])
    @csrf.exempt
    def bare():
        return jsonify({"ok": True})

    return app


def _database() -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = os.environ.get("DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        sys.exit("bench.quizzes needs DATABASE_URL pointing at PostgreSQL (make bench sets it)")
    url = make_url(base)
    name = f"pioneer_bench_quizzes_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base, url.set(database=name).render_as_string(hide_password=False)


def _drop(db_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def _setup(app) -> dict:
    """An org tree, members with tokens, a 10-question quiz."""
    from learning.extensions import db
    from learning.services import accounts, members, orgs
    from quizzes.services import bank, quizzes

    with app.app_context():
        db.create_all()
        top = orgs.create_org("基准测试党委", "committee", None)
        branch = orgs.create_org("基准测试党支部", "branch", top)
        questions = [bank.create_question(branch, {"type": "single_choice", "stem": f"第{i}题",
                                                   "options": ["甲", "乙", "丙"], "answer": "A",
                                                   "knowledge_points": ["党章"]}) for i in range(10)]
        quiz = quizzes.create_quiz(branch, {"kind": "practice", "title": "基准", "attempts_allowed": 0,
                                            "pool": {"mode": "fixed", "question_ids": [q.id for q in questions]}})
        tokens = []
        for i in range(CLIENTS):
            member = members.create_member(branch, username=f"bench{i}", name=f"基准{i}", password_hash="x",
                                           must_change_password=False)
            token, _ = accounts.issue_token(member)
            tokens.append(token)
        db.session.commit()
        return {"quiz_id": quiz.id, "tokens": tokens, "branch_id": branch.id}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "2", "--worker-connections", "200",
                             "-b", f"127.0.0.1:{port}", "--log-level", "warning", "bench.quizzes:bench_app()"],
                            cwd=ROOT, env=env)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("gunicorn did not start")


def _load(port: int, seconds: float, work) -> tuple[int, int]:
    """Run `work(conn, i)` in CLIENTS threads for `seconds`; returns (units done, requests made)."""
    stop = time.time() + seconds
    done, requests = [0] * CLIENTS, [0] * CLIENTS

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.time() < stop:
            requests[i] += work(conn, i)
            done[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), sum(requests)


def _call(conn, method, path, token=None, body=None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status >= 400:
        raise RuntimeError(f"{method} {path}: {resp.status} {data[:200]!r}")
    return json.loads(data) if data else {}


def bench_attempts(env: dict, setup: dict) -> None:
    """Figure 1: answer + submit of a 10-question attempt, beside a bare endpoint."""
    port = _free_port()
    server = _serve(env, port)
    try:
        def bare(conn, i):
            for _ in range(11):
                _call(conn, "PUT", "/bench/bare", body={"response": ["A"]})
            return 11

        def attempt(conn, i):
            token = setup["tokens"][i]
            started = _call(conn, "POST", f"/api/v1/quizzes/{setup['quiz_id']}/attempts", token)
            for q in started["questions"]:
                _call(conn, "PUT", f"/api/v1/attempts/{started['id']}/answers/{q['id']}", token, {"response": ["A"]})
            _call(conn, "POST", f"/api/v1/attempts/{started['id']}/submit", token)
            return 12

        _load(port, 2, bare)  # warm up both
        _load(port, 2, attempt)
        t0 = time.perf_counter()
        units_bare, req_bare = _load(port, SECONDS, bare)
        bare_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        units, req = _load(port, SECONDS, attempt)
        quiz_s = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(30)
    bare_rps, quiz_rps = req_bare / bare_s, req / quiz_s
    print(f"attempt (start + 10 answers + submit), gunicorn gevent x2, {CLIENTS} clients:")
    print(f"  attempts/s            {units / quiz_s:10.1f}")
    print(f"  quiz requests/s       {quiz_rps:10.1f}   (answer/submit/start)")
    print(f"  bare requests/s       {bare_rps:10.1f}   (baseline: bare JSON PUT, same server)")
    print(f"  ratio quiz/bare       {quiz_rps / bare_rps:10.3f}")


def _xlsx(n: int) -> bytes:
    from openpyxl import Workbook

    from quizzes.services.formats.tabular import HEADERS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("题库")
    sheet.append(HEADERS)
    kinds = ["单选题", "多选题", "判断题", "填空题"]
    for i in range(n):
        kind = kinds[i % 4]
        options = ["甲", "乙", "丙", "丁"] if kind in ("单选题", "多选题") else [""] * 4
        answer = {"单选题": "B", "多选题": "AC", "判断题": "正确", "填空题": "答案|答案一"}[kind]
        sheet.append([kind, f"第{i}题：关于党章的题干"] + options + [""] * 4 + [answer, "解析", "党章,组织", "中等", 1])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bench_import(app) -> None:
    """Figure 2: a 10,000-question XLSX imported in one call, beside reading it with openpyxl."""
    from openpyxl import load_workbook
    from sqlalchemy import select

    from learning.extensions import db
    from learning.models import Member, Org
    from quizzes.services import imports

    content = _xlsx(10000)
    t0 = time.perf_counter()
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    read_s = time.perf_counter() - t0
    with app.app_context():
        org = db.session.scalar(select(Org).where(Org.kind == "branch"))
        actor = db.session.scalar(select(Member))
        t0 = time.perf_counter()
        job = imports.import_file(org, actor, "bench.xlsx", content)
        db.session.commit()
        import_s = time.perf_counter() - t0
        assert job.imported == 10000, job.errors[:3]
    print(f"import of a 10,000-question XLSX ({len(content) / 1e6:.1f} MB, {rows - 1} rows):")
    print(f"  validate + bulk insert {import_s:9.2f} s")
    print(f"  openpyxl read only     {read_s:9.2f} s   (baseline)")
    print(f"  ratio                  {import_s / read_s:9.2f}")


def _direct_numpy(marks: np.ndarray, max_marks: np.ndarray) -> dict:
    """Moodle's figures written straight in numpy for a complete matrix (the baseline)."""
    s, p = marks.shape
    x = marks.sum(axis=1)
    dev = x - x.mean()
    m2, m3, m4 = (dev ** 2).mean(), (dev ** 3).mean(), (dev ** 4).mean()
    k2 = s * m2 / (s - 1)
    item_var = marks.var(axis=0, ddof=1)
    cic = 100 * p / (p - 1) * (1 - item_var.sum() / k2)
    idev = marks - marks.mean(axis=0)
    cov_total = (idev * dev[:, None]).sum(axis=0) / (s - 1)
    rest = x[:, None] - marks
    rdev = rest - rest.mean(axis=0)
    cov_rest = (idev * rdev).sum(axis=0) / (s - 1)
    disc = 100 * cov_rest / np.sqrt(item_var * rdev.var(axis=0, ddof=1))
    si, sr = np.sort(marks, axis=0), np.sort(rest, axis=0)
    cov_max = ((si - si.mean(axis=0)) * (sr - sr.mean(axis=0))).sum(axis=0) / (s - 1)
    return {"facility": 100 * marks.mean(axis=0) / max_marks, "cic": cic,
            "skewness": s * s * m3 / ((s - 1) * (s - 2)) / k2 ** 1.5,
            "kurtosis": s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 ** 2) / ((s - 1) * (s - 2) * (s - 3)) / k2 ** 2,
            "effective_weight": 100 * np.sqrt(np.clip(cov_total, 0, None)) / np.sqrt(np.clip(cov_total, 0, None)).sum(),
            "discrimination": disc, "efficiency": 100 * cov_rest / cov_max}


def bench_statistics() -> None:
    """Figure 3: item statistics of 10,000 attempts x 20 questions, product code beside direct numpy."""
    from quizzes.services.statistics import item_statistics

    rng = np.random.default_rng(1)
    ability = rng.normal(size=10000)
    marks = (rng.random((10000, 20)) < 1 / (1 + np.exp(-(ability[:, None] - rng.normal(size=20))))).astype(float)
    max_marks = np.ones(20)

    def best(fn, repeat=5):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    product = best(lambda: item_statistics(marks, max_marks))
    direct = best(lambda: _direct_numpy(marks, max_marks))
    ours = item_statistics(marks, max_marks)
    ref = _direct_numpy(marks, max_marks)
    assert abs(ours["test"]["cic"] - ref["cic"]) < 1e-9
    assert np.allclose([q["discrimination_index"] for q in ours["questions"]], ref["discrimination"])
    print("item statistics, 10,000 attempts x 20 questions (figures checked equal):")
    print(f"  quizzes.statistics     {product * 1000:9.1f} ms")
    print(f"  direct numpy           {direct * 1000:9.1f} ms   (baseline)")
    print(f"  ratio                  {product / direct:9.2f}")


def bench_statistics_from_db(app) -> None:
    """Extra: the statistics endpoint's work from the database for 10,000 attempts x 20 questions."""
    from sqlalchemy import insert, select

    from learning.extensions import db
    from learning.models import Member, Org
    from learning.timeutil import utcnow
    from quizzes.models import Attempt, AttemptItem, Question, Quiz
    from quizzes.services import quizzes, statistics

    rng = np.random.default_rng(2)
    with app.app_context():
        org = db.session.scalar(select(Org).where(Org.kind == "branch"))
        member = db.session.scalar(select(Member))
        qs = db.session.scalars(select(Question).order_by(Question.id).limit(20)).all()
        quiz = quizzes.create_quiz(org, {"kind": "weekly", "title": "统计基准", "attempts_allowed": 0,
                                         "pool": {"mode": "fixed", "question_ids": [q.id for q in qs]}})
        now = utcnow()
        attempt_rows = [{"quiz_id": quiz.id, "member_id": member.id, "org_id": org.id, "number": i + 1,
                         "day": now.date(), "seed": 1, "state": "closed", "started_at": now, "submitted_at": now, "max_score": 20.0}
                        for i in range(10000)]
        ids = list(db.session.scalars(insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True),
                                      attempt_rows))
        marks = (rng.random((10000, 20)) < 0.7).astype(float)
        items = [{"attempt_id": a, "position": j + 1, "question_id": q.id, "version_id": q.current_version_id,
                  "option_order": [], "max_score": 1.0, "score": float(marks[i, j]), "shown_at": now,
                  "answered_at": now}
                 for i, a in enumerate(ids) for j, q in enumerate(qs)]
        db.session.execute(insert(AttemptItem), items)
        db.session.commit()
        quiz = db.session.get(Quiz, quiz.id)
        t0 = time.perf_counter()
        stats = statistics.quiz_statistics(quiz)
        total = time.perf_counter() - t0
        assert stats["test"]["attempts"] == 10000
    print(f"  from PostgreSQL, whole endpoint work {total:6.2f} s (200,000 attempt items read)")


def run(args=None) -> None:
    """Run every quizzes benchmark and print each figure beside its baseline."""
    base, db_url = _database()
    env = dict(os.environ, DATABASE_URL=db_url, RATELIMIT_STORAGE_URI="memory://", COOKIE_SECURE="0",
               PYTHONPATH=str(ROOT))
    os.environ["DATABASE_URL"] = db_url
    try:
        app = bench_app()
        setup = _setup(app)
        bench_attempts(env, setup)
        bench_import(app)
        bench_statistics()
        bench_statistics_from_db(app)
    finally:
        os.environ["DATABASE_URL"] = base
        _drop(db_url)


if __name__ == "__main__":
    run(sys.argv[1:])
