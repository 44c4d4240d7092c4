"""Translated words for the stored codes (org kinds, roles, genders, member types, statuses)."""
from flask_babel import lazy_gettext as _l

from ..services.records import VERB_LABELS

ORG_KIND = {"committee": _l("Committee"), "general_branch": _l("General branch"), "branch": _l("Branch"),
            "group": _l("Group")}
ROLE = {"member": _l("Member"), "organiser": _l("Organiser"), "reviewer": _l("Reviewer"), "host": _l("Arena host"),
        "admin": _l("Administrator")}
GENDER = {"male": _l("Male"), "female": _l("Female")}
MEMBER_TYPE = {"full": _l("Full member"), "probationary": _l("Probationary member")}
STATUS = {"active": _l("Active"), "inactive": _l("Deactivated")}
WEIGHT = {"quiz_results": _l("Quiz results"), "mastery": _l("Mastery"), "tasks_on_time": _l("Tasks done on time"),
          "offline_attendance": _l("Offline attendance"), "study_time": _l("Study time"), "reactions": _l("Likes"),
          "points": _l("Points")}
VERB = VERB_LABELS  # each verb's words, given by the package that declares it (register_verb)

#: field names of the member record as a branch keeps it, for error messages and tables
FIELD = {"name": _l("Name"), "username": _l("Username"), "mobile": _l("Mobile number"), "gender": _l("Gender"),
         "birth_date": _l("Date of birth"), "joined_party_on": _l("Date of joining the Party"),
         "member_type": _l("Member type"), "org_id": _l("Home branch"), "org": _l("Home branch"), "branch": _l("Home branch"), "status": _l("Status"),
         "password": _l("Password"), "initial_password": _l("Initial password"), "reason": _l("Reason"),
         "parent_id": _l("Parent organisation"), "kind": _l("Kind"), "role": _l("Role"), "file": _l("File")}


def label(mapping: dict, code) -> str:
    """The translated word for a code, or the code itself when unknown."""
    return str(mapping.get(code, code or ""))


def template_labels() -> dict:
    """The label tables for templates."""
    return {"ORG_KIND": ORG_KIND, "ROLE": ROLE, "GENDER": GENDER, "MEMBER_TYPE": MEMBER_TYPE, "STATUS": STATUS,
            "FIELD": FIELD, "VERB": VERB, "label": label}
