"""Courses as packages that may not import `courses` see them (a course exam in quizzes).

The courses package provides the directory in its `register(app)`; the functions here ask it. Without
a provider (courses not installed) every lookup answers "no course". Nobody reads the `course` table
but courses itself.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..models import Org


@dataclass(frozen=True)
class CourseDirectory:
    """What courses tells other packages about its courses, by id."""

    titles: Callable[[set[int]], dict[int, str]]  # ids -> titles of those that exist
    for_org: Callable[[Org], list[tuple[int, str]]]  # (id, title) published for the org's members, by title
    visible_at: Callable[[Org, int], bool]  # published and meant for the org's members (or those below it)
    published_titled: Callable[[list[str]], dict[str, int]]  # title -> id of a published course
    page_url: Callable[[int], str]  # the course page's address


_directory: list[CourseDirectory] = []


def provide_course_directory(directory: CourseDirectory) -> None:
    """Make `directory` the one the lookups ask (the courses package does this); idempotent."""
    _directory[:] = [directory]


def _provider() -> CourseDirectory | None:
    return _directory[0] if _directory else None


def course_titles(course_ids: Iterable[int | None]) -> dict[int, str]:
    """Titles of the given courses by id (missing ids are left out)."""
    ids = {i for i in course_ids if i}
    provider = _provider()
    return provider.titles(ids) if provider and ids else {}


def courses_for_org(org: Org) -> list[tuple[int, str]]:
    """(id, title) of the published courses meant for this org's members, by title."""
    provider = _provider()
    return provider.for_org(org) if provider else []


def course_visible_at(org: Org, course_id: int) -> bool:
    """Whether the course exists, is published and is meant for this org's members (or those below it)."""
    provider = _provider()
    return bool(provider and provider.visible_at(org, course_id))


def published_courses_titled(titles: Iterable[str]) -> dict[str, int]:
    """Ids of published courses by title (the newest when several share a title)."""
    provider = _provider()
    return provider.published_titled(list(titles)) if provider else {}


def course_url(course_id: int) -> str | None:
    """The course page's address, when a courses package serves one."""
    provider = _provider()
    return provider.page_url(course_id) if provider else None
