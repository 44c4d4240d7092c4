"""The question editor (write, edit, preview, retire one question) and bulk actions on the bank list.

Every write goes through the bank service the API uses (`bank.create_question`, `bank.update_question`,
`bank.archive_question`, `bulk.apply`): an answered question's edit becomes a new version there, once.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from learning.auth import actor
from learning.errors import DomainError
from learning.extensions import db
from learning.services import scope

from ..models import DIFFICULTIES, QUESTION_TYPES, Question, QuestionVersion
from ..services import bank, bulk
from . import bp
from .organiser import _int, _open_org, _org_options, _require_any

OPTION_KEYS = bank.OPTION_KEYS
MAX_BLANKS = 10


def _question(question_id: int) -> Question:
    try:
        return bank.require_question(actor(), question_id)
    except DomainError as exc:
        abort(404 if exc.status == 404 else 403)


def _values(version: QuestionVersion | None) -> dict:
    """The form's values for a saved version (or an empty form)."""
    if version is None:
        return {"type": request.args.get("type") if request.args.get("type") in QUESTION_TYPES else "single_choice",
                "stem": "", "options": {}, "correct": [], "tf": "", "blanks": [], "reference": "",
                "knowledge_points": "", "difficulty": 2, "max_score": "1", "partial_credit": True,
                "explanation": "", "org_id": None}
    choice = version.type in ("single_choice", "multiple_choice")
    return {"type": version.type, "stem": version.stem,
            "options": {o["key"]: o["text"] for o in version.options} if choice else {},
            "correct": list(version.answer) if choice else [],
            "tf": version.answer[0] if version.type == "true_false" else "",
            "blanks": ["\n".join(alts) for alts in version.answer] if version.type == "fill_blank" else [],
            "reference": version.answer if version.type == "short_answer" else "",
            "knowledge_points": "，".join(version.knowledge_points or []), "difficulty": version.difficulty,
            "max_score": f"{version.max_score:g}", "partial_credit": version.partial_credit,
            "explanation": version.explanation or "", "org_id": None}


def _posted() -> dict:
    """The form's values as posted (shown again with the errors)."""
    form = request.form
    blanks = [form.get(f"blank_{i}", "") for i in range(1, MAX_BLANKS + 1)]
    while blanks and not blanks[-1].strip():
        blanks.pop()
    return {"type": form.get("type", ""), "stem": form.get("stem", ""),
            "options": {k: form.get(f"option_{k}", "") for k in OPTION_KEYS},
            "correct": form.getlist("correct"), "tf": form.get("tf", ""), "blanks": blanks,
            "reference": form.get("reference", ""), "knowledge_points": form.get("knowledge_points", ""),
            "difficulty": form.get("difficulty", ""), "max_score": form.get("max_score", ""),
            "partial_credit": "partial_credit" in form, "explanation": form.get("explanation", ""),
            "org_id": _int("org_id")}


def _to_data(values: dict) -> tuple[dict, dict[str, list[str]]]:
    """The bank service's fields from the form, or the form's own errors (said the way the page asks)."""
    errors: dict[str, list[str]] = {}
    kind = values["type"]
    data = {"type": kind, "stem": values["stem"], "explanation": values["explanation"],
            "knowledge_points": values["knowledge_points"], "difficulty": values["difficulty"]}
    try:
        data["max_score"] = float(values["max_score"] or 1)
    except ValueError:
        errors["max_score"] = [_("The score must be a number.")]
    if kind not in QUESTION_TYPES:
        errors["type"] = [_("Choose the question type.")]
    if not str(values["difficulty"]).isdigit() or int(values["difficulty"]) not in DIFFICULTIES:
        errors["difficulty"] = [_("Choose the difficulty.")]
    if kind in ("single_choice", "multiple_choice"):
        filled = [k for k in OPTION_KEYS if values["options"].get(k, "").strip()]
        empty_right = [k for k in values["correct"] if k in OPTION_KEYS and k not in filled]
        if len(filled) < 2:
            errors["options"] = [_("Write at least two options.")]
        elif empty_right:
            errors["options"] = [_("Option %(key)s is marked right but has no text.", key=empty_right[0])]
        right = [k for k in values["correct"] if k in filled]
        if not right and "options" not in errors:
            errors["answer"] = [_("Mark the right option.") if kind == "single_choice"
                                else _("Mark the right options.")]
        elif kind == "single_choice" and len(right) > 1:
            errors["answer"] = [_("A single-choice question has exactly one right option.")]
        new_key = {k: OPTION_KEYS[i] for i, k in enumerate(filled)}  # gaps closed: A, B, D becomes A, B, C
        data["options"] = [{"key": new_key[k], "text": values["options"][k]} for k in filled]
        data["answer"] = [new_key[k] for k in right]
        data["partial_credit"] = kind == "multiple_choice" and values["partial_credit"]
    elif kind == "true_false":
        if values["tf"] not in ("T", "F"):
            errors["answer"] = [_("Choose whether the statement is right or wrong.")]
        data["answer"] = values["tf"]
        data["partial_credit"] = False
    elif kind == "fill_blank":
        blanks = [[line.strip() for line in text.splitlines() if line.strip()] for text in values["blanks"]]
        if not blanks:
            errors["blanks"] = [_("Give the accepted answers of at least one blank.")]
        for number, accepted in enumerate(blanks, start=1):
            if not accepted:
                errors.setdefault("blanks", []).append(
                    _("Blank %(number)s has no accepted answer.", number=number))
        data["answer"] = blanks
        data["partial_credit"] = False
    elif kind == "short_answer":
        data["answer"] = values["reference"].strip()
        data["partial_credit"] = False
    return data, errors


def _service_errors(exc: DomainError) -> dict[str, list[str]]:
    """The service's field errors in the page's language (its words are listed in views/messages.py)."""
    found = exc.errors if isinstance(exc.errors, dict) else {}
    return {field: [_(str(m)) for m in (msgs if isinstance(msgs, list) else [msgs])] for field, msgs in found.items()} \
        or {"form": [_(exc.message)]}


def _render(values: dict, errors: dict, *, question: Question | None = None, preview=None, status: int = 200):
    answered = question is not None and bank.version_has_answers(question.current_version_id)
    return render_template("quizzes/question_form.html", values=values, errors=errors, question=question,
                           preview=preview, answered=answered, orgs=_org_options(_open_org(values.get("org_id"))), types=QUESTION_TYPES,
                           type_labels=bank.TYPE_LABELS, difficulty_labels=bank.DIFFICULTY_LABELS,
                           option_keys=OPTION_KEYS, max_blanks=MAX_BLANKS,
                           blank_count=max(3, len(values["blanks"]) + 1), plain_text=bank.plain_text), status


def _save(question: Question | None):
    """Check, then preview or save through the bank service; the form again with its errors otherwise."""
    values = _posted()
    data, errors = _to_data(values)
    if not errors:
        clean, problems = bank.validate_question(data)
        errors = {f: [_(m) for m in msgs] for f, msgs in problems.items()}
    if errors:
        return _render(values, errors, question=question, status=400)
    if request.form.get("action") == "preview":  # nothing is written
        return _render(values, {}, question=question, preview=clean)
    try:
        if question is None:
            org = scope.require_org(actor(), values["org_id"] or 0, "quiz.manage")
            question = bank.create_question(org, data, by=actor())
            flash(_("Question saved."), "success")
        else:
            before = question.current_version_id
            bank.update_question(question, data, by=actor())
            flash(_("Saved as version %(number)s: the attempts already made keep the version they were asked.",
                    number=question.current.number) if question.current_version_id != before
                  else _("Question saved."), "success")
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        return _render(values, _service_errors(exc), question=question, status=exc.status if exc.status == 403 else 400)
    return redirect(url_for("quizzes.edit_question", question_id=question.id))


@bp.route("/bank/questions/new", methods=["GET", "POST"])
@login_required
def new_question():
    """Write a question of any type; Preview shows it as members will see it without saving."""
    _require_any("quiz.manage")
    if request.method == "POST":
        return _save(None)
    return _render(_values(None), {})


@bp.route("/bank/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def edit_question(question_id: int):
    """Edit a question (a new version once it has been answered), with its preview and versions."""
    question = _question(question_id)
    if question.archived_at is not None:
        abort(404)
    if request.method == "POST":
        return _save(question)
    version = question.current
    preview = {"type": version.type, "stem": version.stem, "options": version.options, "answer": version.answer,
               "explanation": version.explanation, "knowledge_points": version.knowledge_points,
               "difficulty": version.difficulty, "max_score": version.max_score}
    return _render(_values(version), {}, question=question, preview=preview)


@bp.route("/bank/questions/<int:question_id>/retire", methods=["POST"])
@login_required
def retire_question(question_id: int):
    """Retire a question: it leaves the bank; attempts and statistics keep it."""
    question = _question(question_id)
    if question.archived_at is None:
        bank.archive_question(question)
    flash(_("Question retired."), "success")
    return redirect(url_for("quizzes.bank_page"))


@bp.route("/bank/bulk", methods=["POST"])
@login_required
def bulk_questions():
    """Tag, move or retire the questions ticked on the bank list, all or nothing."""
    _require_any("quiz.manage")
    ids = [int(v) for v in request.form.getlist("question_ids") if v.isdigit() and len(v) < 10]
    back = url_for("quizzes.bank_page", **{k[2:]: v for k, v in request.form.items() if k.startswith("f_") and v})
    action = request.form.get("action", "")
    try:
        count = bulk.apply(actor(), ids, action, knowledge_point=request.form.get("knowledge_point"),
                           to_org_id=_int("to_org_id"))
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        details = exc.errors.get("quizzes") if isinstance(exc.errors, dict) else None
        flash(_(exc.message) + (f"（{'、'.join(details)}）" if details else ""), "error")
        return redirect(back)
    flash({"tag": _("%(count)s questions tagged.", count=count),
           "move": _("%(count)s questions moved.", count=count),
           "retire": _("%(count)s questions retired.", count=count)}[action], "success")
    return redirect(back)
