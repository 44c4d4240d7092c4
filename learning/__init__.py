"""Pioneer Learning core: app factory, org tree, accounts, scope, policy and the learning-record spine."""


def register(app) -> None:
    """The base's own wiring: its capabilities, the `logged_in` verb, home panels and navigation, inbox
    kinds and channels, notices, and the outbox beat entry."""
    from flask_babel import gettext as _, lazy_gettext as _l

    from .celery_app import register_beat
    from .services import channels, inbox, notices, scope
    from .services.records import register_verb
    from .ui import register_home_panel, register_nav
    from .views import home
    from .views.inbox import register_pages

    for name, roles in scope.CORE_CAPABILITIES.items():
        scope.define_capability(name, roles)
    register_verb("logged_in", label=_l("logged in"))  # written at login; never activity
    # the panels of one's work come first; "my learning" follows (and leads for a plain member)
    register_home_panel("learning/panel_admin.html", home._admin_panel, order=4)
    register_home_panel("learning/panel_reviewer.html", home._reviewer_panel, order=5)
    register_home_panel("learning/panel_organiser.html", home._organiser_panel, order=6)
    register_home_panel("learning/panel_my_learning.html", home._my_week, order=10)
    register_home_panel("learning/panel_guidance.html", home._guidance, order=11)  # what to study next
    register_nav("views.home", lambda: _("Home"), order=0)
    register_nav("views.org_tree", lambda: _("Organisations"),
                 lambda m: scope.holds_anywhere(m, "member.read"), order=80)
    register_nav("views.member_list", lambda: _("Members"),
                 lambda m: scope.holds_anywhere(m, "member.read"), order=81)
    inbox.register_core_kinds()
    notices.register()
    channels.register_channel(channels.SmtpChannel())
    register_pages()
    register_beat(app, "learning-deliver-outbox", "learning.tasks.deliver_outbox", 60.0)
