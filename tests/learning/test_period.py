"""The one period type (learning.services.period): kinds, bounds, names, parsing and refusals."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from learning.errors import Invalid
from learning.services import period as periods
from learning.services.period import Period
from reports.services.period import make_period
from scoring.models import PointsEntry
from tests.helpers import assert_error


@pytest.mark.parametrize("kind,start,end,key", [
    ("week", date(2026, 11, 16), date(2026, 11, 22), "w2026-47"),
    ("month", date(2026, 11, 1), date(2026, 11, 30), "m2026-11"),
    ("quarter", date(2026, 10, 1), date(2026, 12, 31), "q2026-4"),
    ("year", date(2026, 1, 1), date(2026, 12, 31), "y2026"),
])
def test_a_calendar_period_contains_its_day(kind, start, end, key):
    period = periods.containing(kind, date(2026, 11, 20))
    assert (period.start, period.end, period.kind, period.key) == (start, end, kind, key)
    assert period.contains(start) and period.contains(end)
    assert not period.contains(date(2026, 12, 31) if end < date(2026, 12, 31) else date(2027, 1, 1))


def test_bounds_are_china_midnights():
    period = Period(date(2026, 11, 1), date(2026, 11, 30))
    assert period.since == datetime(2026, 10, 31, 16, tzinfo=timezone.utc)
    assert period.until == datetime(2026, 11, 30, 16, tzinfo=timezone.utc)
    assert period.days == 30 and period.weeks == 5 and len(period.each_day()) == 30
    # 23:59 UTC on 30 November is already 1 December in China
    assert period.contains(datetime(2026, 11, 30, 15, 59, tzinfo=timezone.utc))
    assert not period.contains(datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc))


def test_previous_steps_back_one_period_of_the_same_kind():
    march, february = periods.containing("month", date(2026, 3, 15)), Period(date(2026, 2, 1), date(2026, 2, 28), "month")
    assert march.previous() == february
    assert periods.containing("quarter", date(2026, 2, 1)).previous() == Period(date(2025, 10, 1), date(2025, 12, 31),
                                                                               "quarter")
    assert periods.containing("week", date(2026, 1, 1)).previous().key == "w2025-52"
    assert Period(date(2026, 1, 1), date(2026, 1, 10)).previous() == Period(date(2025, 12, 22), date(2025, 12, 31))
    assert periods.previous_month(date(2026, 1, 1)) == Period(date(2025, 12, 1), date(2025, 12, 31), "month")


@pytest.mark.parametrize("kind,zh,en", [
    ("week", "2026年第47周", "week 47 of 2026"), ("month", "2026年11月", "November 2026"),
    ("quarter", "2026年第4季度", "4th quarter 2026"), ("year", "2026年", "2026"),
])
def test_labels_in_chinese_and_english(kind, zh, en):
    period = periods.containing(kind, date(2026, 11, 20))
    assert (period.label("zh_Hans_CN"), period.label("en")) == (zh, en)


def test_a_week_across_new_year_keeps_its_iso_number():
    period = periods.containing("week", date(2026, 12, 30))
    assert period.key == "w2026-53" and period.label("zh_Hans_CN") == "2026年第53周"


def test_a_custom_label_is_its_range():
    assert Period(date(2026, 10, 1), date(2026, 10, 31)).label() == "2026-10-01 – 2026-10-31"


def test_query_parameters_make_a_period():
    args = {"period": "month", "date": "2026-02-10"}
    assert periods.from_query(args) == Period(date(2026, 2, 1), date(2026, 2, 28), "month")
    assert periods.from_query({"from": "2026-01-01", "to": "2026-01-31"}) == Period(date(2026, 1, 1),
                                                                                  date(2026, 1, 31))
    assert periods.from_query({}, None) is None
    assert periods.from_query({}, "year").kind == "year"


@pytest.mark.parametrize("args,field,reason", [
    ({"period": "decade"}, "period", "one of week, month, quarter, year, custom"),
    ({"from": "2026-02-30", "to": "2026-03-01"}, "from", "bad_date"),
    ({"period": "month", "date": "yesterday"}, "date", "bad_date"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "from", "after_to"),
    ({"period": "custom", "from": "2026-03-01"}, "to", "required"),
    ({"to": "2026-03-01"}, "from", "required"),
    ({"from": "2020-01-01", "to": "2026-03-01"}, "to", "too_long"),
])
def test_bad_query_parameters_are_refused_with_the_field(args, field, reason):
    with pytest.raises(Invalid) as caught:
        periods.from_query(args, None)
    assert reason in caught.value.errors[field]


def test_reports_keep_their_own_default_and_bound():
    assert make_period(None, None, today=date(2026, 11, 30)) == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert make_period(date(2024, 1, 1), date(2026, 11, 30)).days == 1065  # two years is not too long for a report
    with pytest.raises(Invalid, match="three years"):
        make_period(date(2020, 1, 1), date(2026, 11, 30))


def test_the_api_refuses_a_bad_period_as_a_json_error_and_writes_nothing(client, db, tree, login_as):
    member, headers = login_as("member", tree.branch1)
    before = db.session.scalar(select(func.count(PointsEntry.id)))
    for query in ("period=decade", "period=custom&from=2026-05-01", "from=2026-05-02&to=2026-05-01",
                  "from=not-a-day&to=2026-05-01"):
        resp = client.get(f"/api/v1/members/{member.id}/points?{query}", headers=headers)
        # the points history is a list: its query parameters answer as every list's do (400, the field named)
        assert_error(resp, 400 if query in ("period=decade", "from=not-a-day&to=2026-05-01") else 422)
        assert resp.get_json()["message"] and (resp.status_code == 422 or resp.get_json()["errors"])
    resp = client.get(f"/api/v1/orgs/{tree.branch1.id}/rankings?period=fortnight", headers=headers)
    assert_error(resp, 400)  # rankings are a paged list too
    assert db.session.scalar(select(func.count(PointsEntry.id))) == before


def test_the_report_page_refuses_a_bad_day(client, db, tree, login_as):
    member, headers = login_as("member", tree.branch1)
    resp = client.get(f"/api/v1/members/{member.id}/report?from=2026-13-01", headers=headers)
    assert_error(resp, 422)
