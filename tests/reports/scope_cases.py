"""Scope cases of the reports endpoints (see tests/scope.py)."""
import itertools
from datetime import date

from learning.services.records import record
from reports.models import ReportPack
from tests.factories import make_member
from tests.scope import Case

_n = itertools.count(1)
READERS = {"organiser", "reviewer", "admin"}


def _member(ctx):
    member = make_member(ctx.org)
    record(member, "studied", "lesson", 1, idempotency_key=f"rscope-{member.id}", duration_s=60,
           result={"course_id": 1, "features": {"regularity": 0.7, "seeks": 1, "visibility_changes": 0,
                                                 "speed": 1.0, "hour": 20}})
    return {"member_id": member.id, "ids": [member.id]}


def _org(ctx):
    return {"org_id": ctx.org.id, "ids": [ctx.org.id]}


def _pack(ctx):
    pack = ReportPack(org_id=ctx.org.id, period_from=date(2026, 10, 1), period_to=date(2026, 10, 31),
                      status="queued", total=0, done=0)
    ctx.db.session.add(pack)
    ctx.db.session.flush()
    return {"pack_id": pack.id, "ids": [pack.id]}


def _finished_pack(ctx):
    from reports.services.packs import pack_root

    made = _pack(ctx)
    pack = ctx.db.session.get(ReportPack, made["pack_id"])
    name = f"scope-pack-{pack.id}-{next(_n)}.zip"
    (pack_root() / name).write_text("scope")  # text, so the scope table can print the answer
    pack.status, pack.file_path = "done", name
    return made


CASES = [
    Case("GET", "/api/v1/members/{member_id}/report", _member, allowed=READERS),
    Case("GET", "/api/v1/orgs/{org_id}/report", _org, allowed=READERS),
    Case("GET", "/api/v1/orgs/{org_id}/report/members", _org, allowed=READERS),
    Case("GET", "/api/v1/orgs/{org_id}/dashboard", _org, allowed=READERS),
    Case("GET", "/api/v1/orgs/{org_id}/report-packs", _org, allowed=READERS),
    Case("POST", "/api/v1/orgs/{org_id}/report-packs", _org, allowed=READERS,
         json={"from": "2026-10-01", "to": "2026-10-31"}, queued_only=("reports.tasks.build_pack",)),
    Case("GET", "/api/v1/report-packs/{pack_id}", _pack, allowed=READERS),
    Case("GET", "/api/v1/report-packs/{pack_id}/file", _finished_pack, allowed=READERS),
    Case("GET", "/api/v1/orgs/{org_id}/analytics", _org, allowed=READERS),
    Case("POST", "/api/v1/orgs/{org_id}/analytics/train", _org, allowed=READERS),
]
