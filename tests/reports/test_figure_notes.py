"""Honest labels (issue 14 point 4): every figure on the member report, the org report and the dashboards carries a
one-line explanation of how it is computed, in Chinese and in English; figures the policy keeps out of assessment
are marked. The test walks the rendered pages and checks every figure it finds, rather than a hand-picked few:
every headline figure (`.stat`), every chart (`.chart-wrap`) and every numeric column of a data table."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from learning.services import policy as policy_service
from tests.factories import bearer, make_member

CJK = re.compile(r"[\u4e00-\u9fff]")
NUMERIC = re.compile(r"^[\d.,%/ —✓-]*\d[\d.,%/ —✓-]*$")
MOMENT = re.compile(r"\d{4}/\d{1,2}/\d{1,2}|\d{1,2}:\d{2}")  # a date or a time says when: no figure


class Figures(HTMLParser):
    """Collects the figures of a page: each headline figure and chart with the note it carries, and each table
    column whose body cells are all numbers with its header's note."""

    def __init__(self):
        super().__init__()
        self.stats: list[tuple[str, str | None]] = []  # (label text, note)
        self.charts: list[tuple[str, str | None]] = []  # (aria-label, note of the heading or caption before it)
        self.columns: list[tuple[str, str | None]] = []  # (header text, note) of numeric columns
        self._stack: list[tuple[str, dict]] = []
        self._last_note: str | None = None  # the title of the latest heading, or a .chart-note
        self._stat: dict | None = None
        self._table: dict | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag not in ("br", "img", "input", "meta", "link", "path", "rect", "line", "circle"):
            self._stack.append((tag, a))
        if "stat" in classes:
            self._stat = {"note": a.get("title"), "depth": len(self._stack), "text": []}
        if tag in ("h2", "h3", "h4"):
            self._last_note = a.get("title")
        if "chart-note" in classes:
            self._last_note = a.get("title") or "(caption)"
        if "chart-wrap" in classes:
            self._pending_chart = True
        if tag == "svg" and getattr(self, "_pending_chart", False):
            self.charts.append((a.get("aria-label", ""), self._last_note))
            self._pending_chart = False
            self._last_note = None
        if tag == "table" and "data" in classes:
            self._table = {"heads": [], "rows": [], "row": None}
        if self._table is not None and tag == "tr":
            self._table["row"] = []
        if self._table is not None and tag in ("th", "td"):
            self._cell = []
            self._cell_note = a.get("title")

    def handle_endtag(self, tag):
        if self._table is not None and tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if tag == "th" and not self._table["rows"] and self._table["row"] is not None \
                    and self._in("thead"):
                self._table["heads"].append((text, self._cell_note))
            else:
                self._table["row"].append(text)
            self._cell = None
        if self._table is not None and tag == "tr" and self._table["row"] and not self._in("thead"):
            self._table["rows"].append(self._table["row"])
        if tag == "table" and self._table is not None:
            for i, (head, note) in enumerate(self._table["heads"]):
                cells = [r[i] for r in self._table["rows"] if i < len(r)]
                if cells and head != "#" and not any(MOMENT.search(c) for c in cells) \
                        and all(NUMERIC.match(c) or c in ("—", "") for c in cells) and any(NUMERIC.match(c) for c in cells):
                    self.columns.append((head, note))
            self._table = None
        while self._stack:
            open_tag, _ = self._stack.pop()
            if open_tag == tag:
                break
        if self._stat is not None and len(self._stack) < self._stat["depth"]:
            self.stats.append((" ".join("".join(self._stat["text"]).split()), self._stat["note"]))
            self._stat = None

    def _in(self, tag: str) -> bool:
        return any(t == tag for t, _ in self._stack)

    def handle_data(self, data):
        if self._stat is not None:
            self._stat["text"].append(data)
        if self._cell is not None:
            self._cell.append(data)


def figures(html: str) -> Figures:
    parser = Figures()
    parser.feed(html)
    return parser


def _assert_explained(page: Figures, language: str, where: str):
    found = [("figure", *s) for s in page.stats] + [("chart", *c) for c in page.charts] + \
        [("column", *c) for c in page.columns]
    assert page.stats, f"{where}: no figures found at all"
    missing = [(kind, label) for kind, label, note in found if not (note or "").strip()]
    assert not missing, f"{where} ({language}): figures without an explanation: {missing}"
    for kind, label, note in found:
        if note == "(caption)":
            continue
        if language == "zh":
            assert CJK.search(note), f"{where}: the note of {label!r} is not in Chinese: {note!r}"
        else:
            assert len(re.findall(r"[A-Za-z]{3,}", note)) >= 3, f"{where}: the note of {label!r} is not English"


def _pages(client, history, reader, language):
    member = history.members[0]
    query = history.query() | {"lang": language}
    return {
        "member report": client.get(f"/reports/members/{member.id}", query_string=query, headers=bearer(reader)),
        "org report": client.get(f"/reports/orgs/{history.tree.committee.id}", query_string=query,
                                 headers=bearer(reader)),
        "branch report": client.get(f"/reports/orgs/{history.tree.branch1.id}", query_string=query,
                                    headers=bearer(reader)),
        "dashboard": client.get("/", query_string={"lang": language}, headers=bearer(reader)),
    }


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_figure_of_the_reports_and_dashboards_is_explained(client, db, history, language):
    reader = make_member(history.tree.branch1, roles=[("reviewer", history.tree.committee),
                                                      ("organiser", history.tree.branch1)])
    db.session.commit()
    for where, resp in _pages(client, history, reader, language).items():
        assert resp.status_code == 200, (where, resp.status_code)
        _assert_explained(figures(resp.get_data(as_text=True)), language, where)


def test_a_figure_the_policy_keeps_out_of_assessment_is_marked(client, db, history):
    policy_service.update_policy(history.tree.committee, {"online_time_statistics": True,
                                                          "study_time_in_evaluation": False})
    reader = make_member(history.tree.branch3, roles=[("reviewer", history.tree.committee)])
    db.session.commit()
    member = history.members[0]
    for path in (f"/reports/members/{member.id}", f"/reports/orgs/{history.tree.committee.id}"):
        page = figures(client.get(path, query_string=history.query(), headers=bearer(reader)).get_data(as_text=True))
        marked = [label for label, _ in page.stats if "不计入考评" in label]
        assert marked and all("学习" in label for label in marked), (path, page.stats)
