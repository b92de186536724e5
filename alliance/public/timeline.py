"""The chronology: its filters (kind and body, from the query string), the records they
select, and the same records drawn to scale as an inline SVG, one lane per kind.

The drawing is made on the server (no script): a time axis whose ticks are chosen from
the range shown (decades for the whole registry, months for one year), and each record a
mark at its date that links to its page. A date known only to the year, fiscal year or
month is drawn as a span over that period, not as a point. Marks that would overlap are
stacked in rows within their lane; a period too dense for the rows left is drawn as one
mark with its count, linking to that year.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Agreement, Body, Event, Meeting
from ..models.base import english_active, needs_lang_ja
from ..models.meetings import MeetingDocument
from ..partial_dates import day_or_bound, next_day
from .diagram import text_width
from .entities import attendees

# The lanes, top to bottom: (type, label).
LANES = (
    ("agreement", gettext_lazy("協定・文書")),
    ("meeting", gettext_lazy("会議")),
    ("event", gettext_lazy("出来事")),
)
TYPES = tuple(kind for kind, _label in LANES)
# The query parameters the page reads (any other is redirected away: views.canonical_query).
PARAMS = {"type", "body", "year"}
MAX_SHOWN = 40  # characters of a value quoted back in a notice
MAX_VALUES = 20  # values of one parameter read
MAX_NOTICES = 5  # unknown parameters named



def _quoted(raw: str) -> str:
    raw = raw.replace("\x00", "")
    return raw if len(raw) <= MAX_SHOWN else raw[:MAX_SHOWN] + "…"


def _values(params, name: str) -> list[str]:
    """The non-empty values of one parameter, the first few, without NUL characters
    (which PostgreSQL text cannot hold)."""
    values = (value.replace("\x00", "").strip() for value in params.getlist(name)[:MAX_VALUES])
    return [value for value in values if value]


# --- filters ---------------------------------------------------------------------


@dataclass
class Filters:
    types: tuple[str, ...] = TYPES  # the kinds shown, in lane order
    bodies: list = field(default_factory=list)  # published bodies chosen (empty: all)
    year: int | None = None  # a year asked for (None: none, or not a year)
    notices: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.types != TYPES or bool(self.bodies)

    def query(self, **changes) -> str:
        """The query string of these filters (the year left out unless given)."""
        params = [("type", t) for t in self.types] if self.types != TYPES else []
        params += [("body", b.slug) for b in self.bodies]
        if changes.get("year"):
            params.append(("year", changes["year"]))
        return urlencode(params)


def read_filters(params) -> Filters:
    """The filters in ``params`` (a QueryDict). Values that name no kind or no published
    body are left out with a notice saying so; nothing in the query string raises."""
    filters = Filters()
    for key in [key for key in params if key not in PARAMS][:MAX_NOTICES]:
        filters.notices.append(_("「%(name)s」という条件はありません（無視しました）。") % {"name": _quoted(key)})
    raw_types = _values(params, "type")
    types = set()
    for raw in raw_types:
        if raw in TYPES:
            types.add(raw)
        else:
            filters.notices.append(
                _("「%(value)s」という種類はありません。種類は agreement（協定・文書）、meeting（会議）、event（出来事）です。")
                % {"value": _quoted(raw)}
            )
    if types:
        filters.types = tuple(t for t in TYPES if t in types)
    slugs = _values(params, "body")
    if slugs:
        # A slug is at most 120 characters; a longer value names nothing.
        found = {b.slug: b for b in Body.objects.published().filter(slug__in=[s for s in slugs if len(s) <= 120])}
        for slug in slugs:
            if slug not in found:
                filters.notices.append(_("「%(value)s」という協議体は見つかりません。") % {"value": _quoted(slug)})
        filters.bodies = [found[s] for s in dict.fromkeys(slugs) if s in found]
    raw_year = next(iter(_values(params, "year")), "")
    if raw_year:
        if raw_year.isascii() and raw_year.isdigit() and len(raw_year) == 4:
            filters.year = int(raw_year)
        else:
            filters.notices.append(_("「%(value)s」は年として読めません（例: 1960）。") % {"value": _quoted(raw_year)})
    return filters


def querysets(filters: Filters) -> dict:
    """{type: (published queryset of dated records, the date field)} for the kinds shown."""
    agreements = Agreement.objects.published().exclude(made_date=None)
    meetings = Meeting.objects.published().exclude(start_date=None)
    events = Event.objects.published().exclude(start_date=None)
    if filters.bodies:
        bodies = [b.pk for b in filters.bodies]
        # An agreement belongs to a body when it is the body's legal basis or a document
        # signed, issued, adopted or approved at one of the body's meetings.
        agreements = agreements.filter(
            Q(pk__in=Body.objects.published().filter(pk__in=bodies).values("legal_basis"))
            | Q(pk__in=MeetingDocument.objects.published().filter(meeting__body__in=bodies).values("agreement"))
        )
        meetings = meetings.filter(body__in=bodies)
        events = events.filter(pk__in=Event.bodies.through.objects.filter(body__in=bodies).values("event"))
    every = {"agreement": (agreements, "made_date"), "meeting": (meetings, "start_date"), "event": (events, "start_date")}
    return {kind: every[kind] for kind in filters.types}


def year_counts(sets: dict) -> dict[int, int]:
    counts = {}
    for qs, date_name in sets.values():
        for year, n in qs.annotate(year=ExtractYear(date_name)).order_by().values_list("year").annotate(n=Count("pk")):
            counts[year] = counts.get(year, 0) + n
    return counts


@dataclass
class Item:
    kind: str
    when: object  # PartialDate
    obj: object

    @property
    def title(self) -> str:
        return self.obj.title

    @property
    def url(self) -> str:
        return self.obj.get_absolute_url()


def items(sets: dict, year: int | None) -> list[Item]:
    """The records, each with the date that places it, in date order (a query per kind)."""
    out = []
    for kind, (qs, date_name) in sets.items():
        if year is not None:
            qs = qs.filter(**{f"{date_name}__year": year})
        if kind == "agreement":
            out += [Item(kind, a.dated[1], a) for a in qs]
        elif kind == "meeting":
            out += [Item(kind, m.start, m) for m in qs.select_related("body").prefetch_related(attendees())]
        else:
            out += [Item(kind, e.start, e) for e in qs]
    out.sort(key=lambda i: (i.when, TYPES.index(i.kind), i.obj.pk))
    return out


# --- the drawing -------------------------------------------------------------------

WIDTH = 1100  # px: the SVG is drawn at this size (scrolled sideways in a narrow window)
LEFT, RIGHT = 12, 12
AXIS = 28  # the axis band above the lanes
LANE_HEAD = 20  # the lane's name above its rows
ROW = 10  # one row of marks
MARK = 7  # a mark's height
MIN_MARK = 3  # a day is at least this wide
MAX_ROWS = 8  # rows in a lane before a period's marks are counted instead
GAP = 1
LABEL_EVERY = 240  # px between repetitions of a lane's name
LABEL_SIZE = 13  # px, the lane names' font size in site.css (.chrono-chart .lane-label)


def _ticks(start: datetime.date, end: datetime.date) -> tuple[list[datetime.date], list[datetime.date], str]:
    """(major ticks, minor ticks, unit) for the range [start, end)."""
    years = end.year - start.year
    if years <= 1:
        majors = [datetime.date(start.year, m, 1) for m in range(1, 13)]
        return majors, [], "month"
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000) if years / s <= 12)
    first = -(-start.year // step) * step
    majors = [datetime.date(y, 1, 1) for y in range(first, end.year + 1, step)]
    minor_step = {1: 0, 2: 1, 5: 1, 10: 1, 20: 5, 25: 5, 50: 10, 100: 10}.get(step, step // 10)
    minors = [datetime.date(y, 1, 1) for y in range(start.year, end.year + 1, minor_step)] if minor_step else []
    return majors, [d for d in minors if d not in majors], "year"


def _month_label(month: int) -> str:
    return calendar.month_abbr[month] if english_active() else f"{month}月"


def _attrs(**attrs) -> str:
    return "".join(f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"' for name, value in attrs.items() if value is not None)


def _el(tag: str, content: str = "", **attrs) -> str:
    return f"<{tag}{_attrs(**attrs)}>{content}</{tag}>"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _lang(text: str) -> str | None:
    return "ja" if needs_lang_ja(text) else None


@dataclass
class Mark:
    item: Item
    x: float
    width: float
    row: int = 0


def _stack(marks: list[Mark]) -> tuple[list[Mark], list[Mark]]:
    """Give each mark the first row where it overlaps nothing; (placed, left over)."""
    ends: list[float] = []
    placed, over = [], []
    for mark in sorted(marks, key=lambda m: (m.x, -m.width)):
        row = next((r for r, end in enumerate(ends) if end <= mark.x), len(ends))
        if row == len(ends):
            if row >= MAX_ROWS:
                over.append(mark)
                continue
            ends.append(0.0)
        ends[row] = mark.x + mark.width + GAP
        mark.row = row
        placed.append(mark)
    return placed, over


def draw(all_items: list[Item], year: int | None, kinds: tuple[str, ...], link_year) -> str:
    """The SVG (safe markup) of ``all_items`` in lanes for ``kinds``; ``year`` draws one
    year with month ticks. ``link_year(year)`` is the URL of one year's page, which a
    count of marks too dense to draw links to."""
    if not all_items:
        return ""
    if year is not None:
        start, end = datetime.date(year, 1, 1), day_or_bound(year + 1, 1, 1)
    else:
        start = datetime.date(min(i.when.start for i in all_items).year, 1, 1)
        end = day_or_bound(max(i.when.end for i in all_items).year + 1, 1, 1)
    days = (end - start).days
    plot = WIDTH - LEFT - RIGHT

    def x_of(day: datetime.date) -> float:
        day = min(max(day, start), end)
        return LEFT + (day - start).days / days * plot

    english = english_active()
    out = []
    y = AXIS
    lanes = []
    for kind in kinds:
        marks = []
        for item in (i for i in all_items if i.kind == kind):
            x0 = x_of(item.when.start)
            x1 = x_of(next_day(item.when.end))
            marks.append(Mark(item, x0, max(x1 - x0, MIN_MARK)))
        placed, over = _stack(marks)
        clusters = {}
        for mark in over:
            key = mark.item.when.start.year if year is None else mark.item.when.start.month
            clusters.setdefault(key, []).append(mark)
        rows = max((m.row + 1 for m in placed), default=1) + (1 if clusters else 0)
        height = LANE_HEAD + rows * ROW + 8
        lanes.append((kind, y, height, placed, clusters))
        y += height
    total_height = y + 4

    # Grid and axis.
    majors, minors, unit = _ticks(start, end)
    for day in minors:
        out.append(_el("line", x1=_num(x_of(day)), x2=_num(x_of(day)), y1=str(AXIS), y2=str(total_height - 4), class_="minor"))
    for day in majors:
        if not start <= day <= end:
            continue
        x = _num(x_of(day))
        out.append(_el("line", x1=x, x2=x, y1=str(AXIS - 6), y2=str(total_height - 4), class_="major"))
        if day < end:
            label = _month_label(day.month) if unit == "month" else str(day.year)
            anchor = "start" if unit == "month" else "middle"
            lx = _num(x_of(day) + 3) if unit == "month" else x
            if unit != "month" and x_of(day) > WIDTH - RIGHT - 14:
                anchor = "end"
            elif unit != "month" and x_of(day) < LEFT + 14:
                anchor = "start"
            out.append(_el("text", escape(label), x=lx, y=str(AXIS - 10), class_="tick", text_anchor=anchor))

    for kind, top, height, placed, clusters in lanes:
        label = dict(LANES)[kind]
        lane = [_el("rect", x="0", y=_num(top), width=str(WIDTH), height=_num(height), class_="lane-band")]
        # The name again every LABEL_EVERY px: the chart scrolls sideways on a phone, and
        # a lane must still say what it is wherever it is scrolled to.
        last = WIDTH - RIGHT - text_width(str(label), LABEL_SIZE) - 16  # where the last, right-aligned one starts
        for lx in (x for x in range(LEFT, WIDTH, LABEL_EVERY) if x == LEFT or x + text_width(str(label), LABEL_SIZE) < last):
            lane.append(_el("text", escape(str(label)), x=str(lx), y=_num(top + 14), class_="lane-label" if lx == LEFT else "lane-label again"))
        lane.append(_el("text", escape(str(label)), x=str(WIDTH - RIGHT), y=_num(top + 14), class_="lane-label again", text_anchor="end"))
        for mark in placed:
            item = mark.item
            when = item.when.display()
            title = f"{when} {item.title}"
            partial = item.when.precision != "day"
            rect = _el(
                "rect",
                x=_num(mark.x),
                y=_num(top + LANE_HEAD + mark.row * ROW),
                width=_num(mark.width),
                height=str(MARK),
                class_="partial" if partial else None,
            )
            lane.append(_el("a", _el("title", escape(title), lang=_lang(title)) + rect, href=item.url, class_="mark"))
        if clusters:
            row_y = top + LANE_HEAD + (max((m.row + 1 for m in placed), default=0)) * ROW
            for key, marks in sorted(clusters.items()):
                if year is None:
                    period_start, period_end = datetime.date(key, 1, 1), day_or_bound(key + 1, 1, 1)
                    href = link_year(key)
                    what = str(key) if english else f"{key}年"
                else:
                    period_start = datetime.date(year, key, 1)
                    period_end = day_or_bound(year + key // 12, key % 12 + 1, 1)
                    href = f"#y{year}"
                    what = f"{calendar.month_name[key]} {year}" if english else f"{year}年{key}月"
                x0, x1 = x_of(period_start), x_of(period_end)
                count = len(marks)
                title = _("%(period)s: ほかに%(count)s件（下の一覧に）") % {"period": what, "count": count}
                body = _el("title", escape(title)) + _el(
                    "rect", x=_num(x0), y=_num(row_y), width=_num(max(x1 - x0, MIN_MARK)), height=str(MARK + 2), class_="cluster"
                )
                body += _el("text", f"+{count}", x=_num((x0 + x1) / 2), y=_num(row_y + MARK), class_="count", text_anchor="middle")
                lane.append(_el("a", body, href=href, class_="more"))
        out.append(_el("g", "".join(lane), class_=f"lane {kind}"))

    counts = {kind: sum(1 for i in all_items if i.kind == kind) for kind in kinds}
    summary = "、".join(f"{dict(LANES)[k]} {n}" for k, n in counts.items()) if not english else ", ".join(
        f"{dict(LANES)[k]}: {n}" for k, n in counts.items()
    )
    last = end.year - 1
    if english:
        span = f"{start.year}" if start.year == last else f"{start.year}–{last}"
    else:
        span = f"{start.year}年" if start.year == last else f"{start.year}年〜{last}年"
    title = _("年表（%(span)s、縮尺どおり）") % {"span": span}
    desc = _("横軸は時間（左が古い）。種類ごとの帯に、各記録をその日付の位置に置いています（%(summary)s件）。年・月までしか分からない日付は、その期間の幅で描いています。同じ内容は下の一覧にあります。") % {
        "summary": summary
    }
    head = _el("title", escape(title), id="chrono-svg-title") + _el("desc", escape(desc), id="chrono-svg-desc")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chrono-chart" role="group" aria-labelledby="chrono-svg-title chrono-svg-desc"'
        f' width="{WIDTH}" height="{_num(total_height)}" viewBox="0 0 {WIDTH} {_num(total_height)}">'
        + head
        + "".join(out)
        + "</svg>"
    )
    return mark_safe(svg)


# --- the page ------------------------------------------------------------------------


def body_choices(filters: Filters) -> list[tuple[str, str, str | None, bool]]:
    """(slug, name, lang, selected) of each published body, for the form's select."""
    chosen = {b.slug for b in filters.bodies}
    out = []
    for body in Body.objects.published().order_by("name_sort", "pk"):
        name = body.name
        out.append((body.slug, name, _lang(name), body.slug in chosen))
    return out


def page(request, all_up_to: int) -> dict:
    """The chronology page's context: filters, the year index, the drawing and the list.

    Up to ``all_up_to`` records are shown whole; more are shown a year at a time (the
    latest unless ``?year=`` names another); a year may always be asked for.
    """
    filters = read_filters(request.GET)
    sets = querysets(filters)
    counts = year_counts(sets)
    years = sorted(counts)
    paged = sum(counts.values()) > all_up_to and bool(years)
    selected = None
    if filters.year is not None:
        if filters.year in counts:
            selected = filters.year
        else:
            filters.notices.append(_("%(year)s年の記録はありません。") % {"year": filters.year})
    if selected is None and paged:
        selected = years[-1]
    records = items(sets, selected)
    timeline = {}
    for item in records:
        timeline.setdefault(item.when.start.year, []).append((item.when, item.kind, item.obj))

    def link_year(y):
        return "?" + filters.query(year=y)

    chart = draw(records, selected, filters.types, link_year)
    index = [(y, counts[y], link_year(y)) for y in years]
    lanes = [(kind, label, kind in filters.types) for kind, label in LANES]
    return {
        "timeline": sorted(timeline.items()),
        "index": [(y, n) for y, n, _link in index],
        "year_links": index,
        "selected": selected,
        "paged": paged,
        "chart": chart,
        "filters": filters,
        "lanes": lanes,
        "bodies": body_choices(filters),
        "notices": filters.notices,
        "filter_query": filters.query(),
        "count": len(records),
    }
