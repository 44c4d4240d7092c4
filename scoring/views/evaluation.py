"""Page: annual evaluation of an org's members, with the XLSX export."""
from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import get_locale
from flask_login import login_required

from learning.fields import db_int
from learning.services.policy import effective_policy
from learning.timeutil import local_day, utcnow

from ..services import evaluation
from . import bp
from .common import chosen_org


@bp.route("/evaluations")
@login_required
def evaluations():
    """Annual evaluation per member; weights from policy; export one sheet per branch."""
    org, options = chosen_org("evaluation.read")
    if org is None:
        abort(404)
    this_year = local_day(utcnow()).year
    year = request.args.get("year", this_year, type=db_int)
    if not 2000 <= year <= 2100:
        year = this_year
    result = evaluation.evaluate(org, year)
    if request.args.get("format") == "xlsx":
        data = evaluation.export_xlsx(result, chinese=str(get_locale() or "zh")[:2] != "en")
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="evaluation-{org.id}-{year}.xlsx"'})
    rows = sorted(result["members"], key=lambda r: (-(r["score"] if r["score"] is not None else -1), r["name"]))
    return render_template("scoring/evaluations.html", org=org, options=options, year=year, result=result, rows=rows,
                           years=range(this_year, this_year - 5, -1), policy=effective_policy(org))
