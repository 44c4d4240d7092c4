"""Capabilities of the scoring package and the roles that hold them (scoring.register declares them)."""

CAPABILITIES = {
    "points.read": {"organiser", "reviewer", "admin"},  # another member's points
    "points.adjust": {"organiser", "admin"},  # manual adjustments and reversals
    "rules.manage": {"admin"},
    "ranking.read": {"member", "organiser", "reviewer", "host", "admin"},
    "ranking.full": {"organiser", "reviewer", "admin"},  # whatever the visibility policy
    "offline.read": {"member", "organiser", "reviewer", "admin"},
    "offline.attend": {"member"},  # check oneself in
    "offline.manage": {"organiser", "admin"},
    "evaluation.read": {"organiser", "reviewer", "admin"},
    "offline.backdate": {"admin"},  # sessions/attendance older than the offline_backdate_days policy
    "compliance.read": {"organiser", "reviewer", "admin"},  # 三会一课 compliance of branches
    "checkin.read": {"organiser", "admin"},  # who has not checked in (only where check-in is on)
}
