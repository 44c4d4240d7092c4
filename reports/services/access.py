"""Capabilities of the reports package and who holds them (members always read their own report);
reports.register declares them."""

CAPABILITIES = {
    #: read org reports and dashboards and other members' reports, export them
    "report.read": {"organiser", "reviewer", "admin"},
    #: see analytics flags (advice) on members; never shown to other members
    "report.analytics": {"organiser", "reviewer", "admin"},
    #: start committee packs and analytics training, download packs
    "report.pack": {"organiser", "reviewer", "admin"},
}
