"""Task outcomes counted in the database: the set-based twin of `org_report.task_rows`.

`task_rows` reads every assignment and completion of the subtree into Python and asks
`learning.services.outcomes.task_outcome` (the one owner of the rule) per (member, task); at a
committee's scale that is ~700,000 records a page. Here the same outcome per (member, task) is
computed in one SQL statement and only the counts leave the database (a few thousand rows per org,
or one row per member of a page). `tests/reports/test_task_sql.py` checks, case by case and on a
random history, that these counts equal `task_rows` on the same data, on SQLite and PostgreSQL.

How the rule maps to SQL:
- The task's definition (due date, course list, required quizzes) is read once per distinct text
  from the assignments in the window and parsed in Python with the same parsers as `task_rows`
  (`parse_moment`, `_json_list`); the parsed due dates, requirements and "overdue if still open"
  (due before now) go back in as parameters, so no date or array parsing happens per record.
- The newest duplicate wins: the newest assignment per (member, task), the newest completion per
  (member, task, course) (`task_rows` reads both in that order so it agrees).
- A completion counts for the tasks in its `task_ids` (json_each on SQLite,
  json_array_elements_text on PostgreSQL); a quiz requirement is met by the first submitted
  attempt that reaches `min_score` percent, else that carries `passed` (`outcomes.meets`).
- Done: every requirement met (a task with no courses and no quizzes: any completion naming it);
  on time: every completion flagged on time, every pass by the due date, the last moment by the
  due date; overdue: not done and due before now.
"""
from __future__ import annotations

from sqlalchemy import Float, Integer, String, and_, case, cast, func, literal, or_, select, true, union_all

from learning.extensions import db
from learning.models import LearningRecord, Org
from learning.services.period import Period
from learning.timeutil import UTCDateTime, parse_moment, utcnow

_FALSE_TEXT = ("false", "0")  # a JSON false read as text: PostgreSQL 'false', SQLite 0


def _text(expr):
    """A result field as comparable text ('' when absent), the same on both dialects."""
    return func.coalesce(cast(expr.as_string(), String), "")


def _in(org: Org):
    return Org.path.startswith(org.path, autoescape=True)


def _rows(name: str, columns: list[tuple[str, object]], rows: list[tuple], postgres: bool):
    """Literal rows as a CTE (UNION ALL of one-row SELECTs; works on both dialects). PostgreSQL gets
    each value cast to its type (a NULL alone has none); SQLite must not (CAST AS DATETIME is a number)."""
    def value(v, type_):
        lit = literal(v, type_)
        return cast(lit, type_) if postgres else lit
    selects = [select(*[value(v, t).label(c) for v, (c, t) in zip(row, columns)]) for row in rows]
    return (union_all(*selects) if len(selects) > 1 else selects[0]).cte(name)


def _definitions(org: Org, period: Period, member_ids) -> list[tuple]:
    """Distinct (due text, courses text, quizzes text) of the assignments in the window."""
    from .org_report import TASK_LOOKBACK

    r, res = LearningRecord, LearningRecord.result
    stmt = (select(_text(res["due_at"]), _text(res["course_ids"]), _text(res["quiz_items"])).distinct()
            .join(Org, Org.id == r.org_id)
            .where(_in(org), r.verb == "assigned", r.occurred_at >= period.since - TASK_LOOKBACK,
                   r.occurred_at < period.until))
    if member_ids is not None:
        stmt = stmt.where(r.member_id.in_(member_ids))
    return db.session.execute(stmt).all()


def _task_ids(postgres: bool):
    """The completion's `task_ids` as a table of text values (none when it is not an array)."""
    ids = LearningRecord.result["task_ids"]
    if postgres:
        fn = func.json_array_elements_text(case((func.json_typeof(ids) == "array", ids)))
        t = fn.table_valued("value")
        return t, t.c.value, true()
    t = func.json_each(LearningRecord.result, "$.task_ids").table_valued("value")
    return t, cast(t.c.value, String), func.json_type(LearningRecord.result, "$.task_ids") == "array"


def outcomes(org: Org, period: Period, member_ids: list[int] | None = None):
    """A subquery of (member_id, org_id, task_id, complete, on_time, overdue; the flags 0/1), one row per
    (member, task) `task_rows` gives for the subtree (or for `member_ids` in it); None when there is none."""
    from .org_report import TASK_LOOKBACK, _json_list

    defs_raw = _definitions(org, period, member_ids)
    if not defs_raw:
        return None
    postgres = db.session.get_bind().dialect.name == "postgresql"
    now = utcnow()
    defs, reqs = [], [(-1, "", "", "", None)]  # a row that matches nothing, so the CTE is never empty
    for n, (due_s, courses_s, quizzes_s) in enumerate(defs_raw):
        due = parse_moment(due_s)
        courses = sorted({str(c) for c in _json_list(courses_s or None)})
        quizzes = {}  # quiz id -> min score; a later item of the same quiz wins, as in `first_passes`
        for item in _json_list(quizzes_s or None):
            if isinstance(item, dict) and item.get("quiz_id") is not None:
                m = item.get("min_score")
                quizzes[str(item["quiz_id"])] = None if m is None else float(m)
        defs.append((n, due_s, courses_s, quizzes_s, due, int(due is not None and due < now),
                     int(not courses and not quizzes)))
        reqs += [(n, "c", c, "", None) for c in courses]
        reqs += [(n, "q", q, "" if m is None else repr(m), m) for q, m in quizzes.items()]
    d = _rows("task_defs", [("d", Integer()), ("due_t", String()), ("courses_t", String()), ("quizzes_t", String()),
                            ("due", UTCDateTime()), ("late_if_open", Integer()), ("by_completions", Integer())],
              defs, postgres)
    q = _rows("task_reqs", [("d", Integer()), ("kind", String()), ("ref", String()), ("mkey", String()),
                            ("min_score", Float())], reqs, postgres)
    r, res = LearningRecord, LearningRecord.result
    since = period.since - TASK_LOOKBACK
    only = [r.member_id.in_(member_ids)] if member_ids is not None else []

    # the newest assignment per (member, task) made or due in the period
    # (the definition by a CASE over the few distinct texts, not a join: PostgreSQL cannot estimate a join
    # on JSON texts, guesses a handful of rows and then nests loops over the committee's assignments)
    texts = (_text(res["due_at"]), _text(res["course_ids"]), _text(res["quiz_items"]))
    def_of = case(*[(and_(texts[0] == row[1], texts[1] == row[2], texts[2] == row[3]), row[0]) for row in defs])
    due_in = [row[0] for row in defs if row[4] is not None and period.since <= row[4] < period.until]
    a0 = (select(r.member_id, r.org_id, cast(r.object_id, String).label("task_id"), def_of.label("d"),
                 func.row_number().over(partition_by=(r.member_id, r.object_id),
                                        order_by=(r.occurred_at.desc(), r.id.desc())).label("rn"))
          .join(Org, Org.id == r.org_id)
          .where(_in(org), r.verb == "assigned", r.occurred_at >= since, r.occurred_at < period.until,
                 or_(r.occurred_at >= period.since, def_of.in_(due_in or [-1])), *only)
          .subquery("a0"))
    # `rn < 2`, not `rn = 1`: PostgreSQL guesses 0.5 % of rows for an equality on a window's output, then
    # joins the committee's 400,000 assignments by nested loops; for `<` it guesses a third (hash joins)
    a = select(a0.c.member_id, a0.c.org_id, a0.c.task_id, a0.c.d).where(a0.c.rn < 2).cte("a")

    # the newest completion per (member, task, course) of the assigned (member, task)s
    elems, task_id, is_array = _task_ids(postgres)
    on_time = case((func.coalesce(cast(res["on_time"].as_string(), String), "").in_(_FALSE_TEXT), 0), else_=1)
    c0 = (select(r.member_id, task_id.label("task_id"), cast(r.object_id, String).label("course_id"),
                 r.occurred_at.label("at"), on_time.label("ok"),
                 func.row_number().over(partition_by=(r.member_id, task_id, r.object_id),
                                        order_by=(r.occurred_at.desc(), r.id.desc())).label("rn"))
          .select_from(r).join(Org, Org.id == r.org_id).join(elems, true())
          .join(a, and_(a.c.member_id == r.member_id, a.c.task_id == task_id))
          .where(_in(org), r.verb == "completed", r.occurred_at >= since, is_array, *only)
          .subquery("c0"))
    c = select(c0.c.member_id, c0.c.task_id, c0.c.course_id, c0.c.at, c0.c.ok).where(c0.c.rn < 2).cte("c")

    # the first passing attempt per (member, quiz, requirement) of the required quizzes (any time)
    passed = func.coalesce(cast(res["passed"].as_string(), String), "null").not_in(("null", *_FALSE_TEXT))
    scaled = func.coalesce(cast(cast(res["scaled"].as_string(), String), Float), 0.0)
    meets = case((q.c.min_score.is_(None), passed), else_=scaled * 100 >= q.c.min_score - 1e-9)
    p = (select(r.member_id, q.c.ref.label("quiz_id"), q.c.mkey, func.min(r.occurred_at).label("at"))
         .select_from(r).join(Org, Org.id == r.org_id)
         .join(q, and_(q.c.kind == "q", q.c.ref == cast(r.object_id, String)))
         .where(_in(org), r.verb == "submitted", r.object_type == "quiz", meets, *only)
         .group_by(r.member_id, q.c.ref, q.c.mkey).cte("p"))

    # one fact per requirement (its moment or NULL, whether it came on time), then per (member, task)
    same = lambda x: and_(x.c.member_id == a.c.member_id, x.c.task_id == a.c.task_id)  # noqa: E731
    by_course = (select(a.c.member_id, a.c.task_id, c.c.at, c.c.ok).select_from(a)
                 .join(q, and_(q.c.d == a.c.d, q.c.kind == "c"))
                 .outerjoin(c, and_(same(c), c.c.course_id == q.c.ref)))
    by_quiz = (select(a.c.member_id, a.c.task_id, p.c.at,
                      case((d.c.due.is_(None), 1), (p.c.at <= d.c.due, 1), else_=0).label("ok")).select_from(a)
               .join(d, d.c.d == a.c.d).join(q, and_(q.c.d == a.c.d, q.c.kind == "q"))
               .outerjoin(p, and_(p.c.member_id == a.c.member_id, p.c.quiz_id == q.c.ref, p.c.mkey == q.c.mkey)))
    by_any = (select(a.c.member_id, a.c.task_id, c.c.at, c.c.ok).select_from(a)
              .join(d, and_(d.c.d == a.c.d, d.c.by_completions == 1)).join(c, same(c)))
    facts = union_all(by_course, by_quiz, by_any).subquery("facts")
    agg = (select(facts.c.member_id, facts.c.task_id, func.count().label("n"), func.count(facts.c.at).label("met"),
                  func.max(facts.c.at).label("done_at"), func.min(facts.c.ok).label("ok"))
           .group_by(facts.c.member_id, facts.c.task_id).subquery("agg"))
    done = and_(agg.c.n > 0, agg.c.met == agg.c.n)
    flag = lambda cond: case((cond, 1), else_=0)  # noqa: E731
    return (select(a.c.member_id, a.c.org_id, a.c.task_id, flag(done).label("complete"),
                   flag(and_(done, agg.c.ok == 1, or_(d.c.due.is_(None), agg.c.done_at <= d.c.due))).label("on_time"),
                   flag(and_(or_(agg.c.n.is_(None), agg.c.met < agg.c.n), d.c.late_if_open == 1)).label("overdue"))
            .select_from(a).join(d, d.c.d == a.c.d)
            .outerjoin(agg, and_(agg.c.member_id == a.c.member_id, agg.c.task_id == a.c.task_id))
            .subquery("outcomes"))


def _sums(group, o):
    return (group, func.count(), func.sum(o.c.complete), func.sum(o.c.on_time), func.sum(o.c.overdue))


def org_task_totals(org: Org, period: Period) -> dict[int, dict]:
    """{org id: {"assigned", "completed", "on_time", "overdue"}} of the subtree (the org the assignment
    was written in, as `task_rows`' org_id)."""
    o = outcomes(org, period)
    if o is None:
        return {}
    rows = db.session.execute(select(*_sums(o.c.org_id, o)).group_by(o.c.org_id)).all()
    return {oid: {"assigned": int(n), "completed": int(done or 0), "on_time": int(ok or 0), "overdue": int(late or 0)}
            for oid, n, done, ok, late in rows}


def member_task_counts(org: Org, period: Period, member_ids: list[int] | None = None) -> dict[int, tuple]:
    """{member id: (tasks, on time, overdue)} of the subtree's (or `member_ids`') assignments in the period."""
    if member_ids is not None and not member_ids:
        return {}
    o = outcomes(org, period, member_ids)
    if o is None:
        return {}
    rows = db.session.execute(select(*_sums(o.c.member_id, o)).group_by(o.c.member_id)).all()
    return {mid: (int(n), int(ok or 0), int(late or 0)) for mid, n, _, ok, late in rows}


def outcome_rows(org: Org, period: Period, member_ids: list[int] | None = None) -> list[dict]:
    """Each (member, task) with its flags, as `task_rows` gives them (what the tests compare)."""
    o = outcomes(org, period, member_ids)
    if o is None:
        return []
    return [{"member_id": m, "org_id": oid, "task_id": t, "complete": bool(done), "on_time": bool(ok),
             "overdue": bool(late)} for m, oid, t, done, ok, late in db.session.execute(select(o))]


__all__ = ["outcomes", "org_task_totals", "member_task_counts", "outcome_rows"]
