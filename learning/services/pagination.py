"""The one pagination style of the API and the pages.

API: `?page=1&per_page=50&q=…&sort=name` (per_page at most 200; `sort` one of the list's keys, a leading
`-` for descending) in, and `{"items": [...], "total": N, "page": P, "per_page": K}` out. Query schemas
inherit `learning.schemas.ListQuerySchema` (or `PageQuerySchema` for a list without search and sorting),
response schemas `learning.schemas.PageSchema`, and the handler returns `paginate(statement, query,
sorts=…, default=…, search=…)`. A bad parameter is a 400 `{"code": "bad_request", "message"}` (schemas
are declared with `error_status_code=400`; an unknown sort key raises `BadListParameter`).

Pages: `listing(statement, request.args, sorts=…, default=…, search=…)` reads the same parameters
leniently (a bad page or sort falls back to the default, so a hand-edited address still shows a page)
and gives a `Listing` with the page's items, the page count and the query arguments for the pager and
the sort links (`learning/_macros.html`: `pager`, `sort_link`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from ..errors import DomainError
from ..extensions import db

MAX_PAGE = 100_000  # an offset the database holds
MAX_PER_PAGE = 200
MAX_QUERY = 64


class BadListParameter(DomainError):
    """A list's query parameter it does not accept (400)."""

    status = 400
    code = "bad_request"


def refuse_old_paging(args: Mapping, names: Sequence[str] = ("limit", "offset")) -> None:
    """A list that paged (or cut) with `limit`/`offset` before the API had one style says so (400) rather than
    ignore them (webargs drops unknown query parameters)."""
    old = [k for k in names if k in args]
    if old:
        raise BadListParameter("Use page and per_page to page this list.", {k: ["use_page"] for k in old})


def sort_keys(sorts: Mapping) -> list[str]:
    """Every `sort` value a list accepts: each key ascending, and descending with a leading `-`."""
    return [k for key in sorts for k in (key, f"-{key}")]


def _ordered(stmt, sort: str, sorts: Mapping[str, Sequence], tie=None, first: Sequence = ()):
    desc = sort.startswith("-")
    columns = sorts[sort.lstrip("-")]
    order = [*first, *(c.desc() if desc else c.asc() for c in columns)]
    if tie is not None:
        order.append(tie.desc() if desc else tie.asc())
    return stmt.order_by(*order)


def _searched(stmt, q: str | None, search: Sequence):
    q = (q or "").strip()
    if not q or not search:
        return stmt
    return stmt.where(or_(*(c.contains(q, autoescape=True) for c in search)))


def _page(stmt, page: int, per_page: int) -> tuple[list, int]:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return items, total


def paginate(stmt, query: dict, *, sorts: Mapping[str, Sequence] | None = None, default: str | None = None,
             search: Sequence = (), tie=None, first: Sequence = ()) -> dict:
    """One page of a select statement, searched (`q` in any of the `search` columns) and sorted (`sort`,
    one of `sorts`' keys; `tie` breaks ties; `first`, ordering terms that lead whatever the sort, such as
    pinned rows on top), with the total count, in the API's envelope. Without `sorts` the statement is
    expected to be ordered already."""
    stmt = _searched(stmt, query.get("q"), search)
    if sorts:
        sort = query.get("sort") or default
        if sort not in sort_keys(sorts):
            raise BadListParameter("This list cannot be sorted that way.", {"sort": sort_keys(sorts)})
        stmt = _ordered(stmt, sort, sorts, tie, first)
    items, total = _page(stmt, query["page"], query["per_page"])
    return {"items": items, "total": total, "page": query["page"], "per_page": query["per_page"]}


def page_of(items: list, query: dict) -> dict:
    """The envelope for a list already computed in memory (a list of rows built in Python)."""
    start = (query["page"] - 1) * query["per_page"]
    return {"items": items[start:start + query["per_page"]], "total": len(items), "page": query["page"],
            "per_page": query["per_page"]}


@dataclass
class Listing:
    """One page of a list page, with what its pager and sort links need."""

    items: list
    total: int
    page: int
    per_page: int
    q: str = ""
    sort: str = ""
    extra: dict = field(default_factory=dict)  # the page's own filters, kept in its links

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def args(self) -> dict:
        """Query arguments of the current view, without the page (for the pager)."""
        return {k: v for k, v in {"q": self.q, "sort": self.sort, **self.extra}.items() if v not in (None, "")}


def page_params(args: Mapping, sorts: Mapping | None = None, default: str = "", per_page: int = 20) -> dict:
    """A page's list parameters, read leniently: `page` (a number from 1), `q` (trimmed, at most 64
    characters) and `sort` (one of the keys, else `default`)."""
    raw = str(args.get("page") or "1")
    page = min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) > 0 else 1
    sort = args.get("sort") or default
    if sorts is not None and sort not in sort_keys(sorts):
        sort = default
    return {"page": page, "per_page": per_page, "q": (args.get("q") or "").strip()[:MAX_QUERY], "sort": sort}


def listing(stmt, args: Mapping, *, sorts: Mapping[str, Sequence], default: str, search: Sequence = (),
            per_page: int = 20, tie=None, first: Sequence = (), extra: dict | None = None) -> Listing:
    """One page of a list page (see the module's docstring); a page past the end shows the last page.
    `first`: ordering terms that lead whatever the sort (pinned rows on top)."""
    params = page_params(args, sorts, default, per_page)
    stmt = _ordered(_searched(stmt, params["q"], search), params["sort"], sorts, tie, first)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = min(params["page"], max(1, -(-total // per_page)))
    items = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).all() if total else []
    return Listing(items, total, page, per_page, params["q"], params["sort"], extra or {})


def listing_of(rows: list, args: Mapping, *, sorts: Mapping[str, callable], default: str,
               search: callable | None = None, per_page: int = 20, extra: dict | None = None) -> Listing:
    """`listing` for rows computed in memory: `sorts` maps each key to a row's sort value (None last),
    `search(row, q)` says whether a row matches."""
    params = page_params(args, sorts, default, per_page)
    if params["q"] and search is not None:
        rows = [r for r in rows if search(r, params["q"])]
    key = sorts[params["sort"].lstrip("-")]
    desc = params["sort"].startswith("-")
    present = sorted((r for r in rows if key(r) is not None), key=key, reverse=desc)
    rows = present + [r for r in rows if key(r) is None]
    total = len(rows)
    page = min(params["page"], max(1, -(-total // per_page)))
    return Listing(rows[(page - 1) * per_page:page * per_page], total, page, per_page, params["q"], params["sort"],
                   extra or {})
