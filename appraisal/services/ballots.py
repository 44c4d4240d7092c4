"""The secret ballot (DESIGN §6.5; threat model in docs/appraisal.md).

Casting writes two rows in one transaction: `Voted` (who, no time) and a `SealedBallot`
(AES-GCM under a key derived from the app secret and the campaign's salt; random id, no
time). Nothing is tallied while the phase is open. Closing the phase opens every sealed
ballot, counts whole-ballot patterns into `PhaseTally`, splits each ballot into one `Rating`
per subject, shuffles all ratings with the system's CSPRNG and inserts them in that order in
one transaction (one xmin, physical order random), deletes the sealed rows and writes the
voters' participation records (in shuffled order, all at the close moment). Nothing here logs.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from learning.errors import Conflict, Forbidden, Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services.records import Act, record_many
from learning.timeutil import utcnow

from ..models import BALLOT_PHASES, LEVELS, Campaign, OneTimeLink, PhaseTally, Rating, SealedBallot, Voted, random_id
from .campaigns import branches_below, eligible_people, is_participant

_shuffle = secrets.SystemRandom().shuffle
MAX_COMMENT = 500


class AlreadyVoted(Conflict):
    """A second ballot from the same voter in the same phase."""

    code = "already_voted"


class BallotClosed(Conflict):
    """A ballot outside an open ballot phase."""

    code = "ballot_closed"


def _key(campaign: Campaign) -> bytes:
    if not campaign.seal_salt:  # set when the campaign opens, cleared when its last ballot phase closes
        raise BallotClosed("The ballot box of this campaign is closed.")
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"appraisal-seal:" + campaign.seal_salt.encode(), hashlib.sha256).digest()


def _seal(campaign: Campaign, phase: str, ballot: dict) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(campaign)).encrypt(nonce, json.dumps(ballot, ensure_ascii=False).encode(),
                                            f"{campaign.id}:{phase}".encode())
    return base64.b64encode(nonce + sealed).decode()


def _open(campaign: Campaign, phase: str, sealed: str) -> dict:
    raw = base64.b64decode(sealed)
    return json.loads(AESGCM(_key(campaign)).decrypt(raw[:12], raw[12:], f"{campaign.id}:{phase}".encode()))


def subjects_for(campaign: Campaign, voter: Member | None) -> list[dict]:
    """Whom this voter rates: every other member of the branch (of their group when the campaign
    rates by group), every member for an outside participant, their own branch in a branch campaign."""
    if campaign.kind == "branches":
        from learning.services.scope import membership_org

        home = membership_org(voter) if voter is not None else None
        return [{"id": home.id, "name": home.name}] if home is not None else []
    people = eligible_people(campaign)  # columns only: the ballot is on the hot path
    if voter is not None and campaign.by_group and voter.org.kind == "group":
        people = [p for p in people if p[2] == voter.org_id]
    return [{"id": i, "name": name} for i, name, _org in people if voter is None or i != voter.id]


def _check_ratings(campaign: Campaign, subjects: list[dict], ratings: list[dict]) -> list[dict]:
    expected = {s["id"] for s in subjects}
    given = [r["subject_id"] for r in ratings]
    errors: dict[str, list[str]] = {}
    if len(given) != len(set(given)):
        errors["ratings"] = ["a subject is rated twice"]
    elif set(given) != expected:
        missing, extra = expected - set(given), set(given) - expected
        errors["ratings"] = ([f"missing subjects: {sorted(missing)}"] if missing else []) + \
                            ([f"not yours to rate: {sorted(extra)}"] if extra else [])
    clean = []
    for i, r in enumerate(ratings):
        if r["level"] not in LEVELS:
            errors[f"ratings.{i}.level"] = [f"one of {', '.join(LEVELS)}"]
        criteria = r.get("criteria") or {}
        bad = [k for k, v in criteria.items() if k not in campaign.criteria or v not in LEVELS]
        if bad:
            errors[f"ratings.{i}.criteria"] = [f"unknown criterion or level: {', '.join(map(str, bad))[:200]}"]
        comment = (r.get("comment") or "").strip()
        if len(comment) > MAX_COMMENT:
            errors[f"ratings.{i}.comment"] = [f"at most {MAX_COMMENT} characters"]
        clean.append({"s": r["subject_id"], "l": r["level"], "c": criteria or None, "t": comment or None})
    if errors:
        raise Invalid("The ballot is not valid; nothing was cast.", errors)
    return clean


def _open_phase(campaign: Campaign) -> str:
    if campaign.phase not in BALLOT_PHASES:
        raise BallotClosed("Voting is not open in this campaign now.")
    return campaign.phase


def has_voted(campaign: Campaign, member: Member, phase: str | None = None) -> bool:
    """Whether the member has voted in a (the current) ballot phase."""
    return db.session.get(Voted, (campaign.id, phase or campaign.phase, member.id)) is not None


def cast(campaign: Campaign, voter: Member, ratings: list[dict]) -> None:
    """Cast a member's ballot: once per phase, in the same transaction as the `Voted` row."""
    phase = _open_phase(campaign)
    if not is_participant(campaign, voter):
        raise Forbidden("You are not a voter in this campaign.")
    if has_voted(campaign, voter, phase):
        raise AlreadyVoted("You have already voted in this phase; a ballot cannot be changed.")
    clean = _check_ratings(campaign, subjects_for(campaign, voter), ratings)
    try:
        with db.session.begin_nested():
            db.session.add(Voted(campaign_id=campaign.id, phase=phase, member_id=voter.id))
            db.session.flush()
    except IntegrityError:  # the same voter at the same moment: the unique key lets one through
        raise AlreadyVoted("You have already voted in this phase; a ballot cannot be changed.") from None
    db.session.add(SealedBallot(campaign_id=campaign.id, phase=phase,
                                sealed=_seal(campaign, phase, {"k": "member", "r": clean})))
    db.session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_links(campaign: Campaign, count: int) -> list[str]:
    """One-time links for outside participants (群众代表) in the democratic test; the tokens are
    shown once and only their hashes are kept."""
    if campaign.kind != "members":
        raise Invalid("Outside participants take part in a member appraisal.")
    if campaign.phase not in ("study", "self", "peer", "test"):
        raise Conflict("The democratic test is over.")
    if not 1 <= count <= 200:
        raise Invalid("Between 1 and 200 links at a time.", {"count": ["1..200"]})
    tokens = [secrets.token_urlsafe(24) for _ in range(count)]
    db.session.add_all(OneTimeLink(campaign_id=campaign.id, token_hash=_token_hash(t)) for t in tokens)
    db.session.flush()
    return tokens


def link_campaign(token: str) -> tuple[OneTimeLink, Campaign]:
    """The link and campaign of a one-time token; not found when the token is unknown."""
    link = db.session.scalar(select(OneTimeLink).where(OneTimeLink.token_hash == _token_hash(token or "")))
    if link is None:
        raise NotFound("This link is not valid.")
    return link, db.session.get(Campaign, link.campaign_id)


def cast_by_link(token: str, ratings: list[dict]) -> None:
    """An outside participant's ballot in the democratic test; the link works once."""
    link, campaign = link_campaign(token)
    if link.used:
        raise Conflict("This link has already been used.")
    if campaign.phase != "test":
        raise BallotClosed("The democratic test is not open now.")
    clean = _check_ratings(campaign, subjects_for(campaign, None), ratings)
    used = db.session.execute(update(OneTimeLink).where(OneTimeLink.id == link.id, OneTimeLink.used.is_(False))
                              .values(used=True).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        raise Conflict("This link has already been used.")
    db.session.add(SealedBallot(campaign_id=campaign.id, phase="test",
                                sealed=_seal(campaign, "test", {"k": "outside", "r": clean})))
    db.session.flush()


def close_ballot_phase(campaign: Campaign, phase: str, moment: datetime | None = None) -> PhaseTally:
    """Open, count, split, shuffle and store the phase's ballots; delete the sealed ones; credit the voters."""
    if db.session.get(PhaseTally, (campaign.id, phase)) is not None:
        return db.session.get(PhaseTally, (campaign.id, phase))
    sealed = db.session.scalars(select(SealedBallot).where(SealedBallot.campaign_id == campaign.id,
                                                           SealedBallot.phase == phase)).all()
    ratings: list[dict] = []
    patterns = {"all_excellent": 0, "all_unqualified": 0, "uniform": 0}
    for row in sealed:
        ballot = _open(campaign, phase, row.sealed)
        levels = {r["l"] for r in ballot["r"]}
        if len(ballot["r"]) > 1 and len(levels) == 1:
            patterns["uniform"] += 1
            patterns["all_excellent"] += levels == {"优秀"}
            patterns["all_unqualified"] += levels == {"不合格"}
        for r in ballot["r"]:
            ratings.append({"id": random_id(), "campaign_id": campaign.id, "phase": phase,
                            "subject_type": "branch" if campaign.kind == "branches" else "member",
                            "subject_id": r["s"], "voter_kind": ballot["k"], "level": r["l"],
                            "criteria": r["c"], "comment": r["t"]})
    _shuffle(ratings)
    if ratings:
        db.session.execute(insert(Rating), ratings)
    db.session.execute(delete(SealedBallot).where(SealedBallot.campaign_id == campaign.id,
                                                  SealedBallot.phase == phase))
    tally = PhaseTally(campaign_id=campaign.id, phase=phase, ballots=len(sealed), patterns=patterns)
    db.session.add(tally)
    voters = list(db.session.scalars(select(Voted.member_id).where(Voted.campaign_id == campaign.id,
                                                                   Voted.phase == phase)))
    _shuffle(voters)
    moment = (moment or utcnow()).replace(second=0, microsecond=0)
    members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(voters)))} if voters else {}
    record_many([Act(members[member_id], "voted", "appraisal", campaign.id, object_name=campaign.title,
                     result={"phase": phase}, occurred_at=moment,
                     idempotency_key=f"appraisal:{campaign.id}:{phase}:voted:{member_id}") for member_id in voters])
    if all(db.session.get(PhaseTally, (campaign.id, p)) is not None or p == phase for p in BALLOT_PHASES):
        campaign.seal_salt = None  # the sealing key cannot be derived again
    db.session.flush()
    return tally


def participation(campaign: Campaign, phase: str) -> dict:
    """How many of the eligible have voted in a phase (who voted is not secret; how is)."""
    if campaign.kind == "branches":
        eligible = sum(len(eligible_people(b)) for b in branches_below(db.session.get(Org, campaign.org_id))
                       if b.id != campaign.org_id)
    else:
        eligible = len(eligible_people(campaign))
    voted = db.session.scalar(select(db.func.count()).select_from(Voted).where(
        Voted.campaign_id == campaign.id, Voted.phase == phase))
    outside = 0
    if phase == "test":
        outside = db.session.scalar(select(db.func.count(OneTimeLink.id)).where(
            OneTimeLink.campaign_id == campaign.id, OneTimeLink.used.is_(True)))
    return {"phase": phase, "eligible": eligible, "voted": voted, "outside": outside}
