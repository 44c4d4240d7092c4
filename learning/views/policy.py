"""The policy page of an org: values in force, where each is inherited from, and editing them."""
from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..errors import DomainError
from ..extensions import db
from ..forms import PolicyForm
from ..models import Org
from ..services import orgs as org_service, policy as policy_service, scope
from . import bp
from .common import error_text, me
from .labels import WEIGHT, label

INHERIT = ""


def _kind(spec) -> str:
    """How the page edits a value: a yes/no choice, a list of choices, a number, or JSON."""
    if spec.choices:
        return "choice"
    if isinstance(spec.default, bool):
        return "bool"
    if isinstance(spec.default, (int, float)):
        return "number"
    return "json"


def _shown(value) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return " · ".join(f"{label(WEIGHT, k)} {v:g}" for k, v in value.items())
    return str(value)


def _parse(spec, raw: str):
    """A submitted text as the value's type; ValueError when it cannot be one."""
    kind = _kind(spec)
    if kind == "bool":
        if raw not in ("true", "false"):
            raise ValueError
        return raw == "true"
    if kind == "choice":
        return raw
    if kind == "number":
        number = float(raw.replace(",", "."))
        if isinstance(spec.default, int) and not isinstance(spec.default, bool):
            if not number.is_integer():
                raise ValueError
            return int(number)
        return number
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError
    return value


def _rows(org: Org, raw: dict | None = None, errors: dict | None = None) -> list[dict]:
    """One row per policy key: value in force, its source, the value set here, and the form's input."""
    crumbs = org_service.breadcrumbs(org)
    settings = {o.id: policy_service.local_settings(o) for o in crumbs}
    effective = policy_service.effective_policy(org)
    rows = []
    for key, spec in policy_service.POLICY_KEYS.items():
        source = next((o for o in reversed(crumbs) if key in settings[o.id]), None)
        local = settings[org.id].get(key, None)
        if raw is not None:
            current = raw.get(key, INHERIT)
        elif key in settings[org.id]:
            current = json.dumps(local, ensure_ascii=False) if isinstance(local, dict) else (
                ("true" if local else "false") if isinstance(local, bool) else str(local))
        else:
            current = INHERIT
        rows.append({"key": key, "spec": spec, "kind": _kind(spec), "effective": _shown(effective[key]),
                     "source": source, "is_local": source is not None and source.id == org.id,
                     "input": current, "errors": (errors or {}).get(key, [])})
    return rows


def _page(org: Org, form, rows: list[dict], error: str | None = None, editable: bool = True) -> str:
    return render_template("learning/policy.html", org=org, form=form, path_orgs=org_service.breadcrumbs(org),
                           rows=rows, error=error, editable=editable)


@bp.route("/orgs/<int:org_id>/policy", methods=["GET", "POST"])
@login_required
def org_policy(org_id: int):
    """Show and edit the policy in force at an org; an empty field inherits from above."""
    actor = me()
    if request.method == "GET":  # organisers and reviewers read the policy; admins edit it
        org = scope.require_org(actor, org_id, "policy.read")
        return _page(org, PolicyForm(), _rows(org), editable=scope.holds(actor, "policy.manage", org))
    org = scope.require_org(actor, org_id, "policy.manage")
    form = PolicyForm()
    raw = {key: (request.form.get(key) or "").strip() for key in policy_service.POLICY_KEYS}
    if not form.validate_on_submit():
        return _page(org, form, _rows(org, raw), _("The form expired; please try again.")), 400
    errors: dict[str, list[str]] = {}
    changes = {}
    for key, spec in policy_service.POLICY_KEYS.items():
        if raw[key] == INHERIT:
            continue  # cleared below: the org inherits again
        try:
            changes[key] = _parse(spec, raw[key])
        except ValueError:
            errors[key] = [_("Not a valid value.")]
    if not errors:
        try:
            policy_service.update_policy(org, changes, [k for k in policy_service.POLICY_KEYS if k not in changes],
                                         by=actor)
        except DomainError as exc:
            db.session.rollback()
            errors = {k: [error_text(m) for m in v] for k, v in (exc.errors or {}).items()}
            errors = errors or {"": [error_text(exc.message)]}
    if errors:
        return _page(org, form, _rows(org, raw, errors), _("Some values are not valid; nothing was saved.")), 422
    db.session.commit()
    flash(_("The policy was saved."), "success")
    return redirect(url_for("views.org_policy", org_id=org.id))
