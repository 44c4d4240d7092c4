"""Notices (通知公告): an org speaks to everyone in its subtree, and its organisers see who has read.

The audience is fixed when the notice is published (the active members of the subtree then), one
`NoticeRecipient` row each, so "read 38 of 45" keeps its meaning after transfers. A member sees the
notices addressed to them and nothing about anyone else's reading; who has not read is shown only
to those holding `notice.receipts` over the reader's org.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, insert, literal, or_, select

from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..models import Member, Notice, NoticeRecipient, Org
from ..timeutil import utcnow
from . import inbox, scope
from .pagination import paginate

MAX_BODY = 20000
#: the list's sort keys in the one pagination style (`-published`, newest first, is the default)
SORTS = {"published": (Notice.published_at,), "title": (Notice.title,)}
DEFAULT_SORT = "-published"
#: the API's first sort names, still answered
SORT_ALIASES = {"newest": "-published", "oldest": "published"}
SEARCH = (Notice.title, Notice.body)


def register() -> None:
    """Capabilities and the inbox kind of notices."""
    scope.define_capability("notice.publish", {"organiser", "admin"})
    scope.define_capability("notice.receipts", {"organiser", "reviewer", "admin"})
    scope.define_capability("notice.read", {"member", "organiser", "reviewer", "admin"})
    inbox.register_kind("notice", lambda: _l("Notices"), optional=False, order=1)


def publish(actor: Member, org: Org, title: str, body: str, pinned: bool = False) -> Notice:
    """Publish a notice to the org's subtree (the caller has checked `notice.publish` at org)."""
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title or len(title) > 200:
        errors["title"] = ["1 to 200 characters"]
    if not body or len(body) > MAX_BODY:
        errors["body"] = [f"1 to {MAX_BODY} characters"]
    if org.closed_at is not None:
        errors["org_id"] = ["closed"]
    if errors:
        raise Invalid("The notice is not complete.", errors)
    notice = Notice(org_id=org.id, author_id=actor.id, title=title, body=body, pinned=bool(pinned),
                    published_at=utcnow())
    db.session.add(notice)
    db.session.flush()
    audience = (select(literal(notice.id), Member.id, Member.org_id).select_from(Member)
                .join(Org, Member.org_id == Org.id)
                .where(Org.path.startswith(org.path, autoescape=True), Member.status == "active"))
    db.session.execute(insert(NoticeRecipient).from_select(["notice_id", "member_id", "org_id"], audience))
    member_ids = list(db.session.scalars(select(NoticeRecipient.member_id).where(
        NoticeRecipient.notice_id == notice.id)))
    notice.audience = len(member_ids)
    inbox.post(member_ids, "notice", title, body[:300], link=f"/notices/{notice.id}",
               dedupe_key=f"notice:{notice.id}")
    db.session.flush()
    return notice


def _visible(actor: Member):
    """A clause: notices addressed to the actor, or published in an org within the actor's reading scope
    (a member's own branch and its groups; an organiser's or reviewer's subtree)."""
    mine = select(NoticeRecipient.notice_id).where(NoticeRecipient.member_id == actor.id)
    return or_(Notice.id.in_(mine), scope.org_clause(actor, "notice.read"))


def require_notice(actor: Member, notice_id: int) -> Notice:
    """A notice the actor may see; otherwise not found."""
    if not 0 < notice_id <= inbox.MAX_ID:
        raise NotFound("Notice not found.")
    notice = db.session.scalar(select(Notice).join(Org, Notice.org_id == Org.id).where(
        Notice.id == notice_id, _visible(actor)))
    if notice is None or (notice.withdrawn_at is not None and not scope.holds(actor, "notice.receipts", notice.org)):
        raise NotFound("Notice not found.")
    return notice


def open_notice(actor: Member, notice: Notice) -> dict:
    """Show a notice; a recipient's first look is their read receipt (and reads its inbox message)."""
    recipient = db.session.scalar(select(NoticeRecipient).where(
        NoticeRecipient.notice_id == notice.id, NoticeRecipient.member_id == actor.id))
    if recipient is not None and recipient.read_at is None:
        recipient.read_at = utcnow()
        inbox.mark_read_by_key(actor.id, f"notice:{notice.id}")
        db.session.flush()
    return {"notice": notice, "read_at": recipient.read_at if recipient else None,
            "stats": stats(actor, notice) if scope.holds_anywhere(actor, "notice.receipts") else None}


def notices_for(actor: Member, *, managed: bool = False):
    """The notices the actor sees (addressed to them and not withdrawn), or with `managed` those published
    where they see receipts (withdrawn ones too): an unordered statement for the pagination helpers."""
    stmt = select(Notice).join(Org, Notice.org_id == Org.id)
    if managed:
        return stmt.where(scope.org_clause(actor, "notice.receipts"))
    return stmt.where(Notice.id.in_(select(NoticeRecipient.notice_id).where(
        NoticeRecipient.member_id == actor.id)), Notice.withdrawn_at.is_(None))


def list_order(managed: bool) -> tuple:
    """What leads the order whatever the sort: pinned notices on top of a member's own list."""
    return () if managed else (Notice.pinned.desc(),)


def sort_key(sort: str | None) -> str | None:
    """A sort parameter in the list's keys (the API's first names `newest`/`oldest` translated)."""
    return SORT_ALIASES.get(sort, sort) if sort else sort


def rows_of(actor: Member, items: list[Notice], managed: bool) -> list[dict]:
    """A page's notices with the actor's own read time and, for `managed`, read / addressed counts."""
    reads = dict(db.session.execute(select(NoticeRecipient.notice_id, NoticeRecipient.read_at).where(
        NoticeRecipient.member_id == actor.id, NoticeRecipient.notice_id.in_([n.id for n in items]))).all())
    counts = _read_counts(actor, [n.id for n in items]) if managed else {}
    return [{"notice": n, "read_at": reads.get(n.id), "readers": counts.get(n.id, (0, 0))[0],
             "addressed": counts.get(n.id, (0, 0))[1]} for n in items]


def notice_page(actor: Member, query: dict, *, managed: bool = False) -> dict:
    """The API's page of notices (`page`, `per_page`, `q`, `sort`; see `notices_for`), each row with
    `rows_of`'s read figures, in the one pagination envelope."""
    page = paginate(notices_for(actor, managed=managed), {**query, "sort": sort_key(query.get("sort"))},
                    sorts=SORTS, default=DEFAULT_SORT, search=SEARCH, tie=Notice.id, first=list_order(managed))
    return {**page, "items": rows_of(actor, page["items"], managed)}


def _receipt_scope(actor: Member):
    """Recipients the actor may see reading: those whose branch lies where the actor holds notice.receipts."""
    return NoticeRecipient.org_id.in_(select(Org.id).where(scope.org_clause(actor, "notice.receipts")))


def _read_counts(actor: Member, notice_ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = db.session.execute(
        select(NoticeRecipient.notice_id, func.count(NoticeRecipient.read_at), func.count(NoticeRecipient.id))
        .where(NoticeRecipient.notice_id.in_(notice_ids), _receipt_scope(actor))
        .group_by(NoticeRecipient.notice_id)).all()
    return {nid: (int(read), int(total)) for nid, read, total in rows}


def stats(actor: Member, notice: Notice) -> dict:
    """Read and addressed counts among the recipients in the actor's receipt scope."""
    read, total = _read_counts(actor, [notice.id]).get(notice.id, (0, 0))
    return {"read": read, "addressed": total, "unread": total - read}


def receipts(actor: Member, notice: Notice, *, status: str = "unread", q: str = "", page_no: int = 1,
             per_page: int = 50) -> dict:
    """Recipients in the actor's receipt scope with their read time: by default those who have not read."""
    if not scope.holds_anywhere(actor, "notice.receipts"):
        raise NotFound("Notice not found.")
    stmt = (select(NoticeRecipient, Member, Org).join(Member, NoticeRecipient.member_id == Member.id)
            .join(Org, NoticeRecipient.org_id == Org.id)
            .where(NoticeRecipient.notice_id == notice.id, _receipt_scope(actor)))
    if status == "unread":
        stmt = stmt.where(NoticeRecipient.read_at.is_(None))
    elif status == "read":
        stmt = stmt.where(NoticeRecipient.read_at.is_not(None))
    if q:
        stmt = stmt.where(Member.name.contains(q, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(stmt.order_by(case((NoticeRecipient.read_at.is_(None), 0), else_=1), Org.path,
                                            Member.name, Member.id)
                              .offset((page_no - 1) * per_page).limit(per_page)).all()
    return {"items": [{"member_id": m.id, "name": m.name, "org_name": o.name, "read_at": r.read_at}
                      for r, m, o in rows],
            "total": total, "page": page_no, "per_page": per_page, **stats(actor, notice)}


def withdraw(actor: Member, notice: Notice) -> Notice:
    """Withdraw a notice (it leaves members' lists; receipts stay for the record)."""
    if not scope.holds(actor, "notice.publish", notice.org):
        raise Forbidden("Your role does not allow this here.")
    if notice.withdrawn_at is None:
        notice.withdrawn_at = utcnow()
        db.session.flush()
    return notice
