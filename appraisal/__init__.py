"""appraisal package of Pioneer Learning (see DESIGN.md §4): democratic appraisal (民主评议党员)
of members and branches with secret ballots, determination, publication and rectification."""


def _share(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1


def _group(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 2 <= v <= 50


def register(app) -> None:
    """appraisal's wiring: capabilities, its verbs, its policy keys, navigation, home panel, beat entries."""
    from flask_babel import lazy_gettext as _l

    from learning.celery_app import register_beat
    from learning.services.policy import define_policy
    from learning.services.records import register_verb
    from learning.services.scope import define_capability

    from .views import register_ui

    define_capability("appraisal.take", {"member"})  # self-evaluate, vote, see one's own result, object
    define_capability("appraisal.read", {"organiser", "reviewer", "admin"})  # results, lists, progress
    define_capability("appraisal.manage", {"organiser", "admin"})  # open, move phases, determine, rectify
    define_capability("appraisal.approve", {"organiser", "reviewer", "admin"})  # 不合格, held at the committee above
    # taking part is a record without its content; `voted` is written at the phase's close, shuffled
    # a submitted self-evaluation is effort on the day it was submitted; `voted` is not counted as
    # activity because, for ballot secrecy, it is dated at the phase's close, not at the vote
    register_verb("self_evaluated", label=_l("submitted a self-evaluation"), counts_as_activity=True)
    register_verb("voted", label=_l("voted in an appraisal"))
    register_verb("appraised", label=_l("was appraised"))  # the published level: an annual-evaluation input
    # the keys appraisal reads (learning names no domain key)
    define_policy("excellent_share_limit", 1 / 3, _share, _l("Largest share of 优秀 in an appraisal"),
                  _l("A number above 0 and at most 1; the default is one third"), owner="appraisal")
    define_policy("min_breakdown_group", 5, _group, _l("Smallest group whose breakdown is shown"),
                  _l("A whole number from 2 to 50"), owner="appraisal")
    register_ui()
    register_beat(app, "appraisal-advance-phases", "appraisal.tasks.advance_phases", 900.0)
    register_beat(app, "appraisal-remind-overdue", "appraisal.tasks.remind_overdue_rectifications", 3600.0)
