"""List mechanics on generated data: keyset pages, query counts, indexes, hostile input."""

import string

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.models import Agreement, AgreementRelation, Citation, MeetingDocument
from alliance.public.search import normalize_query, search_q

from .factories import (
    make_agreement,
    make_body,
    make_body_link,
    make_citation,
    make_event,
    make_meeting,
    make_organization,
    make_participation,
    make_person,
    make_post,
    make_seat,
    make_tenure,
)

pytestmark = pytest.mark.django_db
LISTS = ["agreement", "body", "seat", "person", "meeting", "event"]
EXPORT_ONLY = ["attendee", "citation", "source", "organization", "post", "tenure", "agreement_relation", "meeting_document", "body_link"]


def urls_of(name):
    """A list's page (the attendees have none) and its exports."""
    kinds = ("csv", "json", "ndjson", "xlsx") if name in EXPORT_ONLY else ("list", "csv", "json", "ndjson", "xlsx")
    return [reverse(f"alliance:{name}-{kind}") for kind in kinds]


def fill(n):
    """n records of every kind, with the relations the lists and CSVs show."""
    japan = make_organization(name_ja="日本国")
    for i in range(n):
        old = make_agreement(name_ja=f"旧協定{i}", signed="1960")
        agreement = make_agreement(name_ja=f"協定{i}", signed=f"{1960 + i % 60}-0{1 + i % 9}", in_force=f"{1961 + i % 60}")
        agreement.parties.add(japan)
        AgreementRelation.objects.create(subject=agreement, kind="supersedes", object=old, status="published")
        body = make_body(name_ja=f"協議体{i}", parent=make_body(name_ja=f"上位{i}"), legal_basis=agreement)
        make_seat(body=body, post=make_post(name_ja=f"役職{i}"), level="dg")
        meeting = make_meeting(name_ja=f"会議{i}", body=body, start=f"{2000 + i % 25}")
        person = make_person(name_ja=f"人物{i}")
        make_participation(meeting=meeting, person=person, post=make_post())
        ministry = make_organization(name_ja=f"組織{i}", parent=japan)
        make_tenure(person=person, post=make_post(name_ja=f"役職{i}の2", organization=ministry), start=f"{2000 + i % 25}", end=f"{2001 + i % 25}")
        MeetingDocument.objects.create(meeting=meeting, agreement=agreement, kind="signed", status="published")
        make_citation(meeting=meeting)
        make_body_link(from_body=body, to_body=body.parent, label_ja="相互調整")
        event = make_event(name_ja=f"出来事{i}", start=f"{2000 + i % 25}年度")
        event.bodies.add(body)
        event.organizations.add(japan)
        make_citation(event=event)


@pytest.mark.parametrize("name", LISTS)
def test_a_list_and_its_csv_run_as_many_queries_for_200_rows_as_for_5(client, name, django_assert_num_queries):
    page, export = reverse(f"alliance:{name}-list"), reverse(f"alliance:{name}-csv")
    fill(5)
    counts = {}
    for url in (page, export):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        counts[url] = len(ctx)
    fill(195)
    for url in (page, export):
        with django_assert_num_queries(counts[url]):
            response = client.get(url)
            if response.streaming:
                assert b"".join(response.streaming_content).count(b"\r\n") > 200 or name == "seat"


def test_the_export_only_csvs_and_xlsx_run_as_many_queries_for_40_rows_as_for_4(client, django_assert_num_queries):
    urls = [reverse(f"alliance:{name}-{kind}") for name in EXPORT_ONLY for kind in ("csv", "xlsx")]
    fill(4)
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            b"".join(client.get(url).streaming_content)
        counts[url] = len(ctx)
    fill(36)
    for url in urls:
        with django_assert_num_queries(counts[url]):
            b"".join(client.get(url).streaming_content)


def test_keyset_pages_walk_every_row_once_in_order_and_back(client):
    for i in range(130):
        make_meeting(name_ja=f"会議{i:03}", start=f"{1990 + i % 30}-0{1 + i % 9}" if i % 7 else None)
    url = reverse("alliance:meeting-list")
    seen, pages, query = [], [], {}
    while True:
        response = client.get(url, query)
        assert response.status_code == 200
        pages.append(response)
        seen += [m.pk for m in response.context["rows"]]
        if not response.context["next_query"]:
            break
        query = response.context["next_query"]
        url = reverse("alliance:meeting-list") + "?" + query
        query = {}
    assert len(pages) == 3 and len(seen) == 130 == len(set(seen))
    dated = [m for m in seen]
    from alliance.models import Meeting

    ordered = list(Meeting.objects.order_by("-start_date", "-id").values_list("pk", flat=True))
    nulls = [pk for pk in ordered if Meeting.objects.get(pk=pk).start_date is None]
    assert dated == [pk for pk in ordered if pk not in nulls] + sorted(nulls, reverse=True)
    back = client.get(reverse("alliance:meeting-list") + "?" + pages[-1].context["prev_query"])
    assert [m.pk for m in back.context["rows"]] == [m.pk for m in pages[1].context["rows"]]


def test_three_character_search_uses_the_trigram_index():
    make_agreement(name_ja="日米安全保障条約")
    qs = Agreement.objects.filter(search_q(normalize_query("安全保"))).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "agreement_search_trgm" in plan, plan
    assert list(qs.values_list("name_ja", flat=True)) == ["日米安全保障条約"]


def test_short_searches_do_not_ask_the_trigram_index():
    qs = Agreement.objects.filter(search_q(normalize_query("日米")))
    sql, params = qs.query.sql_with_params()
    assert "alliance_grams" in sql and "LIKE" not in sql


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=abc%00def",
        "body=%00",
        "sort=%00",
        "after=%00",
        "after=not-a-cursor",
        "after=WzEsMl0",  # [1,2]: a cursor of the wrong type
        "after=W251bGwsOTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ",  # an id beyond bigint
        "before=eyJkIjoiMjAyMC0wMS0wMSJ9",
        "after=WyJhYmMiLDVd",  # ["abc",5]: text where the sort column is a date
        "sort=name&after=W3siZCI6IjIwMjAtMDEtMDEifSw1XQ",  # a date where the column is text
        "page=99999999999999999999",
        "from=2009-13&to=abc",
        "from=%E5%B9%B3%E6%88%9031%E5%B9%B45%E6%9C%88",
        "in_force_on=2020-02-30",
        "active_on=yesterday",
        "kind=treaty'%20OR%201=1--",
        "q=%ff%fe%fd",
        "q=" + "%E6%97%A5" * 5000,
        "as_needed=maybe",
        "side[]=jp",
        "record_type=__class__",
        "record_type=agreement%00",
        "source=%00",
        "after=WzEyLDVd",  # [12,5]: a number where the sort column is a date or a name
        "after=W3RydWUsNV0",  # [true,5]
    ],
)
@pytest.mark.parametrize("name", [*LISTS, *EXPORT_ONLY])
def test_hostile_query_strings_never_break_a_page(client, name, query):
    make_citation(participation=make_participation())
    for url in urls_of(name):
        response = client.get(f"{url}?{query}")
        # 302: a parameter the page does not read, redirected away (views.canonical_query).
        assert response.status_code in (200, 302, 400), (url, query, response.status_code)
        if response.streaming:
            b"".join(response.streaming_content)


query_keys = st.sampled_from(["q", "meeting", "person", "source", "record_type", "kind", "sort", "after", "before", "from", "to", "in_force_on", "active_on", "body", "side", "level", "as_needed", "state", "party", "country", "parent", "page"])
query_values = st.one_of(st.text(max_size=30), st.text(alphabet=string.printable, max_size=30), st.binary(max_size=20).map(lambda b: b.decode("latin-1")))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from([*LISTS, *EXPORT_ONLY]), params=st.dictionaries(query_keys, query_values, max_size=5))
def test_no_query_string_gets_a_500(client, name, params):
    for url in (*urls_of(name), reverse("alliance:search")):
        response = client.get(url, params)
        assert response.status_code in (200, 302, 400), (url, params)
        if response.streaming:
            b"".join(response.streaming_content)


def test_citations_on_a_detail_page_do_not_cost_a_query_each(client, django_assert_max_num_queries):
    meeting = make_meeting()
    for _ in range(20):
        make_citation(meeting=meeting)
        make_participation(meeting=meeting, person=make_person(), post=make_post())
    with django_assert_max_num_queries(12):
        assert client.get(meeting.get_absolute_url()).status_code == 200
    assert Citation.objects.count() == 20
