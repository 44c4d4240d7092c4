"""reports package of Pioneer Learning (see DESIGN.md §4)."""


def register(app) -> None:
    """reports' wiring: capabilities, the knowledge-point rollup's receiver on `record_written`,
    navigation, the monthly committee packs on beat and the `reports` queue."""
    from celery.schedules import crontab
    from flask_babel import gettext as _

    from learning.celery_app import register_beat, register_queue
    from learning.events import connect_record_receiver
    from learning.services import scope
    from learning.ui import register_nav

    from . import rollup
    from .services import access

    for name, roles in access.CAPABILITIES.items():
        scope.define_capability(name, roles)
    connect_record_receiver(rollup.on_record_written, rollup.on_records_written)
    register_nav("reports.index", lambda: _("Reports"), order=60)
    # last month's committee packs on the 1st, 00:30 UTC (08:30 China time)
    register_beat(app, "reports-monthly-packs", "reports.tasks.monthly_packs",
                  crontab(minute=30, hour=0, day_of_month=1))
    register_queue(app, "reports.tasks.*", "reports")  # report packs never wait behind other work
