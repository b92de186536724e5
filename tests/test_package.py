"""One download of the whole published registry, described and validated as a Frictionless data package."""

import io
import json
import zipfile

import frictionless
import pytest
from django.urls import reverse

from alliance.public.entities import EXPORTS

from .factories import make_agreement, make_citation, make_meeting

pytestmark = pytest.mark.django_db


def download(client):
    response = client.get(reverse("alliance:datapackage-zip"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'filename="alliance-registry_package_' in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_package_validates_with_its_types_keys_and_foreign_keys(client, seeded, tmp_path):
    archive = download(client)
    archive.extractall(tmp_path)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    assert [r["name"] for r in descriptor["resources"]] == [e.path for e in EXPORTS.values()]
    for entity, resource in zip(EXPORTS.values(), descriptor["resources"], strict=True):
        assert [f["name"] for f in resource["schema"]["fields"]] == entity.headers
    meetings = next(r for r in descriptor["resources"] if r["name"] == "meetings")
    assert {"fields": ["body_slug"], "reference": {"resource": "bodies", "fields": ["slug"]}} in meetings["schema"]["foreignKeys"]
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    # Each CSV in the package is byte for byte its export.
    response = client.get(reverse("alliance:citation-csv"))
    assert archive.read("data/citations.csv") == b"".join(response.streaming_content)


def test_a_broken_reference_would_fail_validation(client, seeded, tmp_path):
    download(client).extractall(tmp_path)
    meetings = tmp_path / "data" / "meetings.csv"
    text = meetings.read_text(encoding="utf-8-sig")
    meetings.write_text(text.replace(",scc,", ",no-such-body,", 1), encoding="utf-8-sig")
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid


def test_the_descriptor_online_points_at_the_exports(client):
    descriptor = json.loads(client.get(reverse("alliance:datapackage")).content)
    assert {r["path"] for r in descriptor["resources"]} == {
        f"http://testserver{reverse(f'alliance:{name}-csv')}" for name in EXPORTS
    }


def test_no_draft_reaches_the_package(client):
    draft = make_agreement(slug="zz-hidden-draft", name_ja="ひみつの協定", status="draft")
    make_citation(agreement=draft, quote="ひみつの引用")
    make_meeting(slug="public-meeting")
    archive = download(client)
    assert b"public-meeting" in archive.read("data/meetings.csv")
    for name in archive.namelist():
        assert b"zz-hidden-draft" not in archive.read(name) and "ひみつ".encode() not in archive.read(name), name
