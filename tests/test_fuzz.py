"""A query-string fuzz over every public URL: no value of any parameter a page declares,
nor any parameter it does not, makes it answer 5xx.

Every list, export and detail URL (both languages for the pages), the charts, search,
the codebook, the feeds and the data package, each with every parameter it reads set to
boundary dates (year 1, year 9999, fiscal years at both ends), control characters, long
and odd text; over records dated at the calendar's ends and holding control characters.
Failures are collected, then reported together.
"""

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from alliance.models import Source
from alliance.public.entities import ENTITIES
from alliance.public.openapi import CURSORS, list_parameters

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
)

pytestmark = pytest.mark.django_db

# Where a value is read as a date: every boundary of the calendar, at every precision.
DATES = [
    "0001", "0001-01", "0001-01-01", "0001-03-31", "FY0001", "0001年度", "0001年1月", "0001 end",
    "9999", "9999-12", "9999-12-31", "FY9999", "9999年度", "9999-12 end", "FY9999 end", "9999年12月末",
    "0000", "10000", "明治1年", "R9999", "S1.1.1",
]
# Anything else a reader (or a robot) might send.
JUNK = ["AAA", "\x0b", "%", "'; --", "日米" * 300, "-1", "0", "99999999999999999999", "a,b", "[]"]
# Sent as they are: bytes that are no UTF-8, a lone surrogate, a half escape.
RAW = ["%ED%A0%80", "%FF%FE", "%E6%97"]
DATE_PARAMS = {"from", "to", "in_force_on", "active_on", "on", "year"}


def dated_records():
    """Records at the calendar's ends and with a vertical tab (Word's manual line break)."""
    first = make_body(slug="first-body", name_ja="最初の\x0b協議体", established="0001-01-01", ended="9999-12-31")
    last = make_body(slug="last-body", name_ja="最後の協議体", parent=first, established="9999")
    make_body_link(from_body=last, to_body=first, start="0001", end="9999年度")
    agreement = make_agreement(slug="ancient", name_ja="古\x0bい協定", signed="0001", in_force="0001-01-01", ended="9999年度")
    make_agreement(slug="future", name_ja="未来の協定", signed="9999-12", in_force="9999-12-31")
    make_seat(body=first, start="0001", end="9999")
    meeting = make_meeting(slug="year-one", body=first, start="0001-01-01", summary_ja="要旨\x0b改行")
    make_meeting(slug="year-last", body=last, start="9999年度")
    person = make_person(slug="person-vt", name_ja="山田\x0b太郎")
    make_participation(meeting=meeting, person=person, post=make_post(slug="post-vt", name_ja="外務\x0b大臣"))
    make_organization(slug="org-first", name_ja="外務省", established="0001")
    make_citation(meeting=meeting, quote="日米安全保障協議委員会")
    make_citation(agreement=agreement)
    make_event(slug="event-first", start="0001年度", end="9999年度")
    make_event(slug="event-last", start="9999-12-31")
    Source.objects.filter(pk=make_citation(body=first).source_id).update(title_ja="資料\x0bの題")


def slug_of(entity):
    row = entity.public().order_by("pk").values_list("slug", flat=True).first()
    assert row, entity.name
    return row


def targets():
    """(url, the parameters it reads) for every public URL."""
    out = []
    for entity in ENTITIES.values():
        names = [p["name"] for p in list_parameters(entity)] + [c["name"] for c in CURSORS]
        if entity.listed:
            out.append((reverse(f"alliance:{entity.name}-list"), names))
        if entity.has_exports:
            out += [(reverse(f"alliance:{entity.name}-{kind}"), names) for kind in ("csv", "json", "ndjson", "xlsx")]
        if entity.detailed:
            slug = slug_of(entity)
            out += [(reverse(f"alliance:{entity.name}-{kind}", args=[slug]), []) for kind in ("detail", "detail-json")]
    out += [
        (reverse("alliance:home"), []),
        (reverse("alliance:search"), ["q"]),
        (reverse("alliance:structure"), ["on"]),
        (reverse("alliance:structure-of", args=["first-body"]), ["on"]),
        (reverse("alliance:chronology"), ["type", "body", "year"]),
        (reverse("alliance:data"), []),
        (reverse("alliance:datapackage"), []),
        (reverse("alliance:feed"), []),
        (reverse("alliance:body-feed", args=["first-body"]), []),
        (reverse("alliance:openapi"), []),
    ]
    return out


def consume(response):
    if response.streaming:
        b"".join(response.streaming_content)


def test_no_value_of_any_parameter_of_any_public_url_answers_5xx():
    dated_records()
    client = Client(raise_request_exception=False)
    failures, sent = [], 0
    for language in ("ja", "en"):
        with translation.override(language):
            urls = targets()
        for url, names in urls:
            if language == "en" and not url.endswith("/"):
                continue  # the exports are the same in both languages
            queries = ["", "unknown=1"]
            # The exports read their query string as their list page does, which has
            # every value; they have the dates (their SQL reads the rows' own) and a few.
            whole = url.endswith("/") and language == "ja"
            for name in names:
                if language == "en" and name not in DATE_PARAMS:
                    continue  # the English pages read their query strings with the same code
                if name in DATE_PARAMS:
                    values = DATES + JUNK[:3]
                else:
                    values = JUNK if whole else JUNK[:2]
                queries += [urlencode({name: value}) for value in values]
                queries += [f"{name}={raw}" for raw in (RAW if whole else RAW[:1])]
            for query in queries:
                response = client.get(f"{url}?{query}" if query else url)
                consume(response)
                sent += 1
                if response.status_code >= 500:
                    failures.append((url, query, response.status_code))
    print(f"query-string fuzz: {sent} requests, {len(failures)} answered 5xx")
    assert sent > 2500
    assert not failures, f"{len(failures)} of {sent} requests answered 5xx: {failures[:40]}"


@pytest.mark.parametrize(
    "url",
    [
        "/meetings/?from=0001",
        "/meetings/export.csv?from=0001-01-01",
        "/bodies/?active_on=0001-01-01",
        "/bodies/export.xlsx?active_on=0001-01-01",
        "/agreements/?in_force_on=0001-01-01",
        "/structure/?on=0001",
    ],
)
def test_a_year_one_day_answers_on_ordinary_records(url):
    """Issue 22's 500s from a year-1 date, on records dated as records are."""
    body = make_body(slug="acm", name_ja="同盟調整メカニズム", established="2015-11")
    make_meeting(slug="plain-meeting", body=body, start="2016-04-01")
    make_agreement(slug="plain-agreement", signed="1960-01-19", in_force="1960-06-23")
    response = Client(raise_request_exception=False).get(url)
    consume(response)
    assert response.status_code in (200, 400), (url, response.status_code)


def test_an_xlsx_with_a_control_character_in_a_cell_answers_and_keeps_the_text():
    import io

    import openpyxl

    dated_records()
    client = Client(raise_request_exception=False)
    for name in ("agreement", "body", "meeting", "person", "attendee", "source"):
        response = client.get(reverse(f"alliance:{name}-xlsx"))
        assert response.status_code == 200, name
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
        cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert not any("\x0b" in c for c in cells), name
        assert any("\n" in c for c in cells), name  # Word's manual line break, as a line break


def enum_parameters(entity):
    return [p for p in list_parameters(entity) if "enum" in p["schema"]]


def test_a_value_outside_a_declared_choice_is_refused_by_every_export_and_noticed_on_the_page():
    dated_records()
    client = Client(raise_request_exception=False)
    checked = 0
    for entity in ENTITIES.values():
        if not entity.has_exports:
            continue
        for parameter in enum_parameters(entity):
            for kind in ("csv", "json", "ndjson", "xlsx"):
                response = client.get(reverse(f"alliance:{entity.name}-{kind}"), {parameter["name"]: "AAA"})
                consume(response)
                assert response.status_code == 400, (entity.name, kind, parameter["name"])
                assert response["Content-Type"].startswith("text/plain")
                assert "AAA" in response.content.decode()
                checked += 1
            if entity.listed:
                response = client.get(reverse(f"alliance:{entity.name}-list"), {parameter["name"]: "AAA"})
                assert response.status_code == 200 and 'class="notice"' in response.content.decode(), parameter
            # A declared choice is taken.
            allowed = parameter["schema"]["enum"][0]
            response = client.get(reverse(f"alliance:{entity.name}-json"), {parameter["name"]: allowed})
            assert response.status_code == 200, (entity.name, parameter["name"], allowed)
    assert checked > 40


def test_every_operation_of_the_openapi_document_declares_its_400():
    from alliance.public.openapi import document

    for path, item in document()["paths"].items():
        responses = item["get"]["responses"]
        assert "400" in responses and "text/plain" in responses["400"]["content"], path


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "QUERY"])
def test_a_method_a_public_page_does_not_answer_is_405_not_a_csrf_403(method):
    dated_records()
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    for url in ("/", "/agreements/", "/agreements/export.csv", "/agreements/ancient/", "/api/openapi.json", "/feed/"):
        response = client.generic(method, url)
        assert response.status_code == 405, (method, url, response.status_code)
        assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}


def test_options_is_a_cors_preflight_on_the_exports_and_405_on_the_pages():
    dated_records()
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    for url in ("/", "/agreements/", "/agreements/ancient/", "/search/"):
        response = client.options(url)
        assert response.status_code == 405, url
        assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}
    for url in ("/agreements/export.csv", "/agreements/export.json", "/api/openapi.json", "/feed/"):
        response = client.options(url)
        assert response.status_code == 204, url
        assert response["Access-Control-Allow-Origin"] == "*"


def test_unknown_parameters_are_redirected_to_the_page_without_them_and_render_nothing():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    dated_records()
    client = Client()
    cases = {
        "/agreements/?x=1": "/agreements/",
        "/agreements/?kind=treaty&x=2&utm_source=a": "/agreements/?kind=treaty",
        "/en/meetings/?from=2000&nocache=3": "/en/meetings/?from=2000",
        "/meetings/export.csv?junk=1&sort=date": "/meetings/export.csv?sort=date",
        "/agreements/ancient/?x=4": "/agreements/ancient/",
        "/structure/?on=2016&x=5": "/structure/?on=2016",
        "/chronology/?type=meeting&x=6": "/chronology/?type=meeting",
        "/search/?q=%E6%97%A5&x=7": "/search/?q=%E6%97%A5",
        "/?x=8": "/",
        "/feed/?x=9": "/feed/",
        "/api/openapi.json?x=10": "/api/openapi.json",
    }
    for url, canonical in cases.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 302 and response["Location"] == canonical, (url, response.status_code)
        assert len(queries) == 0, (url, [q["sql"] for q in queries])  # nothing read, nothing rendered
    # The canonical page is rendered once, then served from the cache whatever junk is added.
    assert client.get("/agreements/?kind=treaty")["X-Cache"] == "miss"
    assert client.get("/agreements/?kind=treaty&x=11", follow=True).redirect_chain[0][1] == 302
    assert client.get("/agreements/?kind=treaty")["X-Cache"] == "hit"


def test_an_unreadable_day_is_refused_by_the_exports_as_its_format_declares():
    dated_records()
    client = Client(raise_request_exception=False)
    for name, param in (("agreement", "in_force_on"), ("body", "active_on"), ("seat", "active_on")):
        for value in ("", "abc", "2020-02-30", "2020"):
            response = client.get(reverse(f"alliance:{name}-csv"), {param: value})
            assert response.status_code == 400, (name, param, value)
        for value in ("2020-04-01", "令和2年4月1日"):  # an ISO day, and a form an editor types
            assert client.get(reverse(f"alliance:{name}-csv"), {param: value}).status_code == 200, value
        page = client.get(reverse(f"alliance:{name}-list"), {param: "abc"})
        assert page.status_code == 200 and 'class="notice"' in page.content.decode()


def test_free_text_parameters_are_declared_without_a_nul():
    import re

    from alliance.public.openapi import document

    for path, item in document()["paths"].items():
        for parameter in item["get"]["parameters"]:
            schema = parameter["schema"]
            if "pattern" in schema:
                assert not re.search(schema["pattern"], "a\x00b"), (path, parameter["name"])
                assert parameter["in"] == "path" or re.search(schema["pattern"], "日米 2+2")
            else:
                assert "enum" in schema or schema.get("format") == "date" or schema["type"] == "integer", (path, parameter)
