"""Capabilities of the reports package and who holds them (members always read their own report)."""
from learning.services.scope import define_capability

#: read org reports and dashboards and other members' reports, export them
define_capability("report.read", {"organiser", "reviewer", "admin"})
#: see analytics flags (advice) on members; never shown to other members
define_capability("report.analytics", {"organiser", "reviewer", "admin"})
#: start committee packs and analytics training, download packs
define_capability("report.pack", {"organiser", "reviewer", "admin"})
