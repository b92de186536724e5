"""JSON of every list and detail: the CSV's rows and columns, typed, for the same query string."""

import csv
import io
import json

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.models import Organization, Post
from alliance.public.cells import guard
from alliance.public.entities import ENTITIES, EXPORTS, LISTS

from .factories import make_agreement, make_body, make_citation, make_meeting, make_source
from .test_lists import fill

pytestmark = pytest.mark.django_db


def fetch(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200, (url, params)
    return response, (b"".join(response.streaming_content) if response.streaming else response.content)


def csv_rows(client, name, params):
    _, raw = fetch(client, reverse(f"alliance:{name}-csv"), params)
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def as_cell(value) -> str:
    """A JSON value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return guard(value)


def as_cells(rows):
    return [{key: as_cell(value) for key, value in row.items()} for row in rows]


def variants(name):
    """The list's query strings to compare: none, a search, and its last sort."""
    return [{}, {"q": "1"}, {"sort": list(EXPORTS[name].sorts)[-1], "q": "1"}]


@pytest.mark.parametrize("name", EXPORTS)
def test_json_ndjson_and_csv_of_one_url_hold_the_same_rows_in_the_same_order(client, name):
    fill(60)
    for params in variants(name):
        expected = csv_rows(client, name, params)
        assert expected, params
        response, raw = fetch(client, reverse(f"alliance:{name}-json"), params)
        assert response["Content-Type"] == "application/json"
        page = json.loads(raw)
        assert page["count"] == len(expected)
        assert list(page["rows"][0]) == EXPORTS[name].headers
        assert as_cells(page["rows"]) == expected[:50]
        _, raw = fetch(client, reverse(f"alliance:{name}-ndjson"), params)
        lines = raw.decode().splitlines()
        assert as_cells(json.loads(line) for line in lines) == expected
        # The next page, by its cursor: the CSV of that URL ignores the cursor, so the
        # page is the CSV's next fifty rows.
        if page["next"]:
            response, raw = fetch(client, page["next"])
            second = json.loads(raw)
            query = QueryDict(page["next"].split("?", 1)[1])
            assert as_cells(second["rows"]) == csv_rows(client, name, query)[50:100]
            assert second["previous"]


def test_a_json_page_carries_its_facets_links_and_notices(client):
    for i in range(3):
        make_meeting(name_ja=f"会議{i}", kind="summit" if i else "2plus2", start=f"201{i}")
    page = json.loads(fetch(client, reverse("alliance:meeting-json"), {"kind": "summit", "from": "nonsense"})[1])
    assert page["count"] == 2 and page["next"] is None and page["previous"] is None
    kinds = {o["value"]: o for o in page["facets"]["kind"]["options"]}
    assert kinds["summit"]["count"] == 2 and kinds["summit"]["selected"] and kinds["2plus2"]["count"] == 1
    assert page["notices"], "an unreadable date is reported, not a 500"
    assert page["csv"] == "http://testserver/meetings/export.csv?kind=summit&from=nonsense"


def test_partial_dates_in_json_carry_precision_and_period(client):
    make_agreement(slug="m", signed="2009-11", in_force="2012")
    row = json.loads(fetch(client, reverse("alliance:agreement-json"))[1])["rows"][0]
    assert (row["signed"], row["signed_precision"], row["signed_from"], row["signed_to"]) == (
        "2009-11", "month", "2009-11-01", "2009-11-30",
    )
    assert (row["in_force"], row["in_force_precision"], row["in_force_to"]) == ("2012", "year", "2012-12-31")
    assert row["ended"] is None and row["ended_precision"] is None


def test_a_detail_in_json_carries_its_columns_and_citations(client):
    source = make_source(slug="white-paper-2025")
    body = make_body(slug="scc", name_ja="日米安全保障協議委員会", established="1960")
    citation = make_citation(body=body, source=source, locator="図表III-2-1-5", quote="日米安全保障協議委員会", field="established")
    response, raw = fetch(client, reverse("alliance:body-detail-json", args=["scc"]))
    record = json.loads(raw)
    assert record["slug"] == "scc" and record["established_precision"] == "year"
    assert record["url"] == "http://testserver/bodies/scc/"
    assert record["citations"] == [
        {"source_slug": "white-paper-2025", "locator": "図表III-2-1-5", "quote": "日米安全保障協議委員会", "field": "established",
         "key": citation.key}
    ]
    assert client.get(reverse("alliance:body-detail-json", args=["nope"])).status_code == 404


@pytest.mark.parametrize("name", [name for name, entity in ENTITIES.items() if entity.detailed])
def test_every_detail_page_has_its_json(client, name):
    fill(1)
    Organization.objects.update(status="published")
    Post.objects.update(status="published")
    record = ENTITIES[name].public().first()
    html = client.get(reverse(f"alliance:{name}-detail", args=[record.slug])).content.decode()
    href = reverse(f"alliance:{name}-detail-json", args=[record.slug])
    assert f'<link rel="alternate" type="application/json" href="{href}">' in html
    assert json.loads(fetch(client, href)[1])["slug"] == record.slug


@pytest.mark.parametrize("name", LISTS)
def test_every_list_page_links_its_json_with_the_same_query(client, name):
    html = client.get(reverse(f"alliance:{name}-list"), {"q": "日米"}).content.decode()
    href = reverse(f"alliance:{name}-json") + "?q=%E6%97%A5%E7%B1%B3"
    assert f'<link rel="alternate" type="application/json" href="{href}">' in html


def test_json_lists_run_as_many_queries_for_500_rows_as_for_5(client, django_assert_num_queries):
    urls = [reverse(f"alliance:{name}-{kind}") for name in EXPORTS for kind in ("json", "ndjson")]
    fill(5)
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            fetch(client, url)
        counts[url] = len(ctx)
    fill(495)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have, outside a test's transaction
    for url in urls:
        with django_assert_num_queries(counts[url]):
            _, raw = fetch(client, url)
        if url.endswith(".ndjson"):
            assert raw.count(b"\n") >= 500
        else:
            assert len(json.loads(raw)["rows"]) == 50


def test_every_declaration_fits_one_json_object():
    # json_build_object takes at most 100 arguments: 50 columns.
    assert all(len(entity.columns) <= 50 for entity in ENTITIES.values())
