"""`flask ledger verify` names entries changed behind the ledger's back (raw SQL tampering)."""
from datetime import datetime, timezone

from sqlalchemy import select, text

from learning.services.records import record
from scoring.models import PointsCheckpoint, PointsEntry
from scoring.services import ledger
from scoring.services.verify import verify_ledger
from tests.conftest import owner_engine
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
    """Tampering as the database's owner would (in the real pass the app's own role may not rewrite the ledger)."""
    db.session.commit()
    with owner_engine().begin() as conn:
        conn.execute(text(sql), params)
    db.session.expire_all()


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


def _truncate(db, member, ids, keep: int):
    """Cut the chain after entry `keep` and rewind the balance row to match: what the balance row alone misses."""
    kept = db.session.scalars(select(PointsEntry).where(PointsEntry.id.in_(ids[:keep]))).all()
    _raw(db, "DELETE FROM points_entry WHERE member_id = :m AND seq > :k", m=member.id, k=keep)
    _raw(db, "UPDATE points_balance SET seq = :k, balance = :b, last_hash = :h WHERE member_id = :m",
         k=keep, b=sum(e.delta for e in kept), h=kept[-1].hash, m=member.id)


def test_verify_detects_a_chain_truncated_together_with_its_balance_row(app, db, default_rules):
    member, ids = _ledger(db, default_rules)
    assert ledger.checkpoint_heads() == 1  # the nightly checkpoint signs #4
    db.session.commit()
    _truncate(db, member, ids, keep=2)
    report = verify_ledger()
    assert [(p.problem, p.member_id) for p in report.problems] == [("truncated", member.id)]
    assert "ends at #2" in report.problems[0].detail and "signed #4" in report.problems[0].detail
    assert "TRUNCATED" in _cli(app).output


def test_verify_detects_a_member_whose_whole_chain_and_balance_row_are_gone(app, db, default_rules):
    member, _ids = _ledger(db, default_rules)
    ledger.checkpoint_heads()
    db.session.commit()
    _raw(db, "DELETE FROM points_entry WHERE member_id = :m", m=member.id)
    _raw(db, "DELETE FROM points_balance WHERE member_id = :m", m=member.id)
    assert [(p.problem, p.member_id) for p in verify_ledger().problems] == [("truncated", member.id)]


def test_a_forged_checkpoint_is_refused(app, db, default_rules):
    member, _ids = _ledger(db, default_rules)
    ledger.checkpoint_heads()
    db.session.commit()
    _raw(db, "UPDATE points_checkpoint SET seq = 9 WHERE member_id = :m", m=member.id)
    report = verify_ledger()
    assert [p.problem for p in report.problems] == ["altered"] and "not signed" in report.problems[0].detail


def test_each_grown_chain_head_is_checkpointed_once_apart_from_the_balance_row(app, db, default_rules):
    member, ids = _ledger(db, default_rules)
    assert ledger.checkpoint_heads() == 1 and ledger.checkpoint_heads() == 0  # an unchanged head is signed once
    record(member, "completed", "lesson", 99, idempotency_key="later", result={"lesson_kind": "article"},
           occurred_at=NOON)
    assert ledger.checkpoint_heads() == 1
    db.session.commit()
    rows = db.session.execute(select(PointsCheckpoint.member_id, PointsCheckpoint.seq)
                              .order_by(PointsCheckpoint.seq)).all()
    assert rows == [(member.id, 4), (member.id, 5)]
    assert verify_ledger().ok
