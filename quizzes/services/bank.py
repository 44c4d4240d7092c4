"""The question bank: validation, sanitising, versioned edits, bulk insert, search."""
from __future__ import annotations

import re

import nh3
from sqlalchemy import exists, func, insert, or_, select

from learning.errors import Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services import scope
from learning.timeutil import utcnow

from ..models import DIFFICULTIES, QUESTION_TYPES, AttemptItem, Question, QuestionTag, QuestionVersion

OPTION_KEYS = "ABCDEFGH"
TRUE_FALSE_OPTIONS = [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}]
TRUE_WORDS = {"t", "true", "正确", "对", "是", "√", "✓", "y", "yes", "1"}
FALSE_WORDS = {"f", "false", "错误", "错", "否", "×", "✗", "x", "n", "no", "0"}
TYPE_ALIASES = {
    "单选": "single_choice", "单选题": "single_choice", "单项选择题": "single_choice",
    "多选": "multiple_choice", "多选题": "multiple_choice", "多项选择题": "multiple_choice",
    "判断": "true_false", "判断题": "true_false",
    "填空": "fill_blank", "填空题": "fill_blank",
    "简答": "short_answer", "简答题": "short_answer", "问答题": "short_answer",
}
TYPE_LABELS = {"single_choice": "单选题", "multiple_choice": "多选题", "true_false": "判断题",
               "fill_blank": "填空题", "short_answer": "简答题"}
DIFFICULTY_ALIASES = {"易": 1, "简单": 1, "容易": 1, "中": 2, "中等": 2, "一般": 2, "难": 3, "困难": 3, "较难": 3}
DIFFICULTY_LABELS = {1: "简单", 2: "中等", 3: "困难"}
_SPLIT_KEYS = re.compile(r"[\s,，、;；]+")
_SPLIT_BLANKS = re.compile(r"[;；]")
_SPLIT_ALTERNATIVES = re.compile(r"[|｜]")
_TAGS = re.compile(r"<[^>]*>")



def sanitise(html: str) -> str:
    """Rich text reduced to safe HTML (nh3's allow-list)."""
    return nh3.clean(html or "").strip()


def plain_text(html: str) -> str:
    """The visible text of sanitised HTML."""
    return _TAGS.sub("", html or "").replace("&nbsp;", " ").strip()


def _type_of(value) -> str | None:
    text = str(value or "").strip()
    if text in QUESTION_TYPES:
        return text
    return TYPE_ALIASES.get(text)


def _difficulty(value) -> int | None:
    if value is None or value == "":
        return 2
    if isinstance(value, (int, float)) and int(value) in DIFFICULTIES:
        return int(value)
    text = str(value).strip()
    if text.isdigit() and int(text) in DIFFICULTIES:
        return int(text)
    return DIFFICULTY_ALIASES.get(text)


def _knowledge_points(value) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else _SPLIT_KEYS.split(str(value))
    seen: list[str] = []
    for item in items:
        text = str(item).strip()[:64]
        if text and text not in seen:
            seen.append(text)
    return seen


def _options(value) -> list[dict]:
    options = []
    for i, item in enumerate(value or []):
        default_key = OPTION_KEYS[i] if i < len(OPTION_KEYS) else "?"
        if isinstance(item, dict):
            key, text = str(item.get("key") or default_key), item.get("text")
        else:
            key, text = default_key, item
        text = sanitise(str(text)) if text is not None else ""
        if text:
            options.append({"key": key.strip().upper(), "text": text})
    return options


def _choice_keys(value) -> list[str]:
    if isinstance(value, list):
        parts = [str(v) for v in value]
    else:
        text = str(value or "").strip().upper()
        parts = list(text) if text.isalpha() and text.isascii() else _SPLIT_KEYS.split(text)
    return sorted({p.strip().upper() for p in parts if p.strip()})


def _blanks(value) -> list[list[str]]:
    if isinstance(value, list):
        blanks = [v if isinstance(v, list) else _SPLIT_ALTERNATIVES.split(str(v)) for v in value]
    else:
        blanks = [_SPLIT_ALTERNATIVES.split(b) for b in _SPLIT_BLANKS.split(str(value or ""))]
    return [[a.strip() for a in alts if str(a).strip()] for alts in blanks]


def validate_question(data: dict) -> tuple[dict | None, dict[str, list[str]]]:
    """Check and normalise one question's fields; returns (clean fields, errors by field)."""
    errors: dict[str, list[str]] = {}
    kind = _type_of(data.get("type"))
    if kind is None:
        errors["type"] = [f"unknown question type {str(data.get('type') or '')!r}"]
    stem = sanitise(str(data.get("stem") or ""))
    if not plain_text(stem) and "<img" not in stem:
        errors["stem"] = ["the stem is empty"]
    difficulty = _difficulty(data.get("difficulty"))
    if difficulty is None:
        errors["difficulty"] = ["difficulty is 1-3 or 简单/中等/困难"]
    try:
        max_score = float(data.get("max_score") or 1)
        if not 0 < max_score <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors["max_score"] = ["a positive number up to 100"]
        max_score = 1.0
    options, answer = [], None
    if kind in ("single_choice", "multiple_choice"):
        options = _options(data.get("options"))
        keys = [o["key"] for o in options]
        if len(options) < 2:
            errors["options"] = ["a choice question needs at least two options"]
        elif len(set(keys)) != len(keys) or any(k not in OPTION_KEYS for k in keys):
            errors["options"] = ["option keys must be distinct letters A-H"]
        answer = _choice_keys(data.get("answer"))
        if not answer:
            errors["answer"] = ["the answer is missing"]
        elif any(k not in keys for k in answer):
            errors["answer"] = [f"answer {''.join(answer)} is not among the options {''.join(keys)}"]
        elif kind == "single_choice" and len(answer) != 1:
            errors["answer"] = ["a single-choice question has exactly one answer"]
    elif kind == "true_false":
        options = TRUE_FALSE_OPTIONS
        raw = data.get("answer")
        raw = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
        word = str(raw if raw is not None else "").strip().lower()
        if isinstance(raw, bool):
            word = "true" if raw else "false"
        answer = ["T"] if word in TRUE_WORDS else ["F"] if word in FALSE_WORDS else None
        if answer is None:
            errors["answer"] = ["a true/false answer is 正确/错误 (T/F)"]
    elif kind == "fill_blank":
        answer = _blanks(data.get("answer"))
        if not answer or any(not alts for alts in answer):
            errors["answer"] = ["each blank needs at least one accepted answer (blanks split by ;, alternatives by |)"]
    elif kind == "short_answer":
        answer = str(data.get("answer") or "").strip()
    if errors:
        return None, errors
    return {"type": kind, "stem": stem, "options": options, "answer": answer,
            "explanation": sanitise(str(data.get("explanation") or "")) or None,
            "knowledge_points": _knowledge_points(data.get("knowledge_points")),
            "difficulty": difficulty, "max_score": max_score,
            "partial_credit": bool(data.get("partial_credit", kind == "multiple_choice"))}, {}


def clean_or_raise(data: dict) -> dict:
    """The clean fields of one question, or Invalid with the field errors."""
    clean, errors = validate_question(data)
    if errors:
        raise Invalid("The question is not valid.", errors)
    return clean


def _set_tags(question_id: int, points: list[str]) -> None:
    db.session.execute(QuestionTag.__table__.delete().where(QuestionTag.question_id == question_id))
    if points:
        db.session.execute(insert(QuestionTag), [{"question_id": question_id, "knowledge_point": p} for p in points])


def create_question(org: Org, data: dict, *, by: Member | None = None, source: str = "manual") -> Question:
    """Add a question with its first version."""
    clean = clean_or_raise(data)
    question = Question(org_id=org.id, type=clean["type"], difficulty=clean["difficulty"], source=source,
                        created_by_id=by.id if by else None, version_count=1)
    db.session.add(question)
    db.session.flush()
    version = QuestionVersion(question_id=question.id, number=1, created_by_id=by.id if by else None, **clean)
    db.session.add(version)
    db.session.flush()
    question.current_version_id = version.id
    _set_tags(question.id, clean["knowledge_points"])
    db.session.flush()
    return question


def version_has_answers(version_id: int) -> bool:
    """Whether any attempt has asked this version."""
    return db.session.scalar(select(exists().where(AttemptItem.version_id == version_id)))


def update_question(question: Question, data: dict, *, by: Member | None = None) -> Question:
    """Edit a question: in place while unanswered, else as a new version (old attempts keep theirs)."""
    current = db.session.get(QuestionVersion, question.current_version_id)
    merged = {"type": current.type, "stem": current.stem, "options": current.options, "answer": current.answer,
              "explanation": current.explanation, "knowledge_points": current.knowledge_points,
              "difficulty": current.difficulty, "max_score": current.max_score,
              "partial_credit": current.partial_credit} | data
    clean = clean_or_raise(merged)
    if version_has_answers(current.id):
        question.version_count += 1
        version = QuestionVersion(question_id=question.id, number=question.version_count,
                                  created_by_id=by.id if by else None, **clean)
        db.session.add(version)
        db.session.flush()
        question.current_version_id = version.id
    else:
        for key, value in clean.items():
            setattr(current, key, value)
    question.type, question.difficulty, question.updated_at = clean["type"], clean["difficulty"], utcnow()
    _set_tags(question.id, clean["knowledge_points"])
    db.session.flush()
    db.session.expire(question, ["current"])
    return question


def archive_question(question: Question) -> Question:
    """Take a question out of the bank (attempts and statistics keep it)."""
    question.archived_at = utcnow()
    return question


def bulk_create(org: Org, cleaned: list[dict], *, by: Member | None, source: str) -> int:
    """Insert many validated questions at once (10,000 in one request); returns how many."""
    if not cleaned:
        return 0
    now = utcnow()
    by_id = by.id if by else None
    table = Question.__table__
    ids: list[int] = []
    for start in range(0, len(cleaned), 1000):
        chunk = cleaned[start:start + 1000]
        rows = [{"org_id": org.id, "type": c["type"], "difficulty": c["difficulty"], "source": source,
                 "created_by_id": by_id, "version_count": 1, "created_at": now, "updated_at": now} for c in chunk]
        ids += list(db.session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
    versions = [{"question_id": qid, "number": 1, "created_by_id": by_id, "created_at": now, **c}
                for qid, c in zip(ids, cleaned)]
    vtable = QuestionVersion.__table__
    for start in range(0, len(versions), 1000):
        chunk = versions[start:start + 1000]
        db.session.execute(insert(vtable), chunk)
    latest = select(vtable.c.id).where(vtable.c.question_id == table.c.id).scalar_subquery()
    for start in range(0, len(ids), 1000):  # one statement per chunk, not one per question
        db.session.execute(table.update().where(table.c.id.in_(ids[start:start + 1000]))
                           .values(current_version_id=latest))
    tags = [{"question_id": qid, "knowledge_point": p} for qid, c in zip(ids, cleaned) for p in c["knowledge_points"]]
    if tags:
        db.session.execute(insert(QuestionTag), tags)
    db.session.flush()
    return len(ids)


def require_question(actor: Member, question_id: int, capability: str = "quiz.manage") -> Question:
    """A question in the caller's scope; otherwise not found."""
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound("Question not found.")
    scope.require_org(actor, question.org_id, capability)
    return question


def search(actor: Member, *, org_id: int | None = None, q: str | None = None, type: str | None = None,
           knowledge_point: str | None = None, difficulty: int | None = None, include_archived: bool = False):
    """A select of questions the caller may manage, filtered."""
    stmt = select(Question).join(Org, Question.org_id == Org.id).where(scope.org_clause(actor, "quiz.manage"))
    if org_id is not None:
        org = scope.require_org(actor, org_id, "quiz.manage")
        stmt = stmt.where(Org.path.startswith(org.path, autoescape=True))
    if not include_archived:
        stmt = stmt.where(Question.archived_at.is_(None))
    if type:
        stmt = stmt.where(Question.type == type)
    if difficulty:
        stmt = stmt.where(Question.difficulty == difficulty)
    if knowledge_point:
        stmt = stmt.where(exists().where(QuestionTag.question_id == Question.id,
                                         QuestionTag.knowledge_point == knowledge_point))
    if q:
        stmt = stmt.join(QuestionVersion, QuestionVersion.id == Question.current_version_id).where(
            or_(QuestionVersion.stem.like(f"%{q}%"), QuestionVersion.explanation.like(f"%{q}%")))
    return stmt


def shared_banks_above(actor: Member) -> list[tuple[Org, int]]:
    """Banks of orgs above the caller's managed orgs (usable by their quizzes, not editable), with sizes.
    Worked out from the grant paths (the managed subtrees' tops), never the whole scope as objects."""
    grants = scope.grant_paths(actor, "quiz.manage")
    above = set()
    for path in grants:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            prefix = "/" + "/".join(parts[:i]) + "/"
            if not any(prefix.startswith(g) for g in grants):
                above.add(int(parts[i - 1]))
    if not above:
        return []
    rows = db.session.execute(select(Question.org_id, func.count()).where(
        Question.org_id.in_(above), Question.archived_at.is_(None)).group_by(Question.org_id)).all()
    orgs = {o.id: o for o in db.session.scalars(select(Org).where(Org.id.in_([r[0] for r in rows])))}
    return [(orgs[org_id], n) for org_id, n in rows]


def knowledge_points_in(actor: Member) -> list[tuple[str, int]]:
    """Knowledge points of the banks the caller's quizzes may draw from (own and above), with counts."""
    org_ids = [o.id for o, _ in shared_banks_above(actor)]
    visible = scope.org_clause(actor, "quiz.manage")
    if org_ids:
        visible = or_(visible, Question.org_id.in_(org_ids))
    rows = db.session.execute(
        select(QuestionTag.knowledge_point, func.count())
        .join(Question, Question.id == QuestionTag.question_id).join(Org, Org.id == Question.org_id)
        .where(visible, Question.archived_at.is_(None))
        .group_by(QuestionTag.knowledge_point).order_by(func.count().desc())).all()
    return [(kp, n) for kp, n in rows]
