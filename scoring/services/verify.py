"""`flask ledger verify`: recompute every member's hash chain and name what was changed
behind the ledger's back (altered, inserted or deleted entries, or a moved balance)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from learning.extensions import db

from ..models import PointsBalance, PointsCheckpoint
from .ledger import (GENESIS, PAYLOAD_FIELDS, checkpoint_signature, entry_hash, key_id, ledger_key, ledger_keys,
                     payload_of)

COLUMNS = ("id",) + PAYLOAD_FIELDS + ("prev_hash", "hash", "key_id")


@dataclass
class Problem:
    """One finding: which member's chain, which entry (id, or the missing sequence numbers), what."""

    member_id: int
    problem: str  # altered | inserted | deleted | balance | truncated
    entry_id: int | None = None
    seq: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = f"entry {self.entry_id} (member {self.member_id}, #{self.seq})" if self.entry_id \
            else f"member {self.member_id}"
        return f"{self.problem.upper()}: {where}: {self.detail}"


@dataclass
class Report:
    """The outcome of a verification."""

    entries: int
    members: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


class _Chain:
    def __init__(self, member_id, anchor, checkpoint=None):
        self.member_id = member_id
        self.anchor = anchor  # (balance, seq, last_hash) or None
        self.checkpoint = checkpoint  # the latest signed checkpoint (day, seq, hash) or None
        self.checkpoint_hash = None  # the hash of the entry the checkpoint names, once seen
        self.expected_seq = 1
        self.prev_hash = GENESIS
        self.prev_id = None
        self.total = 0
        self.last_hash = GENESIS
        self.last_seq = 0


def verify_ledger(member_ids: list[int] | None = None, batch: int = 20000) -> Report:
    """Check every chain (or the given members'); an empty problem list means the ledger is intact."""
    keys = ledger_keys()
    keys[None] = keys[key_id(ledger_key())]  # entries written in bulk without a key id: the current key
    anchors_q = select(PointsBalance.member_id, PointsBalance.balance, PointsBalance.seq, PointsBalance.last_hash)
    if member_ids is not None:
        anchors_q = anchors_q.where(PointsBalance.member_id.in_(member_ids))
    anchors = {m: (b, s, h) for m, b, s, h in db.session.execute(anchors_q)}
    problems: list[Problem] = []
    checkpoints = _checkpoints(member_ids, keys, problems)
    chain: _Chain | None = None
    count = members = 0
    for row in _stream(member_ids, batch):
        count += 1
        if chain is None or chain.member_id != row[1]:
            if chain is not None:
                _close(chain, problems)
            chain = _Chain(row[1], anchors.pop(row[1], None), checkpoints.pop(row[1], None))
            members += 1
        _check(chain, row, keys, problems)
    if chain is not None:
        _close(chain, problems)
    for member_id, (day, seq, _h) in checkpoints.items():  # a member whose whole chain is gone
        problems.append(Problem(member_id, "truncated", detail=f"no entries, but the checkpoint of {day} "
                                                              f"signed entry #{seq}"))
    for member_id, (balance, seq, _h) in anchors.items():
        if seq:
            problems.append(Problem(member_id, "deleted", detail=f"entries #1–#{seq} are missing"))
        elif balance:
            problems.append(Problem(member_id, "balance", detail=f"balance {balance} with no entries"))
    return Report(count, members, problems)


def _checkpoints(member_ids: list[int] | None, keys: dict, problems: list[Problem]) -> dict[int, tuple]:
    """The latest checkpoint of each member whose signature holds; a forged one is a problem itself."""
    q = select(PointsCheckpoint).order_by(PointsCheckpoint.member_id, PointsCheckpoint.seq)
    if member_ids is not None:
        q = q.where(PointsCheckpoint.member_id.in_(member_ids))
    latest: dict[int, tuple] = {}
    for cp in db.session.scalars(q):
        key = keys.get(cp.key_id)
        if key is None or checkpoint_signature(key, cp.member_id, cp.day, cp.seq, cp.hash) != cp.signature:
            problems.append(Problem(cp.member_id, "altered", detail=f"the checkpoint of {cp.day} is not signed "
                                                                   "by a configured ledger key"))
            continue
        latest[cp.member_id] = (cp.day, cp.seq, cp.hash)
    return latest


def _stream(member_ids: list[int] | None, batch: int):
    """Entries as plain tuples in chain order, times as canonical text, straight from the driver.

    Skipping ORM/type processing matters at a million rows; the text of a timestamp is the
    same one the writer hashed (`YYYY-MM-DDTHH:MM:SS.ffffff`, UTC).
    """
    sql = f"SELECT {', '.join(COLUMNS)} FROM points_entry"
    params: tuple = ()
    if member_ids is not None:
        sql += f" WHERE member_id IN ({', '.join(str(int(m)) for m in member_ids)})"
    sql += " ORDER BY member_id, seq, id"
    raw = db.session.connection().connection.driver_connection
    postgres = db.session.get_bind().dialect.name == "postgresql"
    cursor = raw.cursor(name="ledger_verify") if postgres else raw.cursor()
    if postgres:
        cursor.itersize = batch
    try:
        cursor.execute(sql, params)
        occurred, created = 13, 14
        for row in cursor:
            row = list(row)
            row[occurred], row[created] = _text(row[occurred]), _text(row[created])
            yield row
    finally:
        cursor.close()


def _text(moment) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):  # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff"
        return moment.replace(" ", "T") if "." in moment else moment.replace(" ", "T") + ".000000"
    return moment.isoformat(sep="T", timespec="microseconds")


ID, MEMBER, SEQ, DELTA, PREV, HASH, KEY = 0, 1, 3, 7, 15, 16, 17


def _check(chain: _Chain, row, keys: dict, problems: list[Problem]) -> None:
    key = keys.get(row[KEY])
    if key is None:  # hashed with a retired key that is no longer configured
        problems.append(Problem(row[MEMBER], "altered", row[ID], row[SEQ],
                                f"hashed with ledger key {row[KEY]}, which is not configured (LEDGER_OLD_KEYS)"))
        chain.expected_seq, chain.prev_hash, chain.prev_id = row[SEQ] + 1, row[HASH], row[ID]
        chain.total += row[DELTA]
        chain.last_hash, chain.last_seq = row[HASH], row[SEQ]
        return
    own_ok = entry_hash(key, row[PREV], payload_of(row[1:15])) == row[HASH]
    anchor_seq = chain.anchor[1] if chain.anchor else 0
    if not own_ok:
        if row[SEQ] > anchor_seq or row[SEQ] < chain.expected_seq:
            problems.append(Problem(row[MEMBER], "inserted", row[ID], row[SEQ],
                                    "not part of the chain the ledger wrote"))
            return  # keep verifying the rest against the real chain
        problems.append(Problem(row[MEMBER], "altered", row[ID], row[SEQ],
                                "its content no longer matches its hash"))
    elif row[SEQ] > chain.expected_seq:
        missing = f"#{chain.expected_seq}" if row[SEQ] == chain.expected_seq + 1 \
            else f"#{chain.expected_seq}–#{row[SEQ] - 1}"
        problems.append(Problem(row[MEMBER], "deleted", row[ID], row[SEQ],
                                f"entries {missing} before it are missing (after entry {chain.prev_id})"))
    elif row[PREV] != chain.prev_hash:
        problems.append(Problem(row[MEMBER], "altered", row[ID], row[SEQ],
                                "its link to the previous entry was changed"))
    if chain.checkpoint is not None and row[SEQ] == chain.checkpoint[1]:
        chain.checkpoint_hash = row[HASH]
    chain.expected_seq = row[SEQ] + 1
    chain.prev_hash = row[HASH]
    chain.prev_id = row[ID]
    chain.total += row[DELTA]
    chain.last_hash, chain.last_seq = row[HASH], row[SEQ]


def _close(chain: _Chain, problems: list[Problem]) -> None:
    if chain.checkpoint is not None:
        day, seq, signed = chain.checkpoint
        if chain.last_seq < seq:
            problems.append(Problem(chain.member_id, "truncated", detail=f"the chain ends at #{chain.last_seq}, "
                                                                        f"but the checkpoint of {day} signed #{seq}"))
        elif chain.checkpoint_hash != signed:
            problems.append(Problem(chain.member_id, "altered", detail=f"entry #{seq} is not the one the "
                                                                      f"checkpoint of {day} signed"))
    if chain.anchor is None:
        problems.append(Problem(chain.member_id, "inserted", detail="entries exist but the member has no balance row"))
        return
    balance, seq, last_hash = chain.anchor
    if chain.last_seq < seq:
        missing = f"#{seq}" if chain.last_seq + 1 == seq else f"#{chain.last_seq + 1}–#{seq}"
        problems.append(Problem(chain.member_id, "deleted",
                                detail=f"the last entries {missing} are missing (after entry {chain.prev_id})"))
    elif chain.last_hash != last_hash and chain.last_seq == seq:
        problems.append(Problem(chain.member_id, "altered", chain.prev_id, chain.last_seq,
                                "the chain head differs from the balance row"))
    if balance != chain.total:
        problems.append(Problem(chain.member_id, "balance",
                                detail=f"balance row says {balance}, entries add up to {chain.total}"))
