"""Search over the stored ``search_text`` columns (NFKC-normalised, lower-cased).

Three or more characters: ``search_text LIKE '%…%'``, which the trigram GIN index on
``search_text`` answers. One or two characters give no trigram to look up; on a record's
own ``search_text`` they are looked up as whole pieces instead:
``alliance_grams(search_text) @> ARRAY[term]``, where ``alliance_grams`` is the set of
the text's distinct one- and two-character pieces and a GIN index over that same
expression answers it (``Grams`` and ``grams_index`` in models/base.py). A term of one
or two characters occurs in the text exactly when it is one of those pieces, so the
result is the same as ``strpos(search_text, term) > 0``, which is kept beside it: it
costs nothing after the index has found the rows, and where the planner scans anyway
(inside a join, or a filter that leaves few rows) it is evaluated first, so the dear
function runs only on rows that match. Columns of related records (searched through a
join, which no index serves) and columns without a grams index (a seat's role) keep the
plain ``strpos`` form.
"""

import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, F, Func, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Concat, Lower, StrIndex
from django.db.models.lookups import GreaterThan

from ..models import NFKC, Grams

MAX_QUERY_LENGTH = 100
MAX_TERMS = 8


def normalize_query(raw: str) -> list[str]:
    """The search terms: NFKC, lower case, split on any whitespace (full-width too)."""
    text = unicodedata.normalize("NFKC", raw or "")[:MAX_QUERY_LENGTH].lower()
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return text.split()[:MAX_TERMS]


def strpos_q(term: str, field: str) -> Q:
    """The term occurs in the field, by scanning: exact at any length, served by no index."""
    return Q(GreaterThan(StrIndex(field, Value(term)), 0))


def grams_q(term: str, field: str) -> Q:
    """A one- or two-character term is one of the field's pieces (the grams GIN index)."""
    return Q(DataContains(Grams(F(field)), Value([term], output_field=ArrayField(TextField())))) & strpos_q(term, field)


def term_q(term: str, field: str) -> Q:
    if len(term) >= 3:
        return Q(**{f"{field}__contains": term})
    if field == "search_text":
        return grams_q(term, field)
    return strpos_q(term, field)


def search_q(terms: list[str], fields=("search_text",)) -> Q:
    """Every term occurs (AND) in at least one of the fields (OR)."""
    q = Q()
    for term in terms:
        any_field = Q()
        for field in fields:
            any_field |= term_q(term, field)
        q &= any_field
    return q


# What the admin's search boxes compare what was typed with, to put the record it names
# first: the names a record is known by (other_names holds one per line).
NAME_FIELDS = ("name_ja", "name_en", "abbreviation", "other_names")
EXACT, PREFIX, CONTAINS = 0, 1, 2


def name_lines(fields) -> Func:
    """The fields' text as the search folds it (NFKC, lower case, runs of spaces as one),
    one name a line, with a line break before the first and after the last."""
    names = Func(Value("\n"), *(F(name) for name in fields), function="concat_ws", output_field=TextField())
    folded = Lower(NFKC(Concat(Value("\n"), names, Value("\n"), output_field=TextField())))
    spaces = Func(folded, Value(r"[ \t]+"), Value(" "), Value("g"), function="regexp_replace", output_field=TextField())
    return Func(spaces, Value(r" ?[\r\n]+ ?"), Value("\n"), Value("g"), function="regexp_replace", output_field=TextField())


def name_rank(raw: str, fields=NAME_FIELDS, exact: Q | None = None) -> Case | None:
    """How a record's names meet what was typed, to order search results by: EXACT when
    one of them is the query (compared as the search compares, width and case folded),
    PREFIX when one starts with it, CONTAINS for every other match. ``exact`` adds a
    condition that also counts as exact (the slug typed as it is). None when nothing
    was typed.

    An expression over the row's own columns, computed only for the rows the search
    found (the indexes still find them): ordering by it first costs no query of its own."""
    query = " ".join(normalize_query(raw))
    if not query:
        return None
    lines = name_lines(fields)
    is_name = Q(GreaterThan(StrIndex(lines, Value(f"\n{query}\n")), 0))
    return Case(
        When(is_name | exact if exact is not None else is_name, then=Value(EXACT)),
        When(GreaterThan(StrIndex(lines, Value(f"\n{query}")), 0), then=Value(PREFIX)),
        default=Value(CONTAINS),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class Snippet:
    before: str
    match: str
    after: str


def snippet(record, terms: list[str], title: str = "", width: int = 45) -> Snippet | None:
    """Where a search term was found, when the title shown does not already say it: the
    first of the record's searched fields that has a term, cut around the match.

    The text is NFKC-normalised as the search is, so the match is found where the search
    found it (full-width and half-width forms alike).
    """
    try:
        sources = record._meta.get_field("search_text").source_fields
    except (FieldDoesNotExist, AttributeError):  # no searched text of its own (seats)
        return None
    shown = unicodedata.normalize("NFKC", title).lower()
    wanted = [t for t in terms if t not in shown]
    for name in sources:
        text = " ".join(unicodedata.normalize("NFKC", str(getattr(record, name, "") or "")).split())
        lowered = text.lower()
        for term in wanted:
            i = lowered.find(term)
            if i >= 0:
                start, end = max(0, i - width), min(len(text), i + len(term) + width)
                return Snippet(
                    ("…" if start else "") + text[start:i], text[i : i + len(term)], text[i + len(term) : end] + ("…" if end < len(text) else "")
                )
    return None
