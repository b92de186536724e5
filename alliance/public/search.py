"""Search over the stored ``search_text`` columns (NFKC-normalised, lower-cased).

Three or more characters: ``search_text LIKE '%…%'``, which the trigram GIN index on
``search_text`` answers. One or two characters give no trigram to look up, so the
index would have to scan all of itself; those use ``strpos(search_text, …) > 0``,
which the planner answers with a plain sequential scan, and which is just as exact.
"""

import unicodedata

from django.db.models import Q, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

MAX_QUERY_LENGTH = 100
MAX_TERMS = 8


def normalize_query(raw: str) -> list[str]:
    """The search terms: NFKC, lower case, split on any whitespace (full-width too)."""
    text = unicodedata.normalize("NFKC", raw or "")[:MAX_QUERY_LENGTH].lower()
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return text.split()[:MAX_TERMS]


def term_q(term: str, field: str) -> Q:
    if len(term) >= 3:
        return Q(**{f"{field}__contains": term})
    return Q(GreaterThan(StrIndex(field, Value(term)), 0))


def search_q(terms: list[str], fields=("search_text",)) -> Q:
    """Every term occurs (AND) in at least one of the fields (OR)."""
    q = Q()
    for term in terms:
        any_field = Q()
        for field in fields:
            any_field |= term_q(term, field)
        q &= any_field
    return q
