"""Imports and exports of question files: validate the whole file first, then insert in bulk."""
from __future__ import annotations

from learning.errors import Invalid
from learning.extensions import db
from learning.models import Member, Org

from ..models import ImportJob
from . import bank
from .formats import FileError, gift, moodle_xml, tabular

FORMATS = ("xlsx", "csv", "gift", "moodle_xml")
MAX_QUESTIONS = 20000
MAX_BYTES = 40 * 1024 * 1024


def detect_format(filename: str, content: bytes) -> str:
    """The format of an uploaded file from its name, or its first bytes."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".gift", ".txt")):
        return "gift"
    if name.endswith(".xml"):
        return "moodle_xml"
    if content[:2] == b"PK":
        return "xlsx"
    if content.lstrip()[:1] == b"<":
        return "moodle_xml"
    raise Invalid("Unknown file type: use .xlsx, .csv, .gift/.txt or Moodle .xml.", {"file": ["unknown_format"]})


def parse(fmt: str, content: bytes):
    """Parsed items of a file in a known format (FileError when unreadable)."""
    if fmt == "xlsx":
        return tabular.parse_xlsx(content)
    if fmt == "csv":
        return tabular.parse_csv(content)
    if fmt == "gift":
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileError("a GIFT file must be UTF-8 text") from None
        return gift.parse(text)
    if fmt == "moodle_xml":
        return moodle_xml.parse(content)
    raise Invalid(f"Unknown format {fmt!r}.", {"format": ["unknown"]})


def import_file(org: Org, actor: Member, filename: str, content: bytes, *, fmt: str | None = None,
                valid_only: bool = False) -> ImportJob:
    """Validate every question of a file; insert all (or, if asked, the valid ones) in bulk.

    Returns the import report; status "rejected" means nothing was inserted.
    """
    if not content:
        raise Invalid("The file is empty.", {"file": ["empty"]})
    if len(content) > MAX_BYTES:
        raise Invalid("The file is larger than 40 MB.", {"file": ["too_large"]})
    fmt = fmt or detect_format(filename, content)
    if fmt not in FORMATS:
        raise Invalid(f"Unknown format {fmt!r}.", {"format": ["unknown"]})
    job = ImportJob(org_id=org.id, created_by_id=actor.id, filename=(filename or "upload")[:255], format=fmt,
                    status="rejected", skipped=[], errors=[])
    db.session.add(job)
    try:
        items = parse(fmt, content)
    except FileError as exc:
        job.errors = [{"ref": exc.ref or "file", "message": exc.message}]
        db.session.flush()
        return job
    if len(items) > MAX_QUESTIONS:
        job.errors = [{"ref": "file", "message": f"more than {MAX_QUESTIONS} questions in one file"}]
        db.session.flush()
        return job
    cleaned, errors, skipped = [], [], []
    for item in items:
        if item.skipped:
            skipped.append({"ref": item.ref, "name": item.name, "reason": item.skipped})
            continue
        clean, field_errors = bank.validate_question(item.data)
        if field_errors:
            errors += [{"ref": item.ref, "field": f, "message": "; ".join(m)} for f, m in field_errors.items()]
        else:
            cleaned.append(clean)
            if item.notes:
                skipped.append({"ref": item.ref, "name": item.name, "reason": "; ".join(item.notes), "note": True})
    job.total, job.skipped, job.errors = len(items), skipped, errors
    if not cleaned and not errors:
        job.errors = [{"ref": "file", "message": "the file holds no question this platform supports"}]
    elif not errors or valid_only:
        job.imported = bank.bulk_create(org, cleaned, by=actor, source=fmt)
        job.status = "partial" if errors else "imported"
    db.session.flush()
    return job


EXPORT_FORMATS = ("xlsx", "gift", "moodle_xml")


def export(questions: list, fmt: str) -> tuple[bytes, str, str]:
    """(content, mimetype, extension) of questions written as XLSX, GIFT or Moodle XML."""
    if fmt == "xlsx":
        return (tabular.export_xlsx(questions, bank.TYPE_LABELS, bank.DIFFICULTY_LABELS),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    if fmt == "gift":
        return gift.write(questions).encode(), "text/plain; charset=utf-8", "gift.txt"
    if fmt == "moodle_xml":
        return moodle_xml.write(questions), "application/xml; charset=utf-8", "moodle.xml"
    raise Invalid("Export formats are xlsx, gift and moodle_xml.", {"format": ["unknown"]})
