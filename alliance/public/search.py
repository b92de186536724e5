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

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db.models import F, Q, TextField, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

from ..models import Grams

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
