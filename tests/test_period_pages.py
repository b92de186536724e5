"""A list page over a period in date order reads its ids from the sort index starting at
the period's end, not from the newest row: the period's bounds are also put on the sort
key. The same rows, in the same order, on every page and in both directions."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.public.entities import LISTS

from .factories import make_meeting

pytestmark = pytest.mark.django_db


def ids_sql(params):
    with CaptureQueriesContext(connection) as ctx:
        LISTS["meeting"].read(params).page()
    return [q["sql"] for q in ctx.captured_queries if 'ORDER BY COALESCE("alliance_meeting"."start_date"' in q["sql"]]


def test_the_ids_query_is_bounded_by_the_period_on_the_sort_key():
    make_meeting(start="2005")
    [sql] = ids_sql({"kind": "2plus2", "from": "2000", "to": "2010"})
    assert """COALESCE(U0."start_date", '0001-01-01'::date) <= '2010-12-31'""" in sql
    assert """COALESCE(U0."start_date", '0001-01-01'::date) >= '1999-04-01'""" in sql  # FY1999 reaches 2000
    [sql] = ids_sql({"from": "2000", "sort": "date"})
    assert """COALESCE(U0."start_date", '9999-12-31'::date) >= '1999-04-01'""" in sql


def all_pages(client, params):
    """Every row's slug, following the next links from the first page."""
    slugs, query = [], {**params, "limit": "7"}
    url = reverse("alliance:meeting-json")
    while True:
        body = client.get(url, query).json()
        slugs += [row["slug"] for row in body["rows"]]
        cursor = body.get("next")
        if not cursor:
            return slugs
        url, query = cursor, {}


@pytest.mark.parametrize("seed", range(3))
def test_the_same_rows_in_the_same_order_as_without_the_bounds(client, seed, monkeypatch):
    rng = random.Random(seed)
    for i in range(80):
        year = rng.randint(1995, 2015)
        start = rng.choice([str(year), f"FY{year}", f"{year}-{rng.randint(1, 12):02d}", f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", None])
        make_meeting(slug=f"m-{i}", start=start, kind=rng.choice(["2plus2", "summit"]))
    from alliance.public.engine import ListState

    for params in ({"from": "2000", "to": "2010"}, {"from": "2001-06", "sort": "date"}, {"to": "FY2003", "kind": "summit"}, {"from": "2009-11-03", "to": "2012", "sort": "-date"}):
        bounded = all_pages(client, params)
        monkeypatch.setattr(ListState, "_within_period", lambda self, qs: qs)
        plain = all_pages(client, params)
        monkeypatch.undo()
        assert bounded == plain and bounded, params
