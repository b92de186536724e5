"""What a public list needs, declared once per entity and shared by its page and its CSV.

A :class:`Listing` names the filters, search fields, sorts and CSV columns of one list.
``Listing.read(request.GET)`` turns a query string into a :class:`ListState` — values
that parsed, plus a notice for each that did not (a bad value is ignored, never a
500) — and ``state.queryset()`` is the one filtered, searched, sorted queryset both
the page and the CSV use, so they cannot disagree.

Pages are cut by keyset (``after``/``before`` cursors on the sort column and the id),
so a page deep into a large table costs what the first page costs.
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
from dataclasses import dataclass, field, replace
from typing import NamedTuple
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Count, F, Prefetch, Q, Subquery, Value
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import LAST_ASCENDING, LAST_DESCENDING
from ..models.base import english_active
from ..partial_dates import PartialDate, Precision, earliest_reaching, overlaps_q
from .search import normalize_query, search_q

PAGE_SIZE = 50
# The most rows one JSON page (or list page) holds, whatever ``limit`` asks for.
MAX_PAGE_SIZE = 500
FACET_LIMIT = 40


class FacetHead(NamedTuple):
    param: str
    label: str


class BadValue(ValueError):
    """A query-string value that cannot be used; its message is shown to the reader."""


# --- filters ---------------------------------------------------------------------


class Filter:
    """A query-string parameter (or several) that narrows a list.

    A filter owns its parameters from end to end: ``read`` takes them from the query
    string (a bad value becomes a notice, never an error), ``apply`` narrows a queryset,
    ``describe`` says it in the list's sentence, ``inputs`` gives the boxes of the
    list's date form, and a facet filter counts its options with ``facet_options``.
    """

    facet = False
    # Whether the filter reads only columns the sort indexes hold, so that a page with it
    # in use chooses its ids from the index alone (ListState.page).
    in_sort_index = False

    def selects(self, value, current) -> bool:
        """Whether the facet option ``value`` is the filter's current value."""
        return value == current

    def facet_field(self) -> str | None:
        """The field its facet counts by. When it is a column of the list's own rows (one
        value per row, ``one_per_row``), the list's count and every such facet are computed
        in one pass (``grouped_counts``); otherwise, or None: ``facet_options`` only."""
        return None

    def __init__(self, param: str, label):
        self.param = param
        self.label = label

    @property
    def params(self) -> list[str]:
        return [self.param]

    def read(self, params, notices: list):
        """The parsed value, or None when the parameter is absent or unusable."""
        raw = (params.get(self.param) or "").strip()
        if not raw:
            return None
        try:
            return self.parse(raw)
        except BadValue as exc:
            notices.append(str(exc))
            return None

    def parse(self, raw: str):
        raise NotImplementedError

    def apply(self, qs, value):
        raise NotImplementedError

    def describe(self, value) -> str:
        return f"{self.label}: {value}"

    def inputs(self, params) -> list:
        """(name, label, current text) for each box this filter has in the date form."""
        return []

    def parameters(self) -> list[dict]:
        """Its query parameters as OpenAPI describes them (the codebook lists them too)."""
        return [{"name": self.param, "in": "query", "description": str(self.label), "schema": self.schema()}]

    def schema(self) -> dict:
        return {"type": "string"}


class ChoicesFilter(Filter):
    """One of a fixed list of choices; a facet with a count beside each."""

    facet = True

    def __init__(self, param, label, choices):
        super().__init__(param, label)
        self.choices = list(choices)

    def parse(self, raw):
        labels = dict(self.choices)
        if raw not in labels:
            raise BadValue(_("「%(value)s」は%(label)sの選択肢にありません。") % {"value": raw, "label": self.label})
        return raw

    def describe(self, value):
        return f"{self.label}: {dict(self.choices)[value]}"

    def schema(self):
        return {"type": "string", "enum": [str(value) for value, _label in self.choices]}


class ChoiceFilter(ChoicesFilter):
    """A model field with fixed choices."""

    def __init__(self, param, label, field_name, choices):
        super().__init__(param, label, choices)
        self.field = field_name

    def apply(self, qs, value):
        return qs.filter(**{self.field: value})

    def facet_field(self):
        return self.field

    def facet_options(self, qs, current):
        return self.facet_from_counts(group_counts(qs, self.field), current)

    def facet_from_counts(self, counts, current):
        return [(value, label, counts.get(value, 0), value == current) for value, label in self.choices]


class BooleanFilter(ChoiceFilter):
    def __init__(self, param, label, field_name):
        super().__init__(param, label, field_name, [("yes", gettext_lazy("はい")), ("no", gettext_lazy("いいえ"))])

    def apply(self, qs, value):
        return qs.filter(**{self.field: value == "yes"})

    def facet_from_counts(self, counts, current):
        return [
            (value, label, counts.get(value == "yes", 0), value == current) for value, label in self.choices
        ]


class RelatedFilter(Filter):
    """A foreign key, chosen by the related record's slug; facets list the most used."""

    facet = True

    def __init__(self, param, label, field_name, model, name_field="name"):
        super().__init__(param, label)
        self.field = field_name
        self.model = model
        self.name_field = name_field  # what facets show: <name_field>_ja, _en
        # A model without a status (the sources) is public whole.
        self.publishable = any(f.name == "status" for f in model._meta.concrete_fields)

    def choosable(self):
        return self.model.objects.published() if self.publishable else self.model.objects.all()

    def parse(self, raw):
        obj = self.choosable().filter(slug=raw[:120]).first()
        if obj is None:
            raise BadValue(_("「%(value)s」という%(label)sは見つかりません。") % {"value": raw, "label": self.label})
        return obj

    def apply(self, qs, value):
        return qs.filter(**{self.field: value})

    def describe(self, value):
        return f"{self.label}: {getattr(value, 'name', None) or value}"

    def parameters(self):
        [parameter] = super().parameters()
        return [{**parameter, "description": _("%(label)s（スラッグ）") % {"label": self.label}}]

    def facet_field(self):
        return self.field

    def selects(self, value, current):
        return current is not None and value == current.slug

    def facet_options(self, qs, current):
        return self.facet_from_counts(group_counts(qs, self.field), current)

    def _labelled(self, keys, counts):
        return _labelled_rows(self.choosable(), keys, counts, self.name_field)

    def facet_from_counts(self, counts, current):
        """The counts grouped by the foreign key, then labelled: one small query for the
        names of the records counted (only the published ones are offered), never a
        group-by on names over the list's rows."""
        keys = [key for key in counts if key is not None and counts[key] > 0]
        # Names only for the most used (and any tied with the last of them): a facet over
        # 4,000 bodies read 4,000 names to show 40. Should drafts among them leave fewer
        # than FACET_LIMIT to show, the names of all are read.
        ranked = sorted((counts[key] for key in keys), reverse=True)
        candidates = [key for key in keys if counts[key] >= ranked[FACET_LIMIT - 1]] if len(keys) > FACET_LIMIT else keys
        rows = self._labelled(candidates, counts)
        if len(rows) < FACET_LIMIT and len(candidates) < len(keys):
            rows = self._labelled(keys, counts)
        rows = sorted(rows, key=lambda row: (-row[0], row[1]))[:FACET_LIMIT]
        english = english_active()
        return [
            (slug, (name_en if english and name_en else name_ja), n, current is not None and slug == current.slug)
            for n, name_ja, slug, name_en in rows
        ]


def _labelled_rows(choosable, keys, counts, name):
    """(count, name_ja, slug, name_en) of the published records among ``keys``."""
    if not keys:
        return []
    labels = choosable.filter(pk__in=keys).values_list("pk", "slug", f"{name}_ja", f"{name}_en")
    return [(counts[pk], name_ja, slug, name_en) for pk, slug, name_ja, name_en in labels]


def one_per_row(model, name: str | None) -> bool:
    """``name`` is a column of the model's own table: each row has one value of it."""
    if name is None or "__" in name:
        return False
    field = model._meta.get_field(name)
    return field.concrete and not field.many_to_many


def group_counts(qs, field_name: str) -> dict:
    """{value: number of rows} over a queryset, grouped by one field (a foreign key by its id)."""
    return dict(qs.order_by().values_list(field_name).annotate(n=Count("*")))


def grouped_counts(qs, field_names: list[str]) -> tuple[int, dict]:
    """The number of rows of ``qs`` and, for each field, {value: number of rows}, in ONE
    pass over the rows: a GROUP BY GROUPING SETS ((), (f1), (f2) …) over the filtered,
    searched rows, instead of a count and a scan per facet."""
    if not field_names:
        return qs.count(), {}
    assert all(one_per_row(qs.model, name) for name in field_names), field_names
    inner = qs.order_by().values_list(*field_names)
    sql, params = inner.query.sql_with_params()
    return grouped_counts_sql(qs.db, sql, params, field_names)


def grouped_counts_sql(using, sql, params, field_names) -> tuple[int, dict]:
    """grouped_counts over the rows of ``sql``, whose columns are ``field_names``' values."""
    keys = [f"k{i}" for i in range(len(field_names))]
    sets = ", ".join(["()", *(f"({key})" for key in keys)])
    flags = ", ".join(f"GROUPING({key})" for key in keys)
    query = (
        f"SELECT {flags}, {', '.join(keys)}, count(*) FROM ({sql}) AS rows ({', '.join(keys)}) "
        f"GROUP BY GROUPING SETS ({sets})"
    )
    total, counts = 0, {name: {} for name in field_names}
    with connections[using].cursor() as cursor:
        cursor.execute(query, params)
        for row in cursor.fetchall():
            grouped = row[: len(keys)]
            values = row[len(keys) : 2 * len(keys)]
            n = row[-1]
            if all(grouped):
                total = n
                continue
            i = grouped.index(0)
            counts[field_names[i]][values[i]] = n
    return total, counts


def parse_day(raw: str) -> datetime.date:
    try:
        value = PartialDate.parse(raw)
    except ValidationError as exc:
        raise BadValue(" ".join(exc.messages)) from exc
    if value.precision != "day":
        raise BadValue(_("「%(value)s」: 年月日まで指定してください（例: 2020-04-01）。") % {"value": raw})
    return value.date


class OnDateFilter(Filter):
    """"In force on" / "active on" a day, through a QuerySet method."""

    def __init__(self, param, label, method):
        super().__init__(param, label)
        self.method = method

    def parse(self, raw):
        return parse_day(raw)

    def apply(self, qs, value):
        return getattr(qs, self.method)(value)

    def describe(self, value):
        return f"{self.label}: {value.isoformat()}"

    def schema(self):
        # The day in ISO 8601; the forms an editor types (2020年4月1日, 令和2年4月1日) are read too.
        return {"type": "string", "format": "date", "examples": ["2020-04-01"]}

    def inputs(self, params):
        return [(self.param, self.label, params.get(self.param, ""))]


class PeriodFilter(Filter):
    """A partial date lying, wholly or partly, in a range given as ``from`` and ``to``.

    Each end may be a year, a month or a day (``2009``, ``2009-11``, ``平成21年``).
    """

    in_sort_index = True  # the date and its precision

    def __init__(self, label, date_name, start_param="from", end_param="to"):
        super().__init__(start_param, label)
        self.date_name = date_name
        self.end_param = end_param

    @property
    def params(self):
        return [self.param, self.end_param]

    def read(self, params, notices):
        """(start, end) partial dates, either of them None; None when neither is usable."""
        ends = []
        for name in self.params:
            raw = (params.get(name) or "").strip()
            value = None
            if raw:
                try:
                    value = PartialDate.parse(raw)
                except ValidationError as exc:
                    notices.append(" ".join(exc.messages))
            ends.append(value)
        return tuple(ends) if any(ends) else None

    def apply(self, qs, value):
        start, end = value
        return qs.filter(overlaps_q(self.date_name, start.start if start else None, end.end if end else None))

    def date_bounds(self, value):
        """(first, last) days between which every record in the period starts (either
        None): its start no later than the period's end, and no earlier than the earliest
        day a period of any precision can start and still reach the period (reaches_q)."""
        start, end = value
        return (earliest_reaching(start.start) if start else None), (end.end if end else None)

    def describe(self, value):
        start, end = value
        if start and end:
            return _("%(label)sが%(start)s〜%(end)s") % {"label": self.label, "start": start.iso(), "end": end.iso()}
        if start:
            return _("%(label)sが%(start)s以降") % {"label": self.label, "start": start.iso()}
        return _("%(label)sが%(end)s以前") % {"label": self.label, "end": end.iso()}

    def parameters(self):
        schema = {"type": "string", "examples": ["2009", "2009-11", "2009-11-03", "平成21年11月"]}
        return [
            {"name": self.param, "in": "query", "description": _("%(label)s（から）") % {"label": self.label}, "schema": schema},
            {"name": self.end_param, "in": "query", "description": _("%(label)s（まで）") % {"label": self.label}, "schema": schema},
        ]

    def inputs(self, params):
        return [
            (self.param, _("%(label)s（から）") % {"label": self.label}, params.get(self.param, "")),
            (self.end_param, _("%(label)s（まで）") % {"label": self.label}, params.get(self.end_param, "")),
        ]


# --- sorting and cursors ---------------------------------------------------------


# Undated rows sort last either way: a date column is sorted through COALESCE with
# the far end of the calendar, which the matching expression index also uses.
@dataclass(frozen=True)
class Sort:
    label: str
    column: str  # one column; the id breaks ties
    descending: bool = False
    undated_last: bool = False  # a nullable date column, sorted through COALESCE
    english: str = ""  # the column the English pages sort by instead (names: alphabetical)

    def in_language(self) -> Sort:
        """This sort as the active language reads it: on the English pages a name sort is
        alphabetical by English name (family name first for people), not 五十音."""
        if self.english and english_active():
            return replace(self, column=self.english, english="")
        return self

    def key(self):
        if self.undated_last:
            sentinel = LAST_DESCENDING if self.descending else LAST_ASCENDING
            return Coalesce(F(self.column), Value(sentinel))
        return F(self.column)

    def key_value(self, value):
        if self.undated_last and value is None:
            return LAST_DESCENDING if self.descending else LAST_ASCENDING
        return value

    def order(self, reverse=False):
        descending = self.descending != reverse
        if descending:
            return [self.key().desc(), F("id").desc()]
        return [self.key().asc(), F("id").asc()]

    def after(self, value, pk, reverse=False) -> Q:
        """Rows that come after (value, pk) in this order (or before it, when reverse):
        a row comparison, (key, id) > (value, pk), which an index on (key, id) answers
        as a range however deep the page is."""
        descending = self.descending != reverse
        bound = (self.key_value(value), pk)
        if "__" in self.column:
            # A column of a related table (seats by body name): no row comparison.
            beyond = "lt" if descending else "gt"
            return Q(**{f"{self.column}__{beyond}": value}) | Q(**{self.column: value, f"id__{beyond}": pk})
        lookup = TupleLessThan if descending else TupleGreaterThan
        return Q(lookup(Tuple(self.key(), F("id")), bound))


def encode_cursor(value, pk) -> str:
    if isinstance(value, datetime.date):
        value = {"d": value.isoformat()}
    raw = json.dumps([value, pk], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str):
    try:
        raw = base64.urlsafe_b64decode(token[:400] + "=" * (-len(token[:400]) % 4))
        value, pk = json.loads(raw)
        if isinstance(value, dict):
            value = datetime.date.fromisoformat(value["d"])
        if not isinstance(pk, int) or not 0 < pk < 2**63 or not (value is None or isinstance(value, str | datetime.date | int)):
            raise ValueError
        if isinstance(value, bool) or (isinstance(value, int) and not 0 < value < 2**63):
            raise ValueError
        if isinstance(value, str):
            # What PostgreSQL can compare: no NUL, no lone surrogate, a bounded length.
            if len(value) > 500 or "\x00" in value:
                raise ValueError
            value.encode("utf-8")
        return value, pk
    except (ValueError, TypeError, KeyError, json.JSONDecodeError, UnicodeError) as exc:
        raise BadValue(_("ページの指定が読めないため、最初のページを表示しています。")) from exc


# --- the listing and its state ---------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an export: its stable snake_case header and the SQL expression that
    gives its value, over the entity's ``csv_from`` (``sel`` is the list's ids in order).

    ``value`` is what JSON carries (typed: a number, a boolean, a date); ``cell`` is what
    the CSV writes, when it differs (guarded text, ``true``/``false``). ``type`` and
    ``codes`` describe the column in the OpenAPI description and the codebook.
    """

    header: str
    value: str
    cell: str = ""
    type: str = "string"  # string, integer, boolean, date, partial_date, url
    codes: tuple = ()  # a code list: (code, label) pairs
    description: str = ""
    references: str = ""  # the entity whose slug this column holds (a foreign key in the data package)

    @property
    def sql(self) -> str:
        """The CSV cell's expression."""
        return self.cell or self.value


def text(header: str, expr: str, description: str = "") -> Column:
    """Free text, guarded against formulas in the CSV (alliance_csv_cell, from cells.py)."""
    return Column(header, expr, cell=f"alliance_csv_cell({expr})", description=description)


def slug_of(header: str, expr: str, entity: str) -> Column:
    """The slug of a related record of ``entity``: joinable on that export's ``slug``."""
    return Column(header, expr, cell=f"alliance_csv_cell({expr})", references=entity)


def code(header: str, expr: str, codes=(), description: str = "") -> Column:
    """A code or a slug the registry itself writes: never a formula."""
    return Column(header, expr, codes=tuple((str(v), label) for v, label in codes), description=description)


def integer(header: str, expr: str) -> Column:
    return Column(header, expr, cell=f"({expr})::text", type="integer")


def boolean(header: str, expr: str) -> Column:
    return Column(header, expr, cell=f"CASE WHEN {expr} THEN 'true' WHEN NOT {expr} THEN 'false' END", type="boolean")


def partial_date(header: str, alias: str, name: str) -> list[Column]:
    """A partial date as four columns a spreadsheet cannot misread: ``signed`` in ISO 8601
    at its precision (1996, 2009-11, 2017-04-25, FY2022, 2025-03 end), ``signed_precision``
    (year, month, day, fiscal_year),
    and ``signed_from``/``signed_to``, the first and last day of its period (cells.py)."""
    day, precision = f"{alias}.{name}_date", f"NULLIF({alias}.{name}_precision, '')"
    qualifier = f"{alias}.{name}_qualifier"
    return [
        # With its qualifier, if any: FY2022, 2025-03 end (partial_dates.PartialDate.iso).
        Column(header, f"alliance_partial_date({day}, {precision}, {qualifier})", type="partial_date"),
        code(f"{header}_precision", precision, Precision.choices),
        Column(f"{header}_from", day, cell=f"to_char({day}, 'YYYY-MM-DD')", type="date"),
        Column(
            f"{header}_to",
            f"alliance_partial_date_end({day}, {precision})",
            cell=f"to_char(alliance_partial_date_end({day}, {precision}), 'YYYY-MM-DD')",
            type="date",
        ),
    ]


def permalink(header: str, alias: str) -> Column:
    """The record's detail URL: the entity's URL prefix (the query's one parameter) and its slug."""
    return Column(header, f"%s || {alias}.slug || '/'", type="url")


def export_columns(*items) -> list[Column]:
    """A declaration's columns, flattening the groups (a partial date is four columns)."""
    out = []
    for item in items:
        out += item if isinstance(item, list) else [item]
    return out


# The order a record's citations are listed in, on its page and in its JSON.
CITATION_ORDER = ("source__year", "pk")


def citations_prefetch():
    """A record's citations with their sources, as every detail page shows them."""
    from ..models import Citation

    shown = Citation.objects.of_public_record().select_related("source").defer("source__text")
    return Prefetch("citations", queryset=shown.order_by(*CITATION_ORDER))


class Entity:
    """Everything the public sees of one kind of record, declared once.

    Its public querysets (list and detail), filters, sorts and search fields; its export
    columns as (header, expression) pairs; its URLs (``path``: ``/<path>/``, its exports
    ``/<path>/export.csv``, ``.json``, ``.ndjson`` and ``.xlsx``, ``/<path>/<slug>/`` and
    ``/<path>/<slug>/export.json``, named ``<name>-list``, ``-csv``, ``-json``,
    ``-ndjson``, ``-xlsx``, ``-detail`` and ``-detail-json``; urls.py is generated from
    these) and the file stem of its exports.
    """

    name = ""  # "agreement": alliance:agreement-list, agreement_list.html
    path = ""  # "agreements": the URL path, and the stem of the exported file
    model = None
    listed = True  # a list page; False: only detail pages (organizations, posts) or only exports
    exported = None  # list exports (CSV, JSON, NDJSON); None: when it is listed
    detailed = True  # detail pages /<path>/<slug>/ (an attendee has none)
    old_paths: tuple = ()  # earlier URL paths, redirected here
    search_fields = ("search_text",)
    filters: list = []
    sorts: dict = {}
    default_sort = ""
    coverage = ""  # what the list holds and what it does not, shown above it

    columns: list = []
    csv_with = ""  # more CTEs after "WITH sel AS (…)", each starting with a comma
    csv_from = ""  # "FROM sel JOIN …": what the columns' expressions read

    @property
    def has_exports(self) -> bool:
        return self.listed if self.exported is None else self.exported

    def public(self):
        """What the public may see of this model (the rule lives in the model's published())."""
        return self.model.objects.published()

    def base_queryset(self):
        """The rows of the list page: only what the list template shows is fetched."""
        return self.public()

    def detail_queryset(self):
        return self.public().prefetch_related(citations_prefetch())

    def prepare_rows(self, rows: list) -> None:
        """Fetch what some of a page's rows need besides their own columns (for the rows
        that need it only), after the page is cut: nothing by default."""

    def detail_context(self, obj) -> dict:
        return {}

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def csv_sql(self) -> str:
        """What follows "WITH sel AS (…)": one cell expression per header, in order."""
        select = ",\n    ".join(column.sql for column in self.columns)
        return f"{self.csv_with}\nSELECT\n    {select}\n{self.csv_from}\nORDER BY sel.ord"

    def json_sql(self) -> str:
        """What follows "WITH sel AS (…)": one JSON object (as text) per row, its keys the
        CSV's headers and its values typed (numbers, booleans, dates as ISO text)."""
        # json_build_object keeps the keys in order (jsonb would sort them); it takes
        # at most 100 arguments, which a test holds the declarations to.
        pairs = ", ".join(f"'{column.header}', {column.value}" for column in self.columns)
        return f"{self.csv_with}\nSELECT json_build_object({pairs})::text\n{self.csv_from}\nORDER BY sel.ord"

    def citations(self, pk):
        """The published citations of one of its records, as its detail page lists them
        (for a source: the published citations that quote it)."""
        from ..models import CITABLE, Citation

        cited_as = next((entry.cited_as for entry in CITABLE if entry.model is self.model), "source")
        return Citation.objects.of_public_record().filter(**{cited_as: pk}).order_by(*CITATION_ORDER)

    def text_sql(self) -> str:
        """What follows "WITH sel AS (…)": every cell as plain text, unguarded (for XLSX,
        whose cells are typed as text, so nothing in them is run or converted)."""
        cells = [(column.value if column.cell.startswith("alliance_csv_cell(") else column.sql) for column in self.columns]
        select = ",\n    ".join(f"({cell})::text" for cell in cells)
        return f"{self.csv_with}\nSELECT\n    {select}\n{self.csv_from}\nORDER BY sel.ord"

    def url_prefix(self, request) -> str:
        """What a record's slug follows in its permalink: ``http://…/<path>/``."""
        if not self.detailed:
            return ""
        from .context_processors import absolute_url

        # urls.py puts a detail page at <path>/<slug>/ under the language's root.
        return absolute_url(request, f"{reverse('alliance:home')}{self.path}/")

    def read(self, params) -> ListState:
        return ListState(self, params)

    chosen = False  # a copy narrowed to the columns a data user chose (``choose``)
    # Whether csv_sql gives one ready CSV line per row (one text column) instead of one
    # cell per column (export.stream has COPY write the line as it is).
    csv_lines = False
    unknown_fields: tuple = ()

    def choose(self, raw) -> Entity:
        """This entity with only the columns named in ``fields`` (comma-separated, in the
        order given; unknown names are left out). Without any known name: all columns."""
        if not raw:
            return self
        wanted = list(dict.fromkeys(name.strip() for name in raw[:2000].split(",") if name.strip()))
        by_header = {column.header: column for column in self.columns}
        chosen = [by_header[name] for name in wanted if name in by_header]
        if not chosen:
            return self
        narrowed = copy.copy(self)
        narrowed.columns = chosen
        narrowed.chosen = True
        narrowed.unknown_fields = tuple(name[:40] for name in wanted if name not in by_header)
        return narrowed

    @property
    def verbose_name_plural(self):
        return self.model._meta.verbose_name_plural


# What a list's links carry besides its filters: the page size and the chosen columns.
CARRIED = ("limit", "fields")


@dataclass
class ListState:
    entity: Entity
    params: object
    values: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)

    def __post_init__(self):
        params = self.params
        self.query = (params.get("q") or "")[:200]
        self.terms = normalize_query(self.query)
        for flt in self.entity.filters:
            value = flt.read(params, self.notices)
            if value is not None:
                self.values[flt.param] = value
        self.page_size = self._page_size(params.get("limit"))
        sort = params.get("sort") or self.entity.default_sort
        if sort not in self.entity.sorts:
            if params.get("sort"):
                self.notices.append(_("並べ替え「%(value)s」は使えないため、既定の順にしています。") % {"value": sort[:40]})
            sort = self.entity.default_sort
        self.sort_key = sort
        self.sort = self.entity.sorts[sort].in_language()
        self.cursor = None
        for direction in ("after", "before"):
            token = params.get(direction)
            if token:
                try:
                    value, pk = decode_cursor(token)
                    # An undated row sorts by the calendar's end; any other cursor names a value.
                    if (value is None and not self.sort.undated_last) or (
                        value is not None and not isinstance(value, self._cursor_type())
                    ):
                        raise BadValue(_("ページの指定が読めないため、最初のページを表示しています。"))
                    self.cursor = (direction, value, pk)
                except BadValue as exc:
                    self.notices.append(str(exc))
                break

    def _page_size(self, raw) -> int:
        """``limit``: rows a page, 1 to MAX_PAGE_SIZE (more is cut to it, a bad value ignored)."""
        raw = (raw or "").strip()
        if not raw:
            return PAGE_SIZE
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
            self.notices.append(_("件数「%(value)s」は使えないため、%(n)s件ずつにしています。") % {"value": raw[:20], "n": PAGE_SIZE})
            return PAGE_SIZE
        if int(raw) > MAX_PAGE_SIZE:
            self.notices.append(_("1ページは最大%(n)s件です。") % {"n": MAX_PAGE_SIZE})
            return MAX_PAGE_SIZE
        return int(raw)

    def _cursor_type(self):
        """The Python type a cursor must carry for the chosen sort column."""
        model = self.entity.model
        *path, last = self.sort.column.split("__")
        for part in path:
            model = model._meta.get_field(part).related_model
        field = model._meta.get_field(last)
        if field.get_internal_type() == "DateField":
            return datetime.date
        if field.is_relation or field.get_internal_type().endswith(("AutoField", "IntegerField")):
            return int  # an id (attendees by meeting) or a number
        return str

    # The querysets ----------------------------------------------------------------

    def filtered(self, skip=None):
        """Search and every filter applied, except ``skip`` (for that filter's facet counts)."""
        qs = self.entity.base_queryset()
        if self.terms:
            qs = qs.filter(search_q(self.terms, self.entity.search_fields))
        for flt in self.entity.filters:
            if flt is not skip and flt.param in self.values:
                qs = flt.apply(qs, self.values[flt.param])
        return qs

    def queryset(self):
        """All matching rows in the chosen order: what the CSV streams."""
        return self.filtered().order_by(*self.sort.order())

    def page(self):
        """One page by keyset: (rows, next cursor, previous cursor)."""
        qs = self.filtered()
        reverse = False
        if self.cursor:
            direction, value, pk = self.cursor
            reverse = direction == "before"
            qs = qs.filter(self.sort.after(value, pk, reverse=reverse))
        order = self.sort.order(reverse=reverse)
        if any(flt.in_sort_index and flt.param in self.values for flt in self.entity.filters):
            # The page's ids first, from an index alone (the rows it skips, with a period
            # in date order maybe most of the table, are never read), then its own rows.
            ids = self._within_period(qs).order_by(*order).values("pk")[: self.page_size + 1]
            qs = qs.filter(pk__in=Subquery(ids))
        rows = list(qs.order_by(*order)[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()
        self.entity.prepare_rows(rows)
        has_next = more if not reverse else True
        has_prev = (self.cursor is not None) if not reverse else more
        next_cursor = encode_cursor(self._key(rows[-1]), rows[-1].pk) if rows and has_next else None
        prev_cursor = encode_cursor(self._key(rows[0]), rows[0].pk) if rows and has_prev else None
        return rows, next_cursor, prev_cursor

    def _within_period(self, qs):
        """In date order, the period's bounds also put on the sort key (the COALESCE the
        sort indexes hold): the same rows (a record in a period has a date, so its key is
        its date), but an index scan starts at the period's end instead of reading every
        newer row and dropping it (at 1,000,000 meetings, 30,858 index entries for the
        first page of 2000–2010 of one kind)."""
        for flt in self.entity.filters:
            if isinstance(flt, PeriodFilter) and flt.param in self.values and self.sort.undated_last and self.sort.column == f"{flt.date_name}_date":
                first, last = flt.date_bounds(self.values[flt.param])
                qs = qs.alias(period_sort_key=self.sort.key())
                if first is not None:
                    qs = qs.filter(period_sort_key__gte=first)
                if last is not None:
                    qs = qs.filter(period_sort_key__lte=last)
        return qs

    def _key(self, row):
        value = row
        for part in self.sort.column.split("__"):
            value = getattr(value, part, None)
        return value

    def count(self) -> int:
        return self.filtered().count()

    def summary(self, known=None) -> dict:
        """The count and the facets (as ``facets()`` gives them) with as few passes over the
        rows as the filters allow: the count and the facet of every filter that is not in
        use and counts by a column of the list's own rows share one pass; a facet whose own
        filter is in use counts over other rows (that filter skipped), so it has its own —
        unless ``known(filter)`` has it: the options of that facet as the same list without
        that filter showed them (from its cached summary), which are the same counts."""
        pooled = [
            flt for flt in self.entity.filters
            if flt.facet and flt.param not in self.values and one_per_row(self.entity.model, flt.facet_field())
        ]
        fields = [flt.facet_field() for flt in pooled]
        count, counts = self._tallied(None, fields) or grouped_counts(self.filtered(), fields)
        out = []
        for flt in self.entity.filters:
            if not flt.facet:
                continue
            current = self.values.get(flt.param)
            reused = known(flt) if known is not None and flt not in pooled else None
            if flt in pooled:
                options = flt.facet_from_counts(counts[flt.facet_field()], current)
            elif reused is not None:
                options = [(value, label, n, flt.selects(value, current)) for label, n, _selected, _link, value in reused]
            elif (tallied := self._tallied(flt, [flt.facet_field()])) is not None:
                options = flt.facet_from_counts(tallied[1][flt.facet_field()], current)
            else:
                options = flt.facet_options(self.filtered(skip=flt), current)
            out.append(self._facet(flt, options))
        return {"count": count, "facets": out}

    def _tallied(self, skip, fields):
        """(count, {field: counts}) of filtered(skip) from the entity's kept totals, when it
        keeps them (``counts_over_period``), ``filtered(skip)`` is its public rows cut by a
        period at most (no search, no other filter) and a period leaves few rows out;
        else None (count the rows)."""
        counter = getattr(self.entity, "counts_over_period", None)
        if counter is None or self.terms or not all(name in self.entity.tallied_fields for name in fields):
            return None
        used = [flt for flt in self.entity.filters if flt is not skip and flt.param in self.values]
        if len(used) > 1 or (used and not isinstance(used[0], PeriodFilter)):
            return None
        if not used:
            return counter(None, None, None, fields)
        start, end = self.values[used[0].param]
        return counter(used[0].date_name, start.start if start else None, end.end if end else None, fields)

    def _facet(self, flt, options):
        links = []
        for value, label, count, selected in options:
            link = self.query_string(**{flt.param: None if selected else value, "after": None, "before": None})
            links.append((str(label), count, selected, link, value))
        return (FacetHead(flt.param, str(flt.label)), links)

    # What the page shows about itself ---------------------------------------------

    def facets(self):
        """For each facet filter: its head (param, label) and its options as
        (label, count, selected, query string, value). Plain values, so they can be cached."""
        return [
            self._facet(flt, flt.facet_options(self.filtered(skip=flt), self.values.get(flt.param)))
            for flt in self.entity.filters
            if flt.facet
        ]

    def sort_links(self):
        return [
            (label_key, sort.label, label_key == self.sort_key, self.query_string(sort=label_key, after=None, before=None))
            for label_key, sort in self.entity.sorts.items()
        ]

    def date_inputs(self):
        """The filters typed as dates, for the list's small filter form."""
        return [box for flt in self.entity.filters for box in flt.inputs(self.params)]

    def hidden_inputs(self, exclude=()):
        """The current parameters a form must carry along, as (name, value)."""
        names = ["q", "sort", *self.param_names()]
        return [(n, self.params.get(n)) for n in names if self.params.get(n) and n not in exclude]

    def date_form_hidden(self):
        return self.hidden_inputs(exclude={name for name, _label, _value in self.date_inputs()})

    def sentence(self) -> str:
        """A plain sentence saying which filters are active."""
        parts = []
        if self.query.strip():
            parts.append(_("「%(q)s」を含む") % {"q": self.query.strip()})
        for flt in self.entity.filters:
            if flt.param in self.values:
                parts.append(flt.describe(self.values[flt.param]))
        if not parts:
            return _("すべて表示しています（絞り込みなし）。")
        return _("絞り込み: %(parts)s。") % {"parts": _("、").join(str(p) for p in parts)}

    def query_string(self, **changes) -> str:
        """The current query string with some parameters changed (None removes one)."""
        keep = {}
        for key in ["q", "sort", *self.param_names(), *CARRIED]:
            value = self.params.get(key)
            if value:
                keep[key] = value
        for key, value in changes.items():
            if value is None or value == "":
                keep.pop(key, None)
            else:
                keep[key] = value
        return urlencode(keep)

    def param_names(self):
        return [name for flt in self.entity.filters for name in flt.params]

    @property
    def active(self) -> bool:
        return bool(self.terms or self.values)


# --- file names --------------------------------------------------------------------


def export_filename(stem: str, extension: str = "csv") -> str:
    return f"alliance-registry_{stem}_{timezone.localdate().isoformat()}.{extension}"
