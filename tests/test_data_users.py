"""What a data user joins, reads from another site, and may reuse (issue 23, items 8-13)."""

import csv
import io
import json

import pytest
from django.urls import reverse

from alliance.models import Citation
from alliance.public.entities import EXPORTS

pytestmark = pytest.mark.django_db


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return list(csv.DictReader(io.StringIO(body_of(response).decode("utf-8-sig"), newline="")))


def test_every_citation_joins_a_row_of_a_downloadable_export_and_the_package_says_which(client, seeded):
    descriptor = json.loads(client.get(reverse("alliance:datapackage")).content)
    resources = {r["name"]: r for r in descriptor["resources"]}
    citations = resources["citations"]["schema"]
    keys = {fk["fields"][0]: fk["reference"]["resource"] for fk in citations["foreignKeys"]}
    exported = {}  # resource name: the set of its primary keys
    for name, resource in resources.items():
        [key] = resource["schema"]["primaryKey"]
        exported[name] = {row[key] for row in csv_rows(client, resource["path"].removeprefix("http://testserver"))}
    rows = csv_rows(client, reverse("alliance:citation-csv"))
    assert len(rows) == Citation.objects.published().count() >= 970
    joined = 0
    for row in rows:
        filled = [column for column in keys if column != "source_slug" and row[column]]
        assert len(filled) == 1, row
        [column] = filled
        assert row[column] == row["record_slug"]
        assert column in (f"{row['record_type']}_slug", f"{row['record_type']}_key") or row["record_type"] == "participation"
        joined += row[column] in exported[keys[column]]
    assert joined == len(rows), f"{joined}/{len(rows)} citations join a row of an export"


@pytest.mark.parametrize("name", ["tenure", "organization", "post", "agreement_relation", "meeting_document", "body_link"])
def test_the_records_shown_on_other_pages_have_exports_of_their_own(client, seeded, name):
    entity = EXPORTS[name]
    rows = csv_rows(client, reverse(f"alliance:{name}-csv"))
    assert len(rows) == entity.public().count() > 0
    descriptor = json.loads(client.get(reverse("alliance:datapackage")).content)
    assert entity.path in {r["name"] for r in descriptor["resources"]}


def test_attendees_have_a_primary_key(client, seeded):
    descriptor = json.loads(client.get(reverse("alliance:datapackage")).content)
    attendees = next(r for r in descriptor["resources"] if r["name"] == "attendees")
    assert attendees["schema"]["primaryKey"] == ["key"]
    rows = csv_rows(client, reverse("alliance:attendee-csv"))
    assert len({row["key"] for row in rows}) == len(rows)
    assert all(row["key"] == f"{row['meeting_slug']}/{row['position']}" for row in rows)


# --- licence, sources, anchors (item 10) -----------------------------------------------


def test_the_compilation_s_licence_is_stated_beside_each_source_s_own_terms(client, seeded):
    descriptor = json.loads(client.get(reverse("alliance:datapackage")).content)
    assert descriptor["licenses"] == [
        {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International",
         "path": "https://creativecommons.org/licenses/by/4.0/"}
    ]
    sources = {s["title"]: s for s in descriptor["sources"]}
    assert len(sources) == 5 and all("政府標準利用規約" in s["licence"] for s in sources.values())
    spec = json.loads(client.get(reverse("alliance:openapi")).content)
    assert spec["info"]["license"] == {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"}
    for url in ("/", "/data/", "/en/data/", "/agreements/sofa/"):
        html = client.get(url).content.decode()
        assert 'href="https://creativecommons.org/licenses/by/4.0/"' in html, url
        assert 'rel="license"' in html, url


def test_a_record_s_json_citations_carry_their_key_and_the_anchor_rule_is_documented(client, seeded):
    record = json.loads(client.get("/bodies/scc/export.json").content)
    assert record["citations"] and all(c["key"] for c in record["citations"])
    key = record["citations"][0]["key"]
    page = client.get(f"/sources/{record['citations'][0]['source_slug']}/").content.decode()
    assert f'id="quote-{key}"' in page
    for url in ("/data/", "/en/data/"):
        html = client.get(url).content.decode()
        assert "#quote-" in html and "source_url" in html, url


# --- English titles and descriptions in the data package (item 13) ------------------------


def test_every_field_of_the_package_has_a_title_and_a_description_in_its_language(client, seeded):
    import re

    for url, language in ((reverse("alliance:datapackage"), "ja"), ("/en/data/datapackage.json", "en")):
        descriptor = json.loads(client.get(url).content)
        fields = [f for r in descriptor["resources"] for f in r["schema"]["fields"]]
        assert all(f.get("title") and f.get("description") for f in fields), url
        assert len({f["description"] for f in fields}) > len(fields) / 3
        if language == "en":
            japanese = [f["title"] for f in fields if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", f["title"])]
            assert not japanese, japanese[:10]
            assert all(not re.search(r"[\u3040-\u30ff]", r["title"]) for r in descriptor["resources"])


# --- other sites' scripts (item 11) ----------------------------------------------------


def test_the_public_exports_answer_other_sites(client, seeded):
    for url in ("/meetings/export.json", "/meetings/export.csv", "/citations/export.ndjson", "/bodies/scc/export.json",
                "/data/datapackage.json", "/api/openapi.json", "/en/agreements/export.xlsx"):
        preflight = client.options(url, HTTP_ORIGIN="https://example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
        assert preflight.status_code == 204, url
        assert preflight["Access-Control-Allow-Origin"] == "*"
        assert "GET" in preflight["Access-Control-Allow-Methods"]
        response = client.get(url, HTTP_ORIGIN="https://example.org")
        assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*", url
    # Pages for people are not an API: no CORS there.
    assert client.options("/meetings/").status_code == 405


def test_a_json_page_links_the_next_in_a_header_with_a_bounded_page_size(client, seeded):
    first = client.get("/meetings/export.json", {"limit": "5"})
    data = json.loads(first.content)
    assert len(data["rows"]) == 5 and "limit=5" in data["next"]
    assert first["Link"] == f'<{data["next"]}>; rel="next"'
    again = client.get("/meetings/export.json", {"limit": "5"})  # from the page cache
    assert again["Link"] == first["Link"] and again["Access-Control-Allow-Origin"] == "*"
    second = client.get(data["next"].removeprefix("http://testserver"))
    assert 'rel="prev"' in second["Link"] and 'rel="next"' in second["Link"]
    largest = json.loads(client.get("/meetings/export.json", {"limit": "500"}).content)
    assert len(largest["rows"]) == 68 and largest["next"] is None
    # What the OpenAPI document refuses (an integer from 1 to 500, given once) is answered
    # 400 saying why: a program asking for 100,000 rows is not handed 500 as if they were all.
    for value in ["100000", "0", "abc", "5.0", "-1"]:
        refused = client.get("/meetings/export.json", {"limit": value})
        assert refused.status_code == 400 and "limit" in refused.content.decode(), value
    twice = client.get("/meetings/export.json?limit=5&limit=6")
    assert twice.status_code == 400 and "limit" in twice.content.decode()


@pytest.mark.parametrize("name", ["meeting", "agreement", "citation"])
def test_a_data_user_chooses_the_columns(client, seeded, name):
    from .test_xlsx import workbook_rows

    # Unknown names are left out; the columns come in the order asked for.
    expected = ["key", "record_type"] if name == "citation" else ["url", "slug"]
    rows = csv_rows(client, reverse(f"alliance:{name}-csv") + f"?fields={expected[0]},nonsense,{expected[1]}")
    assert rows and list(rows[0]) == expected
    fields = ",".join(expected)
    data = json.loads(client.get(reverse(f"alliance:{name}-json"), {"fields": fields}).content)
    assert list(data["rows"][0]) == expected and "fields=" in (data["next"] or "fields=")
    lines = body_of(client.get(reverse(f"alliance:{name}-ndjson"), {"fields": fields})).splitlines()
    assert list(json.loads(lines[0])) == expected
    header, *_ = workbook_rows(client, name, {"fields": fields})
    assert [c.value for c in header] == expected


def test_the_openapi_document_describes_the_page_size_the_columns_and_the_link_header(client):
    spec = json.loads(client.get(reverse("alliance:openapi")).content)
    operation = spec["paths"]["/meetings/export.json"]["get"]
    names = {p["name"]: p for p in operation["parameters"]}
    assert names["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
    assert "slug" in names["fields"]["description"]
    assert "Link" in operation["responses"]["200"]["headers"]
    assert "fields" in {p["name"] for p in spec["paths"]["/meetings/export.csv"]["get"]["parameters"]}
    assert "Access-Control-Allow-Origin" in spec["info"]["description"]


# --- spreadsheets (item 12) ---------------------------------------------------------------


def test_spreadsheet_users_are_told_what_libreoffice_does(client):
    """What tests/test_libreoffice.py shows, said in the README and the codebook: the BOM is
    ignored without the import dialog, a CSV's dates come out as several types, the XLSX
    is read as written. No promise that no spreadsheet can misread the CSV."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "no spreadsheet can misread" not in readme
    for text in (readme, client.get("/en/data/").content.decode()):
        assert "LibreOffice" in text and "UTF-8" in text and "XLSX" in text
        assert "_from" in text and "Text Import" in text


# --- the titles readers see, exported (item 9) ----------------------------------------


def test_the_meetings_export_carries_the_titles_the_pages_show_in_both_languages(client, seeded):
    from django.utils import translation

    from alliance.models import Meeting
    from alliance.public.entities import attendees

    meetings = Meeting.objects.published().select_related("body").prefetch_related(attendees())
    rows = {row["slug"]: row for row in csv_rows(client, reverse("alliance:meeting-csv"))}
    ndjson = {json.loads(line)["slug"]: json.loads(line) for line in body_of(client.get(reverse("alliance:meeting-ndjson"))).splitlines()}
    for meeting in meetings:
        with translation.override("ja"):
            ja = meeting.title
        with translation.override("en"):
            en = meeting.title
        assert (rows[meeting.slug]["title_ja"], rows[meeting.slug]["title_en"]) == (ja, en), meeting.slug
        assert (ndjson[meeting.slug]["title_ja"], ndjson[meeting.slug]["title_en"]) == (ja, en), meeting.slug
    assert rows["summit-2025-02-07"]["title_ja"] == "日米首脳会談（2025年2月7日、ワシントンD.C.）"
    assert len(rows) == 68 and len({row["title_ja"] for row in rows.values()}) > 60  # 37 distinct name_ja


def test_a_composed_title_follows_a_change_to_what_it_is_composed_from(client):
    from alliance.models import Meeting

    from .factories import make_body, make_meeting, make_participation, make_person, make_post

    body = make_body(name_ja="日米防衛相会談", name_en="")
    meeting = make_meeting(name_ja="日米防衛相会談", name_en="", body=body, kind="defense", start="2024-07", place_ja="東京", place_en="Tokyo", session_number=3)
    make_participation(meeting=meeting, person=make_person(name_ja="オースティン", name_en="Lloyd J. Austin III"),
                       post=make_post(name_ja="国防長官", name_en="Secretary of Defense"))
    url = reverse("alliance:meeting-csv") + f"?body={body.slug}"
    row = csv_rows(client, url)[0]
    assert row["title_ja"] == "日米防衛相会談（第3回、2024年7月、東京）"
    assert row["title_en"] == "Defense ministers’ meeting: Lloyd J. Austin III (Secretary of Defense), Tokyo, July 2024"
    body.name_en = "Japan-U.S. Defense Ministerial Meeting"
    body.save()
    assert csv_rows(client, url)[0]["title_en"] == "Japan-U.S. Defense Ministerial Meeting, 3rd meeting, Tokyo, July 2024"
    Meeting.objects.filter(pk=meeting.pk).update(start_qualifier="early")
    assert csv_rows(client, url)[0]["title_ja"] == "日米防衛相会談（第3回、2024年7月上旬、東京）"
