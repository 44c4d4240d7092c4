"""Rule presets: the default set modelled on 学习强国's published structure, and offline
organisation life (三会一课, 主题党日). Figures follow REFERENCE.md (the 2020/2023 rules and
三晋先锋's offline rules); weekdays are Monday=0.
"""
from __future__ import annotations

# Each rule: code, name, kind, verb, object_type, match, points, minutes, bands, placings,
# daily_cap, weekly_cap, schedule.
XUEXI_DEFAULT = [
    dict(code="login", name="每日登录", kind="per_event", verb="logged_in", object_type="app",
         points=1, daily_cap=1),
    dict(code="article", name="阅读文章", kind="per_event", verb="completed", object_type="lesson",
         match={"lesson_kind": ["article", "document"]}, points=1, daily_cap=6),
    dict(code="article_time", name="文章学习时长", kind="per_minutes", verb="studied", object_type="lesson",
         match={"lesson_kind": ["article", "document"]}, points=1, minutes=2, daily_cap=6),
    dict(code="video", name="视听学习", kind="per_event", verb="completed", object_type="lesson",
         match={"lesson_kind": ["video", "audio"]}, points=1, daily_cap=6),
    dict(code="video_time", name="视听学习时长", kind="per_minutes", verb="studied", object_type="lesson",
         match={"lesson_kind": ["video", "audio"]}, points=1, minutes=3, daily_cap=6),
    dict(code="daily_quiz", name="每日答题", kind="score_band", verb="submitted", object_type="quiz",
         match={"quiz_kind": ["daily"]}, bands=[{"min": 1.0, "points": 5}, {"min": 0.6, "points": 3},
                                                {"min": 0.0, "points": 1}], daily_cap=5),
    dict(code="weekly_quiz", name="每周答题", kind="score_band", verb="submitted", object_type="quiz",
         match={"quiz_kind": ["weekly"]}, bands=[{"min": 0.9, "points": 5}, {"min": 0.6, "points": 3},
                                                 {"min": 0.0, "points": 1}], weekly_cap=5),
    dict(code="special_quiz", name="专项答题", kind="score_band", verb="submitted", object_type="quiz",
         match={"quiz_kind": ["special"]}, bands=[{"min": 0.9, "points": 10}, {"min": 0.6, "points": 5},
                                                  {"min": 0.0, "points": 2}], daily_cap=10),
    dict(code="four_player", name="四人赛", kind="placing", verb="submitted", object_type="arena",
         match={"mode": ["four_player"]}, placings={"1": 3, "2": 2, "*": 1}, daily_cap=5,
         schedule=[{"days": [0, 3]}]),
    dict(code="two_player", name="双人对战", kind="placing", verb="submitted", object_type="arena",
         match={"mode": ["two_player"]}, placings={"1": 2, "*": 1}, daily_cap=2,
         schedule=[{"days": [2, 5]}]),
]

ORGANISATION_LIFE = [
    dict(code="branch_meeting", name="支部党员大会", kind="per_event", verb="attended", object_type="offline_session",
         match={"kind": ["branch_meeting"]}, points=5, daily_cap=5),
    dict(code="committee_meeting", name="支部委员会", kind="per_event", verb="attended",
         object_type="offline_session", match={"kind": ["committee_meeting"]}, points=3, daily_cap=3),
    dict(code="group_meeting", name="党小组会", kind="per_event", verb="attended", object_type="offline_session",
         match={"kind": ["group_meeting"]}, points=3, daily_cap=3),
    dict(code="party_lecture", name="党课", kind="per_event", verb="attended", object_type="offline_session",
         match={"kind": ["party_lecture"]}, points=5, daily_cap=5),
    dict(code="theme_day", name="主题党日", kind="per_event", verb="attended", object_type="offline_session",
         match={"kind": ["theme_day"]}, points=5, daily_cap=5),
]

# the daily check-in (签到) pays only where the org's policy turns check-in on (scoring.policy)
DAILY_CHECKIN = [
    dict(code="checkin", name="每日签到", kind="per_event", verb="checked_in", object_type="app", points=1,
         daily_cap=1),
]

# rating a finished course (双向评价) is a reaction: it pays only where reactions_in_assessment is on
COURSE_FEEDBACK = [
    dict(code="course_rating", name="课程评价", kind="per_event", verb="rated", object_type="course", points=1,
         daily_cap=2),
]

PRESETS = {"xuexi_default": XUEXI_DEFAULT, "organisation_life": ORGANISATION_LIFE, "daily_checkin": DAILY_CHECKIN,
           "course_feedback": COURSE_FEEDBACK}
