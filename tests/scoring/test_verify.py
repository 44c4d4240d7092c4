"""`flask ledger verify` names entries changed behind the ledger's back (raw SQL tampering)."""
from datetime import datetime, timezone

from sqlalchemy import select, text

from learning.services.records import record
from scoring.models import PointsEntry
from scoring.services import ledger
from scoring.services.verify import verify_ledger
from tests.factories import make_member

NOON = datetime(2026, 11, 18, 4, 0, tzinfo=timezone.utc)


def _ledger(db, tree, n=4):
    member = make_member(tree.branch1)
    for i in range(n):
        record(member, "completed", "lesson", i, idempotency_key=f"v-{member.id}-{i}",
               result={"lesson_kind": "article"}, occurred_at=NOON)
    db.session.commit()
    ids = db.session.scalars(select(PointsEntry.id).where(PointsEntry.member_id == member.id)
                             .order_by(PointsEntry.seq)).all()
    return member, ids


def _raw(db, sql, **params):
    db.session.execute(text(sql), params)
    db.session.commit()


def _cli(app):
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


def test_an_intact_ledger_verifies(app, db, default_rules):
    _ledger(db, default_rules)
    result = _cli(app)
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_verify_names_an_altered_entry(app, db, default_rules):
    _member, ids = _ledger(db, default_rules)
    _raw(db, "UPDATE points_entry SET delta = 50 WHERE id = :id", id=ids[1])
    result = _cli(app)
    assert result.exit_code == 1
    assert f"ALTERED: entry {ids[1]} " in result.output
    assert "BALANCE" in result.output


def test_verify_names_a_deleted_entry_and_where_it_was(app, db, default_rules):
    member, ids = _ledger(db, default_rules)
    _raw(db, "DELETE FROM points_entry WHERE id = :id", id=ids[1])
    report = verify_ledger()
    (deleted,) = [p for p in report.problems if p.problem == "deleted"]
    assert (deleted.member_id, deleted.entry_id) == (member.id, ids[2])
    assert "#2 before it are missing" in deleted.detail and f"after entry {ids[0]}" in deleted.detail


def test_verify_names_deleted_entries_at_the_end_of_a_chain(app, db, default_rules):
    member, ids = _ledger(db, default_rules)
    _raw(db, "DELETE FROM points_entry WHERE id = :id", id=ids[-1])
    result = _cli(app)
    assert f"DELETED: member {member.id}: the last entries #4 are missing (after entry {ids[2]})" in result.output


def test_verify_names_an_inserted_entry(app, db, default_rules):
    member, ids = _ledger(db, default_rules)
    _raw(db, "INSERT INTO points_entry (member_id, org_id, seq, kind, rule_code, delta, idempotency_key, "
             "occurred_at, created_at, prev_hash, hash) SELECT member_id, org_id, 5, kind, rule_code, 100, 'forged', "
             "occurred_at, created_at, hash, 'f00d' FROM points_entry WHERE id = :id", id=ids[-1])
    forged = db.session.scalar(select(PointsEntry.id).where(PointsEntry.idempotency_key == "forged"))
    report = verify_ledger()
    assert [(p.problem, p.entry_id) for p in report.problems] == [("inserted", forged)]


def test_verify_detects_a_reordered_chain(app, db, default_rules):
    member, ids = _ledger(db, default_rules)
    _raw(db, "UPDATE points_entry SET seq = seq + 10 WHERE id = :id", id=ids[0])
    report = verify_ledger()
    assert not report.ok
    assert any(p.entry_id == ids[0] for p in report.problems)


def test_verify_detects_a_changed_balance(app, db, default_rules):
    member, _ids = _ledger(db, default_rules)
    _raw(db, "UPDATE points_balance SET balance = balance + 10 WHERE member_id = :m", m=member.id)
    report = verify_ledger()
    assert [(p.problem, p.member_id) for p in report.problems] == [("balance", member.id)]


def test_reversals_and_adjustments_keep_the_chain_valid(app, db, default_rules):
    member, ids = _ledger(db, default_rules)
    organiser = make_member(default_rules.branch1, roles=[("organiser", default_rules.branch1)])
    ledger.reverse_entry(db.session.get(PointsEntry, ids[0]), reason="更正", actor=organiser)
    ledger.adjust(member, 3, "线下学习补录", actor=organiser)
    db.session.commit()
    assert verify_ledger().ok
