"""Ledger keys (issue 11 points 2 and 11): each entry records the id of the key that hashed it, so a
key can be rotated and `verify` still checks old entries; the hash input is unambiguous."""
from contextlib import contextmanager

from scoring.models import PointsEntry
from scoring.services import ledger
from scoring.services.ledger import key_id, payload_of
from scoring.services.verify import verify_ledger
from tests.factories import make_member

OLD, NEW = "o" * 40, "n" * 40


@contextmanager
def keys(app, current, retired=""):
    saved = app.config.get("LEDGER_KEY"), app.config.get("LEDGER_OLD_KEYS")
    app.config.update(LEDGER_KEY=current, LEDGER_OLD_KEYS=retired)
    try:
        yield
    finally:
        app.config["LEDGER_KEY"], app.config["LEDGER_OLD_KEYS"] = saved


def _adjust(db, member, admin, n):
    ledger.adjust(member, n, f"调整{n}", actor=admin)
    db.session.commit()


def test_ledger_verifies_across_a_key_rotation(app, db, tree):
    member, admin = make_member(tree.branch1), make_member(tree.branch1, roles=[("admin", tree.committee)])
    with keys(app, OLD):
        _adjust(db, member, admin, 5)
    with keys(app, NEW, retired=OLD):
        _adjust(db, member, admin, 7)
        assert verify_ledger().ok
        ids = [e.key_id for e in db.session.query(PointsEntry).order_by(PointsEntry.seq)]
        assert ids == [key_id(OLD.encode()), key_id(NEW.encode())]


def test_verify_names_entries_whose_key_is_not_configured(app, db, tree):
    member, admin = make_member(tree.branch1), make_member(tree.branch1, roles=[("admin", tree.committee)])
    with keys(app, OLD):
        _adjust(db, member, admin, 5)
    with keys(app, NEW):  # rotated without keeping the old key
        report = verify_ledger()
    assert not report.ok and "not configured" in str(report.problems[0])


def test_a_separator_in_a_reason_cannot_make_two_entries_read_the_same():
    assert payload_of(["a|b", ""]) != payload_of(["a", "b|"])
    assert payload_of(["1", "23"]) != payload_of(["12", "3"])
