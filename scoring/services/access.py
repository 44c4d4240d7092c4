"""Capabilities of the scoring package (see learning.services.scope)."""
from learning.services.scope import define_capability

define_capability("points.read", {"organiser", "reviewer", "admin"})  # another member's points
define_capability("points.adjust", {"organiser", "admin"})  # manual adjustments and reversals
define_capability("rules.manage", {"admin"})
define_capability("ranking.read", {"member", "organiser", "reviewer", "host", "admin"})
define_capability("ranking.full", {"organiser", "reviewer", "admin"})  # whatever the visibility policy
define_capability("offline.read", {"member", "organiser", "reviewer", "admin"})
define_capability("offline.attend", {"member"})  # check oneself in
define_capability("offline.manage", {"organiser", "admin"})
define_capability("evaluation.read", {"organiser", "reviewer", "admin"})
