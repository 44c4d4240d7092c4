"""JSON API of the core package under /api/v1: auth, orgs, members, roles, policy, records (DESIGN §7)."""
from .auth import auth_blp
from .inbox import inbox_blp, notices_blp
from .member_import import import_blp
from .members import members_blp
from .orgs import orgs_blp
from .policy import policy_blp
from .roles import roles_blp

# the import routes come before /members/<id> only for readability; the converters do not clash
blueprints = [auth_blp, orgs_blp, members_blp, import_blp, roles_blp, policy_blp, inbox_blp, notices_blp]
