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
