"""Building a live event: settings with defaults, contestants (members or branch teams), rounds and the
questions of each round drawn from the quizzes bank (by hand or by a pool), and who may see or run it."""
from __future__ import annotations

import random
import secrets
from datetime import datetime

from sqlalchemy import select

from learning.errors import Conflict, Invalid, NotFound
from learning.extensions import db
from learning.fields import DB_INT_MAX
from learning.models import Member, Org
from learning.services import scope
from quizzes.models import Question
from quizzes.services.quizzes import random_candidates, usable_questions

from ..models import (ROUND_KINDS, ArenaContestant, ArenaEvent, ArenaRound, ArenaSlot, ArenaTeamMember)

MAX_ID = DB_INT_MAX  # ids are INTEGER columns (learning.fields)
#: defaults follow common Party knowledge contests (REFERENCE.md "Live competitions")
DEFAULT_SETTINGS = {
    "base_score": 100,
    "required_points": 10, "required_penalty": 0, "required_time_s": 20,
    "buzz_points": 20, "buzz_penalty": 20, "buzz_time_s": 15,
    "foul_penalty": 10, "fouls_to_disqualify": 3,
    "risk_stakes": [20, 30, 40], "risk_time_s": 30,
    "speed_points": 20, "speed_time_s": 15,
    "knockout_points": 20, "knockout_time_s": 15,
    "reactions_per_minute": 30,
}
_RANGES = {"base_score": (0, 10000), "foul_penalty": (0, 1000), "fouls_to_disqualify": (1, 20),
           "reactions_per_minute": (1, 600)}
for _kind in ROUND_KINDS:
    _RANGES[f"{_kind}_time_s"] = (3, 600)
    if _kind != "risk":
        _RANGES[f"{_kind}_points"] = (0, 1000)
_RANGES.update(required_penalty=(0, 1000), buzz_penalty=(0, 1000))
ROUND_TITLES = {"required": "必答题", "buzz": "抢答题", "risk": "风险题", "speed": "速答题", "knockout": "擂台赛"}
MAX_CONTESTANTS = 500
MAX_SLOTS = 200


def clean_settings(data: dict | None) -> dict:
    """The settings with defaults filled in, or Invalid naming each bad key."""
    data = data or {}
    if not isinstance(data, dict):
        raise Invalid("Settings must be an object.", {"settings": ["not_an_object"]})
    errors: dict[str, list[str]] = {}
    merged = dict(DEFAULT_SETTINGS)
    for key, value in data.items():
        if key not in DEFAULT_SETTINGS:
            errors[key] = ["unknown setting"]
        elif key == "risk_stakes":
            if (not isinstance(value, list) or not 1 <= len(value) <= 5 or len(set(value)) != len(value)
                    or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1000 for v in value)):
                errors[key] = ["one to five different whole numbers from 1 to 1000"]
            else:
                merged[key] = sorted(value)
        else:
            low, high = _RANGES[key]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                errors[key] = [f"a whole number from {low} to {high}"]
            else:
                merged[key] = value
    if errors:
        raise Invalid("Some settings are not valid.", {"settings": errors})
    return merged


def round_points(event: ArenaEvent, rnd: ArenaRound) -> int:
    """Points for a correct answer in this round (risk rounds use the stake instead)."""
    return rnd.points if rnd.points is not None else event.settings.get(f"{rnd.kind}_points", 0)


def round_limit_s(event: ArenaEvent, rnd: ArenaRound) -> int:
    """Seconds to answer in this round (for buzz-in: after winning the buzz)."""
    return rnd.time_limit_s or event.settings[f"{rnd.kind}_time_s"]


# --- who may see and run an event ------------------------------------------------------------------

def can_host(actor: Member, event: ArenaEvent) -> bool:
    """Whether the actor may build and run this event."""
    return scope.holds(actor, "arena.host", event_org(event))


def event_org(event: ArenaEvent) -> Org:
    """The org the event belongs to."""
    return db.session.get(Org, event.org_id)


def can_watch(actor: Member, event: ArenaEvent) -> bool:
    """Members below the event's org, contestants, and holders of arena.watch at its org see it."""
    org = event_org(event)
    if scope.holds(actor, "arena.watch", org) or contestant_of(event, actor) is not None:
        return True
    home = scope.membership_org(actor)
    return home is not None and home.path.startswith(org.path)


def require_event(actor: Member, event_id: int, *, host: bool = False) -> ArenaEvent:
    """The event if the actor may see it (and run it, with host=True); 404 outside scope, 403 in scope."""
    event = db.session.get(ArenaEvent, event_id) if 0 < event_id <= MAX_ID else None
    if event is None or not can_watch(actor, event):
        raise NotFound("Arena event not found.")
    if host and not can_host(actor, event):
        from learning.errors import Forbidden

        raise Forbidden("Only a host of this event may do this.")
    return event


def contestant_of(event: ArenaEvent, member: Member) -> ArenaContestant | None:
    """The contestant the member plays as in this event (self, or their team), if any."""
    found = db.session.scalar(select(ArenaContestant).where(ArenaContestant.event_id == event.id,
                                                            ArenaContestant.member_id == member.id))
    if found is not None:
        return found
    return db.session.scalar(select(ArenaContestant).join(ArenaTeamMember,
                                                          ArenaTeamMember.contestant_id == ArenaContestant.id)
                             .where(ArenaTeamMember.event_id == event.id, ArenaTeamMember.member_id == member.id))


def contestant_member_ids(contestant: ArenaContestant) -> list[int]:
    """The members who play as this contestant."""
    if contestant.member_id is not None:
        return [contestant.member_id]
    return [t.member_id for t in contestant.team]


def events_for(actor: Member, *, status: str | None = None) -> list[ArenaEvent]:
    """Events the actor may see, newest first."""
    home = scope.membership_org(actor)
    clauses = [scope.org_clause(actor, "arena.watch")]
    if home is not None:
        clauses.append(Org.id.in_(home.ancestor_ids))
    from sqlalchemy import or_

    stmt = (select(ArenaEvent).join(Org, Org.id == ArenaEvent.org_id).where(or_(*clauses))
            .order_by(ArenaEvent.id.desc()).limit(200))
    if status:
        stmt = stmt.where(ArenaEvent.status == status)
    events = list(db.session.scalars(stmt))
    mine = db.session.scalars(select(ArenaEvent).join(ArenaContestant, ArenaContestant.event_id == ArenaEvent.id)
                              .where(ArenaContestant.member_id == actor.id))
    seen = {e.id for e in events}
    events += [e for e in mine if e.id not in seen and (status is None or e.status == status)]
    return sorted(events, key=lambda e: -e.id)


# --- building ---------------------------------------------------------------------------------------

def create_event(actor: Member, data: dict) -> ArenaEvent:
    """Create an event with its contestants and rounds in one go (draft until the host starts it)."""
    org_id = data["org_id"]
    org = scope.require_org(actor, org_id, "arena.host") if 0 < org_id <= MAX_ID else None
    if org is None:
        raise NotFound("Organisation not found.")
    settings = clean_settings(data.get("settings"))
    scheduled_at: datetime | None = data.get("scheduled_at")
    if scheduled_at is not None and not 2000 <= scheduled_at.year <= 2100:
        raise Invalid("The start time is out of range.", {"scheduled_at": ["out_of_range"]})
    event = ArenaEvent(org_id=org.id, title=data["title"].strip(), settings=settings,
                       team_mode=bool(data.get("team_org_ids")), allow_guests=bool(data.get("allow_guests")),
                       scheduled_at=scheduled_at, host_id=actor.id)
    if not event.title:
        raise Invalid("A title is needed.", {"title": ["empty"]})
    if event.allow_guests:
        event.guest_token = secrets.token_urlsafe(18)
    db.session.add(event)
    db.session.flush()
    contestants = _add_contestants(event, org, data.get("member_ids") or [], data.get("team_org_ids") or [])
    _add_rounds(event, org, contestants, data.get("rounds") or [], seed=data.get("seed"))
    return event


def _add_contestants(event: ArenaEvent, org: Org, member_ids: list[int], team_org_ids: list[int]):
    if bool(member_ids) == bool(team_org_ids):
        raise Invalid("Give either member_ids (individuals) or team_org_ids (branch teams).",
                      {"contestants": ["one_kind"]})
    ids = member_ids or team_org_ids
    if len(set(ids)) != len(ids):
        raise Invalid("A contestant appears twice.", {"contestants": ["duplicate"]})
    if not 2 <= len(ids) <= MAX_CONTESTANTS:
        raise Invalid(f"An event has 2 to {MAX_CONTESTANTS} contestants.", {"contestants": ["count"]})
    if any(not 0 < i <= MAX_ID for i in ids):
        raise Invalid("An id is out of range.", {"contestants": ["out_of_range"]})
    contestants = []
    if member_ids:
        found = {m.id: m for m in db.session.scalars(select(Member).join(Org, Org.id == Member.org_id).where(
            Member.id.in_(ids), Member.status == "active", Org.path.startswith(org.path, autoescape=True)))}
        missing = [i for i in ids if i not in found]
        if missing:
            raise Invalid("Contestants must be active members of the event's organisation.",
                          {"member_ids": [f"not found: {missing[:10]}"]})
        for pos, member_id in enumerate(ids):
            contestants.append(ArenaContestant(event_id=event.id, position=pos, name=found[member_id].name,
                                               member_id=member_id))
    else:
        found = {o.id: o for o in db.session.scalars(select(Org).where(
            Org.id.in_(ids), Org.path.startswith(org.path, autoescape=True)))}
        missing = [i for i in ids if i not in found]
        if missing:
            raise Invalid("Teams must be organisations under the event's organisation.",
                          {"team_org_ids": [f"not found: {missing[:10]}"]})
        for pos, team_org_id in enumerate(ids):
            team = ArenaContestant(event_id=event.id, position=pos, name=found[team_org_id].name,
                                   team_org_id=team_org_id)
            contestants.append(team)
    db.session.add_all(contestants)
    db.session.flush()
    if team_org_ids:
        for team in contestants:
            sub = db.session.get(Org, team.team_org_id)
            members = db.session.scalars(select(Member.id).join(Org, Org.id == Member.org_id).where(
                Org.path.startswith(sub.path, autoescape=True), Member.status == "active"))
            db.session.add_all(ArenaTeamMember(contestant_id=team.id, member_id=m, event_id=event.id) for m in members)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except Exception:
            raise Invalid("Teams overlap: a member would play for two teams.", {"team_org_ids": ["overlap"]}) from None
    return contestants


def _pick(org: Org, spec: dict, count: int, rng: random.Random, taken: set[int]) -> list[int]:
    ids = spec.get("question_ids")
    if ids is not None:
        if (not isinstance(ids, list) or not all(isinstance(i, int) and 0 < i <= MAX_ID for i in ids)
                or len(set(ids)) != len(ids)):
            raise Invalid("question_ids lists different question ids.", {"rounds": ["question_ids"]})
        found = set(db.session.scalars(usable_questions(org).where(Question.id.in_(ids))))
        missing = [i for i in ids if i not in found]
        if missing:
            raise Invalid("Questions not in this organisation's bank.", {"rounds": [f"missing: {missing[:10]}"]})
        return ids
    pool = {k: spec.get(k) or [] for k in ("knowledge_points", "difficulty", "types")}
    pool["types"] = pool["types"] or ["single_choice", "multiple_choice", "true_false", "fill_blank"]
    candidates = [i for i in db.session.scalars(random_candidates(org, pool)) if i not in taken]
    if len(candidates) < count:
        raise Invalid(f"Only {len(candidates)} questions match, {count} are needed.", {"rounds": ["pool_too_small"]})
    return rng.sample(candidates, count)


def _add_rounds(event: ArenaEvent, org: Org, contestants: list, specs: list[dict], seed=None) -> None:
    if not specs:
        raise Invalid("An event needs at least one round.", {"rounds": ["empty"]})
    rng = random.Random(seed)
    taken: set[int] = set()
    position = 0
    for number, spec in enumerate(specs):
        kind = spec.get("kind")
        if kind not in ROUND_KINDS:
            raise Invalid(f"Round {number + 1}: kind is one of {', '.join(ROUND_KINDS)}.", {"rounds": ["kind"]})
        per_contestant = kind in ("required", "risk")
        count = spec.get("count") or (len(contestants) if per_contestant else 3)
        if not isinstance(count, int) or not 1 <= count <= MAX_SLOTS:
            raise Invalid("count is a whole number from 1 to 200.", {"rounds": ["count"]})
        ids = _pick(org, spec, count, rng, taken)
        if per_contestant and len(ids) % len(contestants):
            raise Invalid(f"Round {number + 1}: each contestant gets its own question, so the number of "
                          f"questions must be a multiple of {len(contestants)}.", {"rounds": ["per_contestant"]})
        taken.update(ids)
        for key in ("points", "time_limit_s"):
            value = spec.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000):
                raise Invalid(f"Round {number + 1}: {key} is a whole number from 0 to 1000.", {"rounds": [key]})
        rnd = ArenaRound(event_id=event.id, position=number, kind=kind, points=spec.get("points"),
                         time_limit_s=spec.get("time_limit_s") or None,
                         title=(spec.get("title") or ROUND_TITLES[kind])[:100])
        db.session.add(rnd)
        db.session.flush()
        questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
        for i, qid in enumerate(ids):
            target = contestants[i % len(contestants)].id if per_contestant else None
            db.session.add(ArenaSlot(event_id=event.id, round_id=rnd.id, position=position, question_id=qid,
                                     version_id=questions[qid].current_version_id, target_id=target))
            position += 1
        if position > MAX_SLOTS:
            raise Invalid(f"An event has at most {MAX_SLOTS} questions.", {"rounds": ["too_many"]})
    db.session.flush()


def slots_of(event: ArenaEvent) -> list[ArenaSlot]:
    """The event's questions in running order."""
    return list(db.session.scalars(select(ArenaSlot).where(ArenaSlot.event_id == event.id)
                                   .order_by(ArenaSlot.position)))


def current_slot(event: ArenaEvent) -> ArenaSlot | None:
    """The slot the cursor points at, if the event has started."""
    if event.cursor < 0:
        return None
    return db.session.scalar(select(ArenaSlot).where(ArenaSlot.event_id == event.id,
                                                     ArenaSlot.position == event.cursor))


def pass_available(slot: ArenaSlot) -> bool:
    """擂台: whether the champion of this open knockout question may still pass it: once per round, and only
    while a later question of the round is left for the duel to move to."""
    if slot.round.kind != "knockout" or slot.defender_id is None or slot.passed_by_id is not None:
        return False
    used = db.session.scalar(select(ArenaSlot.id).where(ArenaSlot.round_id == slot.round_id,
                                                        ArenaSlot.passed_by_id == slot.defender_id).limit(1))
    later = db.session.scalar(select(ArenaSlot.id).where(ArenaSlot.round_id == slot.round_id,
                                                         ArenaSlot.position > slot.position).limit(1))
    return used is None and later is not None


def require_draft(event: ArenaEvent) -> None:
    """Refuse changes to an event once it has started."""
    if event.status != "draft":
        raise Conflict("The event has already started.")
