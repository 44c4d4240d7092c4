"""The policy page of an org: the preset it follows, values in force, locks, editing, and the history."""
from __future__ import annotations

import io
import json

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from ..auth import actor
from ..errors import DomainError
from ..extensions import db
from ..forms import PolicyForm
from ..models import Org, PolicyPresetChoice
from ..services import orgs as org_service, policy as policy_service, scope
from . import bp
from .common import error_text
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
    return _(str(value))


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


def _input_of(local) -> str:
    if isinstance(local, dict):
        return json.dumps(local, ensure_ascii=False)
    if isinstance(local, bool):
        return "true" if local else "false"
    return str(local)


def _rows(org: Org, raw: dict | None = None, locks: dict | None = None, errors: dict | None = None) -> list[dict]:
    """One row per policy key: value in force, its source, the lock, the value set here, and the form's input."""
    view = policy_service.policy_view(org)
    names = {o.id: o for o in org_service.breadcrumbs(org)}
    rows = []
    for key_view in view["keys"]:
        key = key_view["key"]
        spec = policy_service.POLICY_KEYS[key]
        if raw is not None:
            current = raw.get(key, INHERIT)
        elif key_view["set_here"]:
            current = _input_of(view["local"][key])
        else:
            current = INHERIT
        rows.append({"key": key, "spec": spec, "kind": _kind(spec), "effective": _shown(key_view["value"]),
                     "source": names.get(key_view["source_org_id"]), "is_local": key_view["set_here"],
                     "locked": (locks or {}).get(key, key_view["locked"]) if locks is not None else key_view["locked"],
                     "locked_above": names.get(key_view["locked_above_by"]),
                     "forbidden": [label(WEIGHT, k) for k in key_view["forbidden"]],
                     "input": current, "errors": (errors or {}).get(key, [])})
    return rows


def _presets() -> list[dict]:
    out = []
    for preset in policy_service.presets_view():
        effects = [{"label": e["label"], "value": _shown(e["value"]),
                    "forbids": [label(WEIGHT, k) for k in e["forbids"]]} for e in preset["effects"]]
        out.append(preset | {"effects": effects})
    return out


def _below(actor, org: Org) -> list[dict]:
    """The orgs below this one in the caller's scope, with the preset each follows."""
    orgs = list(db.session.scalars(select(Org).where(Org.path.startswith(org.path, autoescape=True),
                                                     Org.closed_at.is_(None)).order_by(Org.path).limit(200)))
    choices = {c.org_id: c.preset for c in db.session.scalars(
        select(PolicyPresetChoice).where(PolicyPresetChoice.org_id.in_([o.id for o in orgs])))}
    presets = policy_service.PRESETS
    inherited, out = {}, []
    base = policy_service.installation_preset()
    for o in orgs:
        own = choices.get(o.id)
        code = own or inherited.get(o.parent_id, base)
        inherited[o.id] = code
        out.append({"org": o, "indent": o.depth - org.depth, "preset": str(presets[code].name) if code in presets
                    else code, "own": own is not None})
    return out


def _page(org: Org, form, rows: list[dict], error: str | None = None, editable: bool = True) -> str:
    return render_template("learning/policy.html", org=org, form=form, path_orgs=org_service.breadcrumbs(org),
                           rows=rows, error=error, editable=editable, presets=_presets(),
                           preset=policy_service.preset_in_force(org), below=_below(actor(), org))


@bp.route("/orgs/<int:org_id>/policy", methods=["GET", "POST"])
@login_required
def org_policy(org_id: int):
    """Show and edit the policy in force at an org; an empty field inherits from above."""
    me = actor()
    if request.method == "GET":  # organisers and reviewers read the policy; admins edit it
        org = scope.require_org(me, org_id, "policy.read")
        return _page(org, PolicyForm(), _rows(org), editable=scope.holds(me, "policy.manage", org))
    org = scope.require_org(me, org_id, "policy.manage")
    form = PolicyForm()
    keys = policy_service.POLICY_KEYS
    raw = {key: (request.form.get(key) or "").strip() for key in keys}
    locks = {key: request.form.get(f"lock-{key}") == "on" for key in keys}
    if not form.validate_on_submit():
        return _page(org, form, _rows(org, raw, locks), _("The form expired; please try again.")), 400
    errors: dict[str, list[str]] = {}
    changes = {}
    for key, spec in keys.items():
        if raw[key] == INHERIT:
            continue  # cleared below: the org inherits again
        try:
            changes[key] = _parse(spec, raw[key])
        except ValueError:
            errors[key] = [_("Not a valid value.")]
    for key in keys:
        if locks[key] and key not in changes:
            errors.setdefault(key, []).append(_("Set a value here to lock it."))
    if not errors:
        try:
            policy_service.update_policy(org, changes, [k for k in keys if k not in changes], by=me,
                                         locks={k: locks[k] for k in changes})
        except DomainError as exc:
            db.session.rollback()
            errors = {k: [error_text(m) for m in v] for k, v in (exc.errors or {}).items()}
            errors = errors or {"": [error_text(exc.message)]}
    if errors:
        return _page(org, form, _rows(org, raw, locks, errors), _("Some values are not valid; nothing was saved.")), 422
    flash(_("The policy was saved."), "success")
    return redirect(url_for("views.org_policy", org_id=org.id))


@bp.route("/orgs/<int:org_id>/policy/preset", methods=["POST"])
@login_required
def org_policy_preset(org_id: int):
    """Apply a named preset at an org (optionally locked for everything below)."""
    me = actor()
    org = scope.require_org(me, org_id, "policy.manage")
    form = PolicyForm()
    if not form.validate_on_submit():
        return _page(org, form, _rows(org), _("The form expired; please try again.")), 400
    try:
        policy_service.apply_preset(org, request.form.get("preset", ""), lock=request.form.get("lock") == "on",
                                    by=me)
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(error_text(m) for v in (exc.errors or {}).values() for m in v)
        return _page(org, form, _rows(org), f"{error_text(exc.message)} {details}".strip()), 422
    flash(_("The preset was applied; adjust single settings below if needed."), "success")
    return redirect(url_for("views.org_policy", org_id=org.id))


@bp.route("/orgs/<int:org_id>/policy/history")
@login_required
def org_policy_history(org_id: int):
    """Who changed what and when, at this org and above, with the value then in force here; XLSX export."""
    org = scope.require_org(actor(), org_id, "policy.read")
    if request.args.get("format") == "xlsx":
        return send_file(io.BytesIO(policy_service.export_xlsx(org)), as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         download_name=f"policy-{org.name}.xlsx")
    changes = list(reversed(policy_service.history(org)))
    return render_template("learning/policy_history.html", org=org, path_orgs=org_service.breadcrumbs(org),
                           changes=changes, preset=policy_service.preset_in_force(org))
