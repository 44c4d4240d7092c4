"""After the event: learning records for every answer and every result, the results page, the replay
timeline and the XLSX export.

Records are written once, when the host finishes the event (an undone reveal must never leave a
record behind): each answer is `answered` / object_type "arena", each contestant's member gets
`submitted` / "arena" with mode "live_event" and the placing, which the points rules pay out.
Reactions enter a record only where the org's `reactions_in_assessment` policy allows it.
"""
from __future__ import annotations

from sqlalchemy import select

from learning.extensions import db
from learning.models import Member
from learning.services.records import record
from learning.services.spreadsheet import write_rows_xlsx
from learning.timeutil import LOCAL_TZ, as_utc
from quizzes.models import QuestionVersion
from quizzes.services.bank import plain_text
from scoring.policy import reactions_count as org_reactions_count

from ..models import ArenaAnswer, ArenaContestant, ArenaEvent, ArenaScore, ArenaSlot
from .events import contestant_member_ids, event_org
from .live import in_force, public_state, scoreboard


def reactions_count(event: ArenaEvent) -> bool:
    """Whether audience reactions may reach assessment for this event's org (policy, default off)."""
    return org_reactions_count(event_org(event))


def write_records(event: ArenaEvent) -> int:
    """Write the learning records of a finished event (idempotent); returns how many were new."""
    board = {row["id"]: row for row in scoreboard(event)}
    with_reactions = reactions_count(event)
    liked = sorted(board.values(), key=lambda r: (-(r["likes"] - r["boos"]), r["position"]))
    popular = liked[0]["id"] if liked and liked[0]["likes"] else None
    members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(
        {mid for c in db.session.scalars(select(ArenaContestant).where(ArenaContestant.event_id == event.id))
         for mid in contestant_member_ids(c)})))}
    new = 0
    deltas = {a: d for a, d in db.session.execute(select(ArenaScore.answer_id, ArenaScore.delta).where(
        ArenaScore.event_id == event.id, ArenaScore.answer_id.is_not(None), in_force()))}
    for answer, slot in db.session.execute(
            select(ArenaAnswer, ArenaSlot).join(ArenaSlot, ArenaSlot.id == ArenaAnswer.slot_id)
            .where(ArenaAnswer.event_id == event.id, ArenaAnswer.opening == ArenaSlot.opening,
                   ArenaSlot.phase == "revealed")):
        member = members.get(answer.member_id) or db.session.get(Member, answer.member_id)
        new += record(member, "answered", "arena", event.id, object_name=event.title,
                      idempotency_key=f"arena:e{event.id}:answer:{answer.id}", occurred_at=answer.answered_at,
                      result={"mode": "live_event", "success": (answer.fraction or 0) >= 1.0,
                              "score": deltas.get(answer.id, 0), "question_id": slot.question_id,
                              "round": slot.round.kind, "elapsed_ms": answer.elapsed_ms}).created
    for row in board.values():
        contestant = db.session.get(ArenaContestant, row["id"])
        result = {"mode": "live_event", "placing": row["rank"], "score": row["score"], "contestants": len(board),
                  "team": contestant.team_org_id is not None, "disqualified": row["disqualified"],
                  "success": row["rank"] == 1}
        if with_reactions:
            result.update(likes=row["likes"], boos=row["boos"], popularity_award=row["id"] == popular)
        for member_id in contestant_member_ids(contestant):
            new += record(members[member_id], "submitted", "arena", event.id, object_name=event.title,
                          idempotency_key=f"arena:e{event.id}:result:{member_id}", occurred_at=event.finished_at,
                          result=result).created
    return new


def replay(event: ArenaEvent) -> list[dict]:
    """Each question that was played, each answer with its server time, its points and the score after it."""
    base = event.settings.get("base_score", 0)
    names = {c.id: c.name for c in db.session.scalars(select(ArenaContestant)
                                                       .where(ArenaContestant.event_id == event.id))}
    running = {cid: base for cid in names}
    changes = list(db.session.scalars(select(ArenaScore).where(ArenaScore.event_id == event.id, in_force())
                                      .order_by(ArenaScore.at, ArenaScore.id)))
    by_slot: dict[int | None, list[ArenaScore]] = {}
    for change in changes:
        by_slot.setdefault(change.slot_id, []).append(change)
    timeline = []
    for slot in db.session.scalars(select(ArenaSlot).where(ArenaSlot.event_id == event.id, ArenaSlot.opening > 0)
                                   .order_by(ArenaSlot.position)):
        version = db.session.get(QuestionVersion, slot.version_id)
        answers = list(db.session.scalars(select(ArenaAnswer).where(
            ArenaAnswer.slot_id == slot.id, ArenaAnswer.opening == slot.opening).order_by(ArenaAnswer.answered_at)))
        entries, after_of = [], {}
        for change in by_slot.get(slot.id, []):
            running[change.contestant_id] += change.delta
            if change.answer_id is not None:
                after_of[change.answer_id] = (change.delta, running[change.contestant_id])
            else:  # a foul, or a wrong mark for not answering
                entries.append({"kind": change.reason, "contestant": names.get(change.contestant_id),
                                "at": as_utc(change.at), "elapsed_ms": None, "response": None, "correct": None,
                                "delta": change.delta, "score_after": running[change.contestant_id]})
        for answer in answers:
            delta, after = after_of.get(answer.id, (0, running[answer.contestant_id]))
            entries.append({"kind": "answer", "contestant": names.get(answer.contestant_id),
                            "at": as_utc(answer.answered_at), "elapsed_ms": answer.elapsed_ms,
                            "response": answer.response, "correct": (answer.fraction or 0) >= 1.0,
                            "delta": delta, "score_after": after})
        entries.sort(key=lambda e: e["at"])
        timeline.append({"position": slot.position, "round": slot.round.title, "kind": slot.round.kind,
                         "stem": plain_text(version.stem), "answer": version.answer,
                         "opened_at": as_utc(slot.opened_at) if slot.opened_at else None,
                         "stake": slot.stake, "entries": entries})
    return timeline


def results(event: ArenaEvent) -> dict:
    """The final table, the winner, the popularity award and the replay timeline."""
    state = public_state(event)
    return {"event": state["event"], "scoreboard": state["scoreboard"], "winner_id": state.get("winner_id"),
            "popularity_id": state.get("popularity_id"), "reactions_count": reactions_count(event),
            "timeline": replay(event)}


def export_xlsx(event: ArenaEvent) -> bytes:
    """Results and the replay as a workbook (names and answers are written as text, never formulas)."""
    data = results(event)
    standings = [[r["rank"], r["name"], r["score"], r["fouls"], "是" if r["disqualified"] else "", r["likes"], r["boos"]]
                 for r in data["scoreboard"]]
    rows = []
    for item in data["timeline"]:
        for e in item["entries"]:
            rows.append([item["position"] + 1, item["round"], item["stem"], e["contestant"],
                         e["at"].astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if e["at"] else "",
                         e["elapsed_ms"], _text(e["response"]), {True: "对", False: "错"}.get(e["correct"], ""),
                         e["delta"], e["score_after"]])
    return write_rows_xlsx([
        ("成绩", ["名次", "选手", "得分", "犯规", "取消资格", "点赞", "拍砖"], standings),
        ("回放", ["题号", "轮次", "题目", "选手", "服务器时间", "用时(毫秒)", "作答", "判定", "得分变化", "之后得分"], rows),
    ])


def _text(response) -> str:
    if response is None:
        return ""
    if isinstance(response, list):
        return "、".join(str(r) for r in response)
    return str(response)
