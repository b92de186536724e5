"""A related facet reads the names of its most used options only (40 and those tied with
the 40th), not of every record counted; what it shows is what it showed when it read
them all: the 40 most used published records, by count then name."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.models import Body, Status
from alliance.public.engine import FACET_LIMIT
from alliance.public.entities import LISTS

from .factories import make_body

pytestmark = pytest.mark.django_db

BODY = next(flt for flt in LISTS["meeting"].filters if flt.param == "body")


def reference(counts):
    """Every counted record's name read, the published ones ranked (the former way)."""
    labels = Body.objects.published().filter(pk__in=[k for k in counts if k is not None]).values_list("pk", "slug", "name_ja", "name_en")
    rows = sorted(((counts[pk], name_ja, slug, name_en) for pk, slug, name_ja, name_en in labels), key=lambda r: (-r[0], r[1]))[:FACET_LIMIT]
    return [(slug, name_ja, n, False) for n, name_ja, slug, _en in rows]


@pytest.mark.parametrize("seed", range(5))
def test_the_same_options_as_reading_every_name(seed):
    rng = random.Random(seed)
    bodies = [make_body(slug=f"b{i}", name_ja=f"協議体{rng.randint(0, 30):02d}-{i}", status=Status.DRAFT if rng.random() < 0.1 else Status.PUBLISHED) for i in range(90)]
    counts = {b.pk: rng.choice([1, 2, 3, 5, 5, 5, 8, 13, 13, 21]) for b in bodies}
    counts[None] = 50  # meetings without a body
    options = BODY.facet_from_counts(counts, None)
    assert options == reference(counts)
    assert len(options) == FACET_LIMIT


def test_only_the_most_used_names_are_read():
    bodies = [make_body(slug=f"b{i}", name_ja=f"協議体{i:03d}") for i in range(200)]
    counts = {b.pk: 1000 - i for i, b in enumerate(bodies)}  # no ties
    with CaptureQueriesContext(connection) as ctx:
        options = BODY.facet_from_counts(counts, None)
    assert [slug for slug, *_ in options] == [f"b{i}" for i in range(FACET_LIMIT)]
    [sql] = [q["sql"] for q in ctx.captured_queries]
    assert sql.count(",") < FACET_LIMIT + 10  # 40 ids asked, not 200


def test_drafts_among_the_most_used_leave_room_for_the_next():
    bodies = [make_body(slug=f"b{i}", name_ja=f"協議体{i:03d}", status=Status.DRAFT if i < 5 else Status.PUBLISHED) for i in range(60)]
    counts = {b.pk: 100 - i for i, b in enumerate(bodies)}
    options = BODY.facet_from_counts(counts, None)
    assert [slug for slug, *_ in options] == [f"b{i}" for i in range(5, 5 + FACET_LIMIT)]
