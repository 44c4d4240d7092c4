"""Page furniture other packages plug into: navigation links, home-page panels and sections of other pages."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Callable[[], str]  # lazy, so it is translated per request
    visible: Callable[[object], bool]
    order: int


@dataclass(frozen=True)
class HomePanel:
    template: str
    context: Callable[[object], dict | None]  # None hides the panel for this member
    order: int


@dataclass(frozen=True)
class PageSection:
    page: str  # e.g. "course": the page that renders `page_sections("course", member, course=...)`
    template: str
    context: Callable[..., dict | None]  # context(member, **objects); None hides the section
    order: int


NAV: list[NavItem] = []
PANELS: list[HomePanel] = []
SECTIONS: list[PageSection] = []


def register_nav(endpoint: str, label: Callable[[], str], visible: Callable[[object], bool] = lambda m: True,
                 order: int = 50) -> None:
    """Add a top navigation link shown to members for whom `visible(member)` holds."""
    if all(item.endpoint != endpoint for item in NAV):
        NAV.append(NavItem(endpoint, label, visible, order))
        NAV.sort(key=lambda item: item.order)


def register_home_panel(template: str, context: Callable[[object], dict | None], order: int = 50) -> None:
    """Add a panel to the home page; `context(member)` returns its template variables or None."""
    if all(panel.template != template for panel in PANELS):
        PANELS.append(HomePanel(template, context, order))
        PANELS.sort(key=lambda panel: panel.order)


def register_page_section(page: str, template: str, context: Callable[..., dict | None], order: int = 50) -> None:
    """Add a section to another package's page; `context(member, **objects)` returns its variables or None.

    This is how a package shows its things on a page of a package it may not import (a course exam
    on the course page), without that package importing it either.
    """
    if all((s.page, s.template) != (page, template) for s in SECTIONS):
        SECTIONS.append(PageSection(page, template, context, order))
        SECTIONS.sort(key=lambda s: s.order)


def nav_items() -> list[dict]:
    """The navigation links for the current member."""
    if not current_user.is_authenticated:
        return []
    member = current_user._get_current_object()
    return [{"url": url_for(item.endpoint), "label": item.label()} for item in NAV if item.visible(member)]


def home_panels(member) -> list[dict]:
    """The home page panels for a member, each with its template and context."""
    panels = []
    for panel in PANELS:
        context = panel.context(member)
        if context is not None:
            panels.append({"template": panel.template, **context})
    return panels


def page_sections(page: str, member, **objects) -> list[dict]:
    """The sections other packages add to a page for this member, each with its template and context."""
    sections = []
    for section in SECTIONS:
        if section.page != page:
            continue
        context = section.context(member, **objects)
        if context is not None:
            sections.append({"template": section.template, **context})
    return sections
