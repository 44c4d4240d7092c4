"""Demo data: a Chinese question bank, daily/weekly/special quizzes per branch, and attempt history.

The history is written through the real attempt services (start, shown, answer, submit), replayed
over the past days with simulated answer times, so records, day stats, the wrong-answer book and
statistics are exactly what members would have produced. Course exams belong to the demo courses,
found by title in the `course` table (quizzes does not import courses); members who finished a course
took its exam. Running twice changes nothing.
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import LearningRecord, Member, Org
from learning.services import course_directory
from learning.timeutil import day_start_utc, local_day, utcnow

from .demo_bank import demo_questions
from .models import Attempt, Question, Quiz
from .services import attempts, bank, quizzes as quiz_service

DEMO_SOURCE = "demo"
HISTORY_DAYS = 3
HISTORY_MEMBERS = 8  # of the demo branch: enough to show statistics, quick to seed
#: course title (from the courses demo) → the knowledge points its exam draws from
COURSE_EXAMS = {"党章党规学习": ["党章", "党规党纪"], "党史学习教育": ["党史"], "基层党支部工作规范": ["组织生活"]}
EXAM_TAKER_SHARE = 0.5  # of the demo branch's members who did not finish the course, how many tried the exam


def _seed_bank(top: Org, by: Member | None) -> None:
    exists = db.session.scalar(select(func.count(Question.id)).where(Question.org_id == top.id,
                                                                    Question.source == DEMO_SOURCE))
    if exists:
        return
    cleaned = [bank.clean_or_raise(q) for q in demo_questions()]
    bank.bulk_create(top, cleaned, by=by, source=DEMO_SOURCE)


def _orgs_with_members(top: Org) -> list[Org]:
    """Branches and groups that members belong to directly (a quiz is taken at the member's own org)."""
    return list(db.session.scalars(select(Org).where(
        Org.path.startswith(top.path), Org.kind.in_(("branch", "group")), Org.closed_at.is_(None),
        select(Member.id).where(Member.org_id == Org.id).exists()).order_by(Org.path)))


def _quiz(org: Org, title: str, settings: dict, by: Member | None) -> Quiz:
    quiz = db.session.scalar(select(Quiz).where(Quiz.org_id == org.id, Quiz.title == title))
    return quiz or quiz_service.create_quiz(org, {"title": title, **settings}, by=by)


def _seed_quizzes(branch: Org, by: Member | None) -> list[Quiz]:
    now = utcnow()
    today = day_start_utc(local_day(now))
    return [
        _quiz(branch, "每日答题", {"kind": "daily", "description": "每天5道题，随机抽取，答完即看解析。",
                                  "pool": {"mode": "random", "count": 5}, "attempts_allowed": 1,
                                  "show_answers": "after_each", "question_time_s": 60}, by),
        _quiz(branch, "每周答题：党章党规", {"kind": "weekly", "description": "每周一套，10道题，限时10分钟。",
                                        "pool": {"mode": "random", "count": 10,
                                                 "knowledge_points": ["党章", "党规党纪"]},
                                        "time_limit_s": 600, "attempts_allowed": 2, "pass_mark": 60,
                                        "open_at": today - timedelta(days=HISTORY_DAYS + 1),
                                        "close_at": today + timedelta(days=7)}, by),
        _quiz(branch, "专项答题：百年党史", {"kind": "special", "description": "党史学习教育专项答题，15道题。",
                                        "pool": {"mode": "random", "count": 15, "knowledge_points": ["党史"]},
                                        "time_limit_s": 900, "attempts_allowed": 1, "pass_mark": 80,
                                        "show_answers": "after_close",
                                        "open_at": today - timedelta(days=HISTORY_DAYS + 1),
                                        "close_at": today + timedelta(days=14)}, by),
    ]


def _seed_course_exams(org: Org, courses: dict[str, int], by: Member | None) -> list[Quiz]:
    """One exam per demo course for the org's members: 10 questions of the course's knowledge points."""
    exams = []
    for title, points in COURSE_EXAMS.items():
        if title not in courses or not course_directory.course_visible_at(org, courses[title]):
            continue
        exams.append(_quiz(org, f"结课考试：{title}", {
            "kind": "course_exam", "course_id": courses[title],
            "description": f"学完《{title}》后参加，10道题，限时15分钟，60分及格，可考两次。",
            "pool": {"mode": "random", "count": 10, "knowledge_points": points,
                     "types": ["single_choice", "multiple_choice", "true_false", "fill_blank"]},
            "time_limit_s": 900, "attempts_allowed": 2, "pass_mark": 60, "show_answers": "after_submit"}, by))
    return exams


def _finished_courses(member_ids: list[int]) -> dict[int, dict[int, object]]:
    """member id → {course id: completion time}, from the `completed` learning records of courses."""
    if not member_ids:
        return {}
    done: dict[int, dict[int, object]] = {}
    for member_id, course_id, at in db.session.execute(
            select(LearningRecord.member_id, LearningRecord.object_id, LearningRecord.occurred_at)
            .where(LearningRecord.member_id.in_(member_ids), LearningRecord.verb == "completed",
                   LearningRecord.object_type == "course")):
        done.setdefault(member_id, {})[int(course_id)] = at
    return done


def _seed_exam_history(org: Org, exams: list[Quiz]) -> None:
    """Members who finished a course took its exam (others sometimes too); a failed first try is retaken."""
    members = db.session.scalars(select(Member).where(Member.org_id == org.id, Member.status == "active")
                                 .order_by(Member.id)).all()
    finished = _finished_courses([m.id for m in members])
    now = utcnow()
    for exam in exams:
        taken = set(db.session.scalars(select(Attempt.member_id).where(Attempt.quiz_id == exam.id)))
        model_student = not taken  # the first taker of a new exam knows it well: someone always reaches 80
        for member in members:
            rng = random.Random(member.id * 7919 + exam.course_id)
            done_at = finished.get(member.id, {}).get(exam.course_id)
            wants = rng.random() < EXAM_TAKER_SHARE
            if member.username == "demo-member":  # one result to look at, the other exams left to try
                wants, done_at = exam is exams[0], None
            if member.id in taken or member.username == "demo-organiser" or not (done_at or wants):
                continue
            ability = rng.uniform(0.6, 0.98) if done_at else rng.uniform(0.45, 0.8)
            if model_student and member.username != "demo-member":
                ability, model_student = 1.5, False
            earliest = max(done_at, now - timedelta(days=HISTORY_DAYS)) if done_at \
                else now - timedelta(days=HISTORY_DAYS)
            when = earliest + (now - earliest) * rng.uniform(0.1, 0.6)
            attempt = _simulate(member, exam, when, rng, ability)
            if attempt is not None and not attempt.passed and member.username != "demo-member":
                _simulate(member, exam, when + (now - when) * 0.5, rng, ability + 0.1)


def _simulate(member: Member, quiz: Quiz, when, rng: random.Random, ability: float) -> Attempt | None:
    """One attempt replayed through the services at a past moment, with human-like answer times."""
    attempt, created = attempts.start(member, quiz, now=when)
    if not created:
        return None
    clock = when
    for item in attempt.items:
        clock += timedelta(seconds=rng.uniform(1, 3))
        attempts.mark_shown(attempt, item.question_id, now=clock)
        version = item.version
        right = rng.random() < ability - 0.15 * (version.difficulty - 1)
        clock += timedelta(seconds=rng.lognormvariate(2.3, 0.5))
        response = _response(version, right, rng)
        if response is not None:
            attempts.save_answer(attempt, item.question_id, response, now=clock)
    return attempts.submit(attempt, now=clock + timedelta(seconds=2))


def _response(version, right: bool, rng: random.Random):
    keys = [o["key"] for o in version.options]
    if version.type in ("single_choice", "true_false"):
        return list(version.answer) if right else [rng.choice([k for k in keys if k not in version.answer])]
    if version.type == "multiple_choice":
        return list(version.answer) if right else sorted(rng.sample(keys, 2))
    if version.type == "fill_blank":
        return [alts[0] for alts in version.answer] if right else ["不记得了"] * len(version.answer)
    return "我认为要结合工作实际，学用结合。" if right else None


def _seed_history(org: Org, quizzes: list[Quiz], limit: int) -> None:
    members = db.session.scalars(select(Member).where(Member.org_id == org.id, Member.status == "active")
                                 .order_by(Member.id).limit(limit)).all()
    now = utcnow()
    daily, weekly, special = quizzes
    for member in members:
        if db.session.scalar(select(Attempt.id).where(Attempt.member_id == member.id).limit(1)) is not None:
            continue
        rng = random.Random(member.id * 7919)
        ability = rng.uniform(0.55, 0.95)
        for days_ago in range(HISTORY_DAYS, 0, -1):
            if rng.random() < 0.7:
                when = day_start_utc(local_day(now - timedelta(days=days_ago))) + timedelta(hours=rng.uniform(7, 21))
                _simulate(member, daily, when, rng, ability)
        _simulate(member, weekly, now - timedelta(days=rng.randint(1, HISTORY_DAYS), hours=rng.randint(0, 5)),
                  rng, ability)
        if member.username != "demo-member" and rng.random() < 0.6:
            _simulate(member, special, now - timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 5)), rng, ability)


def seed_demo(password: str) -> None:
    """Add the demo question bank, quizzes and attempt history to the core demo county (idempotent)."""
    from learning.seed import demo_tree

    tree = demo_tree()
    if tree is None:  # the core seed runs first; without its county there is nobody to quiz
        return
    organiser = db.session.scalar(select(Member).where(Member.username == "demo-organiser"))
    _seed_bank(tree.committee, organiser)
    db.session.flush()
    courses = course_directory.published_courses_titled(COURSE_EXAMS)
    for org in _orgs_with_members(tree.committee):
        quizzes = _seed_quizzes(org, organiser)
        exams = _seed_course_exams(org, courses, organiser)
        db.session.flush()
        if org.id == tree.demo_branch.id:  # history where demo-organiser and demo-member see it
            _seed_history(org, quizzes, HISTORY_MEMBERS)
            _seed_exam_history(org, exams)
            db.session.flush()
            _seed_editor_work(org, quizzes, organiser)


#: questions the demo branch's organiser wrote in the question editor, in the branch's own bank
EDITOR_QUESTIONS = [
    {"type": "fill_blank", "stem": "党的三大优良作风是理论联系实际、_____和_____。",
     "answer": [["密切联系群众", "联系群众"], ["批评与自我批评", "批评和自我批评"]],
     "knowledge_points": ["党章", "组织生活"], "difficulty": 2, "explanation": "见党章总纲。"},
    {"type": "short_answer", "stem": "结合本支部实际，谈谈如何落实“三会一课”制度。",
     "answer": "按时召开支部党员大会、支部委员会和党小组会，按时上好党课；会前通知、会中记录、会后落实。",
     "knowledge_points": ["组织生活"], "difficulty": 3, "max_score": 5,
     "explanation": "参照《中国共产党支部工作条例（试行）》。"},
]
REVISED_NOTE = "（本题解析已于题库中修订，此前的答题记录保留原版本。）"


def _seed_editor_work(branch: Org, quizzes: list[Quiz], by: Member | None) -> None:
    """What the editor pages leave behind: the branch's own questions, an answered question revised (its
    second version), and an unpublished copy of the weekly quiz. Keyed by stem and title: idempotent."""
    from .models import AttemptItem, QuestionVersion

    for data in EDITOR_QUESTIONS:
        written = db.session.scalar(select(Question.id).join(QuestionVersion, QuestionVersion.id ==
                                                             Question.current_version_id)
                                    .where(Question.org_id == branch.id, QuestionVersion.stem == data["stem"]))
        if written is None:
            bank.create_question(branch, data, by=by)
    asked = db.session.scalar(select(func.min(AttemptItem.question_id)).join(Attempt, Attempt.id == AttemptItem.attempt_id)
                              .where(Attempt.org_id == branch.id))
    question = db.session.get(Question, asked) if asked else None
    if question is not None and question.version_count == 1:
        bank.update_question(question, {"explanation": (question.current.explanation or "") + REVISED_NOTE}, by=by)
    weekly = next((q for q in quizzes if q.kind == "weekly"), None)
    if weekly is not None:
        title = f"{weekly.title}（副本）"
        if db.session.scalar(select(Quiz.id).where(Quiz.org_id == branch.id, Quiz.title == title)) is None:
            quiz_service.copy_quiz(weekly, branch, title=title, by=by)
    db.session.flush()
