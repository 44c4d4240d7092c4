"""整改事项: problems found become items with an owner, a deadline and progress notes; they close only
with evidence; overdue items remind their owner."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from learning.errors import Conflict, Forbidden, Invalid
from learning.extensions import db
from learning.models import Member, Notification, Org
from learning.services import scope
from learning.timeutil import local_day, utcnow

from ..models import PHASES, Campaign, Rectification, RectificationNote
from .campaigns import branches_below


def create_item(campaign: Campaign, by: Member, *, title: str, owner_id: int, deadline: date,
                org_id: int | None = None) -> Rectification:
    """A rectification item of the campaign's branch (or of one branch in a branch campaign)."""
    if PHASES.index(campaign.phase) < PHASES.index("determination"):
        raise Conflict("Rectification items follow the ballots.")
    org = db.session.get(Org, campaign.org_id)
    target = org
    if campaign.kind == "branches":
        target = next((b for b in branches_below(org) if b.id == org_id and b.id != org.id), None)
        if target is None:
            raise Invalid("Name one of the campaign's branches.", {"org_id": ["unknown"]})
    errors = {}
    if not (title or "").strip():
        errors["title"] = ["required"]
    owner = db.session.get(Member, owner_id)
    if owner is None or owner.status != "active" or not owner.org.path.startswith(target.path):
        errors["owner_id"] = ["the owner must be a member of the branch"]
    if not campaign.year <= deadline.year <= campaign.year + 2:
        errors["deadline"] = ["within two years of the campaign"]
    if errors:
        raise Invalid("The rectification item is not valid.", errors)
    item = Rectification(campaign_id=campaign.id, org_id=target.id, title=title.strip()[:200], owner_id=owner.id,
                         deadline=deadline, created_by_id=by.id)
    db.session.add(item)
    db.session.flush()
    return item


def can_manage(actor: Member, item: Rectification) -> bool:
    """Organisers of the item's branch (or above) manage it."""
    return scope.holds(actor, "appraisal.manage", db.session.get(Org, item.org_id))


def add_note(item: Rectification, by: Member, text: str) -> RectificationNote:
    """A progress note by the owner or a manager."""
    if by.id != item.owner_id and not can_manage(by, item):
        raise Forbidden("Only the owner or the branch records progress.")
    if item.status != "open":
        raise Conflict("This item is closed.")
    if not (text or "").strip():
        raise Invalid("Write the note.", {"text": ["required"]})
    note = RectificationNote(item_id=item.id, author_id=by.id, text=text.strip())
    db.session.add(note)
    db.session.flush()
    return note


def close_item(item: Rectification, by: Member, evidence: str) -> Rectification:
    """Close an item; evidence (what was done, where it shows) is required. The owner reports
    progress and evidence in notes; the branch or the committee above closes, never the owner."""
    scope.refuse_own_benefit(by, item.owner_id, "Nobody closes their own rectification item.")
    if not can_manage(by, item):
        raise Forbidden("Only the branch or the committee above closes this item.")
    if item.status != "open":
        raise Conflict("This item is already closed.")
    if len((evidence or "").strip()) < 4:
        raise Invalid("An item closes only with evidence.", {"evidence": ["required"]})
    item.status, item.evidence, item.closed_at = "closed", evidence.strip(), utcnow()
    db.session.flush()
    return item


def is_overdue(item: Rectification, today: date | None = None) -> bool:
    """Open and past its deadline (Asia/Shanghai day)."""
    return item.status == "open" and item.deadline < (today or local_day(utcnow()))


def items_of(campaign: Campaign, viewer: Member | None = None) -> list[dict]:
    """The campaign's items, oldest deadline first, with owner and branch names, overdue marked and
    notes counted; only the viewer's own items when a viewer is given."""
    query = (select(Rectification, Member.name, Org.name)
             .join(Member, Member.id == Rectification.owner_id).join(Org, Org.id == Rectification.org_id)
             .where(Rectification.campaign_id == campaign.id)
             .order_by(Org.path, Rectification.status.desc(), Rectification.deadline, Rectification.id))
    if viewer is not None:
        query = query.where(Rectification.owner_id == viewer.id)
    rows = db.session.execute(query).all()
    counts = dict(db.session.execute(
        select(RectificationNote.item_id, func.count()).where(RectificationNote.item_id.in_([r[0].id for r in rows]))
        .group_by(RectificationNote.item_id)).all()) if rows else {}
    today = local_day(utcnow())
    return [{"item": item, "owner": owner, "branch": branch, "overdue": is_overdue(item, today),
             "notes": counts.get(item.id, 0)} for item, owner, branch in rows]


def notes(item: Rectification) -> list[RectificationNote]:
    """The item's notes, oldest first."""
    return list(db.session.scalars(select(RectificationNote).where(RectificationNote.item_id == item.id)
                                   .order_by(RectificationNote.created_at, RectificationNote.id)))


def remind_overdue(today: date | None = None) -> int:
    """One in-app reminder per overdue open item and day; returns how many were sent."""
    today = today or local_day(utcnow())
    sent = 0
    for item in db.session.scalars(select(Rectification).where(Rectification.status == "open",
                                                               Rectification.deadline < today)):
        key = f"appraisal-rectification:{item.id}:{today.isoformat()}"
        try:
            with db.session.begin_nested():
                db.session.add(Notification(member_id=item.owner_id, kind="rectification_overdue",
                                            title=f"整改事项已逾期：{item.title}"[:200],
                                            body=f"整改期限：{item.deadline.isoformat()}",
                                            link=f"/appraisal/rectifications/{item.id}", dedupe_key=key))
            item.reminded_on = today
            sent += 1
        except IntegrityError:  # reminded already today (by another worker): the dedupe key holds
            continue
    db.session.flush()
    return sent


def progress(org: Org) -> list[dict]:
    """Per branch of a subtree: open, overdue and closed items."""
    today = local_day(utcnow())
    rows = db.session.execute(
        select(Rectification.org_id, Rectification.status, Rectification.deadline, func.count())
        .join(Org, Org.id == Rectification.org_id).where(Org.path.startswith(org.path, autoescape=True))
        .group_by(Rectification.org_id, Rectification.status, Rectification.deadline)).all()
    out: dict[int, dict] = {}
    for org_id, status, deadline, n in rows:
        late = deadline < today
        entry = out.setdefault(org_id, {"org_id": org_id, "open": 0, "overdue": 0, "closed": 0})
        if status == "closed":
            entry["closed"] += n
        else:
            entry["open"] += n
            entry["overdue"] += n if late else 0
    names = dict(db.session.execute(select(Org.id, Org.name).where(Org.id.in_(out))).all()) if out else {}
    return [dict(v, name=names.get(k, "")) for k, v in sorted(out.items())]
