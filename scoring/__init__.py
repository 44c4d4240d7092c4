"""scoring package of Pioneer Learning (see DESIGN.md §4)."""


def register(app) -> None:
    """scoring's wiring: capabilities, the policy keys it reads, its verbs (`attended`, the daily
    check-in), the ledger's receiver on `record_written` (points for every record), navigation, the
    points and check-in panels and the nightly board rebuild on beat."""
    from celery.schedules import crontab
    from flask_babel import lazy_gettext as _l

    from learning.celery_app import register_beat
    from learning.events import connect_record_receiver
    from learning.services import scope
    from learning.services.policy import define_policy
    from learning.services.records import register_verb
    from learning.ui import register_home_panel, register_nav, register_page_section

    from .policy import CHECKIN_VERB, declare_policy_keys
    from .services import access, ledger
    from .views import corrections, points
    from .views.checkin import checkin_panel

    for name, roles in access.CAPABILITIES.items():
        scope.define_capability(name, roles)
    define_policy("offline_backdate_days", 3,
                  lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 60,
                  _l("Days an offline session or its attendance may be entered late"),
                  _l("Older sessions and attendance need an admin of the committee; a whole number from 0 to 60"),
                  owner="scoring")
    declare_policy_keys()
    register_verb("attended", lambda r: {"offline_attended": 1}, label=_l("attended"),
                  counts_as_activity=True)  # an offline session (三会一课)
    register_verb(CHECKIN_VERB, label=_l("checked in"))  # a check-in is never activity (learning.services.activity)
    connect_record_receiver(ledger.on_record_written, ledger.on_records_written)
    from learning.services.directory import register_lookup

    from .services.offline import session_entries, upcoming_sessions_of
    register_lookup("offline_session", session_entries, upcoming_sessions_of)  # courses answers topic requests
    register_nav("scoring_views.my_points", lambda: str(_l("My points")), order=40)
    register_nav("scoring_views.rankings", lambda: str(_l("Rankings")), order=41)
    register_nav("scoring_views.sessions", lambda: str(_l("Offline sessions")), order=42)
    register_nav("scoring_views.rules_admin", lambda: str(_l("Points rules")),
                 visible=lambda m: scope.holds_anywhere(m, "rules.manage"), order=43)
    register_nav("scoring_views.evaluations", lambda: str(_l("Evaluation")),
                 visible=lambda m: scope.holds_anywhere(m, "evaluation.read"), order=44)
    register_nav("scoring_views.compliance", lambda: str(_l("Meetings and lectures held (三会一课)")),
                 visible=lambda m: scope.holds_anywhere(m, "compliance.read"), order=45)
    register_home_panel("scoring/panel_checkin.html", checkin_panel, order=8)
    register_home_panel("scoring/panel_points.html", points.home_panel, order=20)
    register_page_section("member", "scoring/section_member_points.html", corrections.member_section, order=20)
    # every open org's current leaderboards rebuilt from the database (awards keep them current in
    # between), nightly at 19:30 UTC (03:30 China time), after the day's last study
    register_beat(app, "scoring-rebuild-boards", "scoring.tasks.rebuild_all_boards", crontab(minute=30, hour=19))
    # each grown chain head signed at 23:50 China time (15:50 UTC), kept apart from the balance row
    register_beat(app, "scoring-checkpoint-ledger", "scoring.tasks.checkpoint_ledger", crontab(minute=50, hour=15))
    # points for right answers wait until the quiz reveals them (ledger.award_for_record)
    register_beat(app, "scoring-settle-held-points", "scoring.tasks.settle_held_points", 60.0)
