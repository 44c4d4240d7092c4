"""Core pages: login, logout, password change, language and large-font switches."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..auth import actor, login_limits, password_change_key, password_change_limit
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import ActivateForm, LoginForm, PasswordChangeForm
from ..services import accounts, activation
from ..ui import nav_items, page_sections
from . import bp
from .labels import template_labels


@bp.app_context_processor
def page_helpers():
    """Navigation, other packages' page sections, locale and code labels for every template."""
    return {"nav_items": nav_items, "page_sections": page_sections,
            "current_locale": lambda: str(get_locale() or "zh")[:2],
            **template_labels()}


@bp.app_template_global("tr")
def translate(text) -> str:
    """A message from outside the template (domain error, field error) in the page's language, unformatted."""
    return _(str(text)) if text else ""


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target.rstrip("?") or None


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    """The login page."""
    if current_user.is_authenticated:
        return redirect(url_for("views.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            member = accounts.authenticate(form.username.data, form.password.data)
        except accounts.LoginFailed:
            error = _("Wrong login or password.")
        else:
            accounts.record_login(member, "web")
            session.clear()
            login_user(member)
            session.permanent = True
            if member.must_change_password:
                return redirect(url_for("views.change_password"))
            return redirect(_safe_next(request.args.get("next")) or url_for("views.home"))
    status = 401 if error else 400 if form.errors else 200
    return render_template("learning/login.html", form=form, error=error), status


@bp.route("/activate", methods=["GET", "POST"])
@login_limits
def activate():
    """First sign-in with a one-time activation code: the member chooses their own password."""
    form = ActivateForm()
    error = None
    if form.validate_on_submit():
        try:
            member = activation.activate(form.username.data, form.code.data, form.new_password.data)
        except activation.ActivationFailed as exc:
            db.session.rollback()
            error = _(exc.message)
        except DomainError as exc:
            db.session.rollback()
            form.new_password.errors.append(_(exc.message))
        else:
            session.clear()
            login_user(member)
            session.permanent = True
            flash(_("Your account is active. Welcome!"), "success")
            return redirect(url_for("views.home"))
    status = 401 if error else 400 if form.errors else 200
    return render_template("learning/activate.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session."""
    logout_user()
    session.clear()
    return redirect(url_for("views.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(password_change_limit, scope="password-change", key_func=password_change_key,
                      methods=["POST"])
def change_password():
    """Change one's password; imported accounts land here first."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        member = actor()
        try:
            accounts.authenticate(member.username, form.current_password.data)
            if form.new_password.data == form.current_password.data:
                raise DomainError(_("The new password must differ from the current one."))
            accounts.set_password(member, form.new_password.data)
        except accounts.LoginFailed:
            form.current_password.errors.append(_("The current password is wrong."))
        except DomainError as exc:
            form.new_password.errors.append(_(exc.message))
        else:
            login_user(member)  # this session carries on under the new version; every other one has ended
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("views.home"))
    status = 400 if form.errors else 200
    return render_template("learning/password.html", form=form), status


@bp.route("/language/<lang>")
def set_language(lang: str):
    """Switch the interface language (Simplified Chinese or English)."""
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
    return redirect(_safe_next(request.args.get("next")) or url_for("views.home"))


@bp.route("/large-font", methods=["POST"])
@login_required
def toggle_large_font():
    """Switch the large-font mode (适老化) on or off for this member."""
    current_user.large_font = not current_user.large_font
    return redirect(_safe_next(request.form.get("next")) or url_for("views.home"))
