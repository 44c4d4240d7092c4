"""arena package of Pioneer Learning (先锋擂台, DESIGN.md §4, §6.4): live events with a big screen and an
audience, and quick 2/4-player matches. `register(app)` does all of its wiring."""
from __future__ import annotations


def _daily_limit(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 30


def register(app) -> None:
    """Capabilities, navigation, home panel and policy keys of the arena (idempotent: tests build many apps)."""
    from flask_babel import lazy_gettext as _l

    from learning.services import scope
    from learning.services.policy import define_policy
    from learning.ui import register_home_panel, register_nav

    from .services.match import DAILY_LIMIT_KEY
    from .services.stream import init_opening_gate
    from .services.turns import init_write_turns
    from .views.match import home_panel

    init_opening_gate(app)  # a crowd opening streams queues here, not in the database pool
    init_write_turns(app)  # and answers, host actions and reactions here, each in their turn
    scope.define_capability("arena.host", {"host", "organiser", "admin"})  # build and run live events
    scope.define_capability("arena.watch", {"member", "organiser", "reviewer", "host", "admin"})
    if "arena_views.index" in app.view_functions:
        register_nav("arena_views.index", lambda: str(_l("Arena")), order=35)
    # quick matches (双人对战 / 四人赛)
    define_policy(DAILY_LIMIT_KEY, 2, _daily_limit, _l("Quick matches a day that earn points"),
                  _l("Per mode (2-player, 4-player), a whole number from 0 to 30; later matches still "
                     "count for the rating"), owner="arena")
    register_nav("arena_match.index", lambda: str(_l("Quick match")), order=36)
    register_home_panel("arena/match_panel.html", home_panel, order=35)
