"""Flask-WTF forms of the core pages (CSRF included); choices are filled by the views from scope."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from .fields import db_int
from .models import GENDERS, MEMBER_TYPES, ORG_KINDS, ROLES

USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]{3,64}$"
MOBILE_PATTERN = r"^1[3-9]\d{9}$"


def _coerce_int(value):
    """Select values to int; empty or junk becomes None so that DataRequired reports it."""
    try:
        return db_int(value)
    except (TypeError, ValueError):
        return None


class LoginForm(FlaskForm):
    """Username (or mobile number) and password."""

    username = StringField(_l("Username or mobile number"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PasswordChangeForm(FlaskForm):
    """The current password and a new one, twice."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class MemberForm(FlaskForm):
    """A member's record as a branch keeps it (姓名 性别 出生日期 手机号 入党日期 党员类型 所在支部)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    username = StringField(_l("Username"), validators=[DataRequired(), Regexp(
        USERNAME_PATTERN, message=_l("3 to 64 letters, digits or _ . -"))])
    mobile = StringField(_l("Mobile number"), validators=[Optional(), Regexp(
        MOBILE_PATTERN, message=_l("Not a mainland mobile number."))])
    gender = SelectField(_l("Gender"), choices=[("", "—")] + [(g, g) for g in GENDERS], validators=[Optional()])
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    joined_party_on = DateField(_l("Date of joining the Party"), validators=[Optional()])
    member_type = SelectField(_l("Member type"), choices=[(t, t) for t in MEMBER_TYPES], default="full")
    org_id = SelectField(_l("Home branch"), coerce=_coerce_int, validators=[DataRequired()])


class MemberCreateForm(MemberForm):
    """A new member's record; they get a one-time activation code, not a password chosen for them."""


class ActivateForm(FlaskForm):
    """First sign-in with a one-time activation code: the login, the code and a new password twice."""

    username = StringField(_l("Username or mobile number"), validators=[DataRequired(), Length(max=64)])
    code = StringField(_l("Activation code"), validators=[DataRequired(), Length(max=40)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))])


class TransferForm(FlaskForm):
    """The branch a member moves to, and why (组织关系接转)."""

    to_org_id = SelectField(_l("New branch"), coerce=_coerce_int, validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class OrgCreateForm(FlaskForm):
    """A new org under the one shown."""

    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[(k, k) for k in ORG_KINDS], default="branch")


class OrgRenameForm(FlaskForm):
    """A new name for an org."""

    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=120)])


class OrgMoveForm(FlaskForm):
    """The new parent of an org (its subtree moves with it)."""

    parent_id = SelectField(_l("New parent organisation"), coerce=_coerce_int, validators=[DataRequired()])


class RoleGrantForm(FlaskForm):
    """Who gets which role at the org shown."""

    login = StringField(_l("Username or mobile number"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES if r != "member"], default="organiser")


class ImportForm(FlaskForm):
    """A member file (XLSX or CSV) and the org it is imported into."""

    org_id = SelectField(_l("Import into"), coerce=_coerce_int, validators=[DataRequired()])
    file = FileField(_l("File (XLSX or CSV)"), validators=[
        FileRequired(_l("Choose a file.")), FileAllowed(["xlsx", "csv"], _l("Only XLSX or CSV files."))])


class PolicyForm(FlaskForm):
    """The CSRF token of the policy page; its value fields are read per policy key by the view."""

