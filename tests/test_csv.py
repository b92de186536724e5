"""CSV exactly as the list shows it, in a form a Japanese Excel opens cleanly."""

import csv
import io

import pytest
from django.urls import reverse

from alliance.models import AgreementRelation, Meeting
from alliance.public.entities import ENTITIES

from .factories import (
    make_agreement,
    make_body,
    make_meeting,
    make_organization,
    make_participation,
    make_person,
    make_post,
)

pytestmark = pytest.mark.django_db


def download(client, name, **params):
    response = client.get(reverse(f"alliance:{name}-csv"), params)
    assert response.status_code == 200
    assert response.streaming, "the CSV is streamed, not built in memory"
    return response, b"".join(response.streaming_content)


def parse(raw: bytes):
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_bytes_start_with_a_bom_and_lines_end_in_crlf(client):
    make_agreement(name_ja="日米地位協定", signed="1960-01-19")
    response, raw = download(client, "agreement")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert raw.count(b"\r\n") == 2 and b"\n" not in raw.replace(b"\r\n", b"")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="alliance-registry_agreements_') and disposition.endswith('.csv"')


def test_headers_are_stable_snake_case(client):
    make_meeting()
    _, raw = download(client, "meeting")
    header = raw.decode("utf-8-sig").split("\r\n")[0].split(",")
    assert header == [
        "slug", "name_ja", "name_en", "name_en_basis", "title_ja", "title_en", "body", "body_en", "body_slug", "kind", "session_number",
        "start", "start_precision", "start_from", "start_to", "end", "end_precision", "end_from", "end_to",
        "place_ja", "place_en", "attendees", "documents", "document_slugs", "outcomes_ja", "outcomes_en",
        "summary_ja", "summary_en", "url",
    ]


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+81-3", "-1+2", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_a_cell_that_a_spreadsheet_would_run_is_prefixed(client, text):
    make_agreement(name_ja=text, summary_ja="普通の説明")
    _, raw = download(client, "agreement")
    row = parse(raw)[0]
    assert row["name_ja"] == "'" + text
    assert row["summary_ja"] == "普通の説明"


def test_quotes_commas_and_newlines_survive(client):
    make_agreement(name_ja='協定「A」, "B"', summary_ja="一行目\n二行目")
    _, raw = download(client, "agreement")
    row = parse(raw)[0]
    assert row["name_ja"] == '協定「A」, "B"'
    assert row["summary_ja"] == "一行目\n二行目"


def test_partial_dates_keep_their_precision(client):
    make_agreement(slug="y", signed="1996", in_force="1996")
    make_agreement(slug="m", signed="2009-11")
    make_agreement(slug="d", signed="平成29年4月25日")
    _, raw = download(client, "agreement", sort="signed")
    assert [(r["slug"], r["signed"]) for r in parse(raw)] == [("y", "1996"), ("m", "2009-11"), ("d", "2017-04-25")]


def test_related_names_are_joined_and_every_row_has_a_permalink(client):
    meeting = make_meeting(slug="scc-2023-01", name_ja="日米「2+2」", start="2023-01-11")
    make_participation(meeting=meeting, position=1, side="jp", person=make_person(name_ja="林"), post=make_post(name_ja="外務大臣"), name_text="")
    make_participation(meeting=meeting, position=2, side="us", person=make_person(name_ja="ブリンケン", country="us"), post=make_post(name_ja="国務長官", country="us"), name_text="")
    _, raw = download(client, "meeting")
    row = parse(raw)[0]
    assert row["attendees"] == "jp: 外務大臣 林; us: 国務長官 ブリンケン"
    assert row["url"] == "http://testserver/meetings/scc-2023-01/"


def test_the_csv_has_exactly_the_rows_of_the_filtered_list(client):
    for i in range(70):
        make_meeting(name_ja=f"会議{i}", kind="2plus2" if i % 3 else "summit", start=f"20{10 + i % 10}-0{1 + i % 9}")
    params = {"kind": "2plus2", "from": "2012", "to": "2017", "sort": "date"}
    page = client.get(reverse("alliance:meeting-list"), params)
    _, raw = download(client, "meeting", **params)
    csv_slugs = [r["slug"] for r in parse(raw)]
    assert len(csv_slugs) == page.context["count"]
    assert csv_slugs[: len(page.context["rows"])] == [m.slug for m in page.context["rows"]]
    assert set(csv_slugs) == set(
        Meeting.objects.published().filter(kind="2plus2", start_date__year__gte=2012, start_date__year__lte=2017).values_list("slug", flat=True)
    )


def test_the_list_page_links_to_its_csv_with_the_same_query(client):
    make_meeting()
    html = client.get(reverse("alliance:meeting-list"), {"kind": "summit", "q": "日米"}).content.decode()
    assert reverse("alliance:meeting-csv") + "?q=%E6%97%A5%E7%B1%B3&amp;kind=summit" in html


def test_outcomes_are_one_cell_of_trimmed_lines(client):
    make_meeting(outcomes_ja="  協力の推進で一致\r\n\r\n  次回会合の開催で一致  \n")
    _, raw = download(client, "meeting")
    assert parse(raw)[0]["outcomes_ja"] == "協力の推進で一致; 次回会合の開催で一致"


def test_related_records_are_joinable_by_slug(client):
    old = make_agreement(slug="security-treaty-1951", name_ja="旧安保条約")
    treaty = make_agreement(slug="security-treaty-1960", name_ja="日米安全保障条約")
    AgreementRelation.objects.create(subject=treaty, kind="supersedes", object=old, status="published")
    AgreementRelation.objects.create(subject=make_agreement(slug="sofa", name_ja="日米地位協定"), kind="based_on", object=treaty, status="published")
    treaty.parties.add(make_organization(slug="japan", name_ja="日本国"), make_organization(slug="usa", name_ja="米国", country="us"))
    agreements = {r["slug"]: r for r in parse(download(client, "agreement")[1])}
    assert agreements["security-treaty-1960"]["relations"] == "supersedes:security-treaty-1951; basis_of:sofa"
    assert agreements["security-treaty-1951"]["relations"] == "superseded_by:security-treaty-1960"
    assert agreements["sofa"]["relations"] == "based_on:security-treaty-1960"
    assert agreements["security-treaty-1960"]["party_slugs"] == "japan; usa"
    scc = make_body(slug="scc", legal_basis=treaty, parent=make_body(slug="acm"))
    body = {r["slug"]: r for r in parse(download(client, "body")[1])}["scc"]
    assert (body["parent_slug"], body["legal_basis_slug"]) == ("acm", "security-treaty-1960")
    make_meeting(slug="scc-2023", body=scc)
    assert parse(download(client, "meeting")[1])[0]["body_slug"] == "scc"


def test_each_partial_date_has_its_precision_and_its_first_and_last_day(client):
    make_agreement(slug="y", signed="1996")
    make_agreement(slug="m", signed="2008-02")
    make_agreement(slug="d", signed="2017-04-25")
    make_agreement(slug="none", signed=None)
    rows = {r["slug"]: r for r in parse(download(client, "agreement")[1])}
    dates = {slug: (r["signed"], r["signed_precision"], r["signed_from"], r["signed_to"]) for slug, r in rows.items()}
    assert dates == {
        "y": ("1996", "year", "1996-01-01", "1996-12-31"),
        "m": ("2008-02", "month", "2008-02-01", "2008-02-29"),
        "d": ("2017-04-25", "day", "2017-04-25", "2017-04-25"),
        "none": ("", "", "", ""),
    }


def test_one_row_per_attendee_with_slugs_and_drafts_left_blank(client):
    meeting = make_meeting(slug="scc-2023-01", start="2023-01-11", body=make_body(slug="scc"))
    make_participation(meeting=meeting, side="jp", person=make_person(slug="hayashi", name_ja="林"), post=make_post(slug="mofa-minister"), name_text="", role="代表")
    make_participation(meeting=meeting, side="jp", person=make_person(slug="secret", status="draft"), post=make_post(slug="mod-minister"), name_text="")
    make_participation(meeting=meeting, side="us", name_text="国防総省の代表")
    make_participation(meeting=meeting, side="us", person=make_person(slug="hidden", status="draft"), name_text="")
    make_participation(meeting=make_meeting(slug="draft-meeting", status="draft"), name_text="非公開")
    response, raw = download(client, "attendee")
    assert 'filename="alliance-registry_attendees_' in response["Content-Disposition"]
    rows = parse(raw)
    assert [(r["meeting_slug"], r["position"], r["side"], r["person_slug"], r["post_slug"], r["name_text"]) for r in rows] == [
        ("scc-2023-01", "1", "jp", "hayashi", "mofa-minister", ""),
        ("scc-2023-01", "2", "jp", "", "mod-minister", ""),
        ("scc-2023-01", "3", "us", "", "", "国防総省の代表"),
    ]
    assert (rows[0]["meeting_start"], rows[0]["body_slug"], rows[0]["role"]) == ("2023-01-11", "scc", "代表")
    assert b"secret" not in raw and b"hidden" not in raw and b"draft" not in raw


@pytest.mark.parametrize("name", ["agreement", "body", "seat", "person", "meeting", "attendee"])
def test_every_export_is_named_by_its_plural(client, name):
    response, _ = download(client, name)
    assert f'filename="alliance-registry_{ENTITIES[name].path}_' in response["Content-Disposition"]
    assert "bodys" not in response["Content-Disposition"]


def test_a_download_read_slowly_is_not_cut_off_by_the_statement_timeout():
    """The web application's connections carry a statement_timeout (DATABASE_STATEMENT_TIMEOUT)
    from their start; a COPY runs as long as its reader takes to download it, and is not
    cancelled halfway. The connection has its own timeout again afterwards."""
    import time

    from django.db import connections

    from alliance.public.export import _copy

    settings = {**connections["default"].settings_dict}
    settings["OPTIONS"] = {**settings["OPTIONS"], "options": "-c statement_timeout=300"}
    # A connection of its own (outside the test's transaction), opened as a worker's is.
    served = connections["default"].__class__(settings, alias="default")
    try:
        # 20 MB: more than the sockets hold, so the server is still sending when 300 ms are up.
        sql = "COPY (SELECT repeat('x', 1000) FROM generate_series(1, 20000)) TO STDOUT"
        received = 0
        started = time.monotonic()
        for chunk in _copy(served, sql, []):
            received += len(chunk)
            time.sleep(0.003)
        assert received == 20000 * 1001 and time.monotonic() - started > 0.6
        with served.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "300ms"
    finally:
        served.close()
