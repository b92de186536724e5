"""The OpenAPI description and the codebook: generated from the declarations, and true of the exports."""

import json

import jsonschema
import pytest
from django.urls import reverse

from alliance.public.entities import ENTITIES, EXPORTS
from alliance.public.openapi import schema_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def spec(client):
    response = client.get(reverse("alliance:openapi"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return json.loads(response.content)


def validator(spec, name):
    """A JSON Schema validator for one of the description's schemas, resolving its $refs."""
    schema = {**spec["components"]["schemas"][name], "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_every_export_and_detail_is_described_with_its_parameters_and_columns(spec):
    jsonschema.Draft202012Validator.check_schema(spec["components"]["schemas"]["MeetingRow"])
    for entity in EXPORTS.values():
        for kind in ("csv", "json", "ndjson", "xlsx"):
            operation = spec["paths"][reverse(f"alliance:{entity.name}-{kind}")]["get"]
            names = {p["name"] for p in operation["parameters"]}
            assert {"q", "sort", *(n for flt in entity.filters for n in flt.params)} <= names
        row = spec["components"]["schemas"][schema_name(entity, "Row")]
        assert list(row["properties"]) == entity.headers
        assert all(p["description"] for p in row["properties"].values())
    for entity in ENTITIES.values():
        if entity.detailed:
            assert f"/{entity.path}/{{slug}}/export.json" in spec["paths"]


def test_the_json_of_every_export_and_detail_matches_its_schema(client, spec, seeded):
    for entity in EXPORTS.values():
        page = json.loads(client.get(reverse(f"alliance:{entity.name}-json")).content)
        assert page["rows"], entity.name
        validator(spec, schema_name(entity, "Page")).validate(page)
        response = client.get(reverse(f"alliance:{entity.name}-ndjson"))
        row = validator(spec, schema_name(entity, "Row"))
        for line in b"".join(response.streaming_content).decode().splitlines():
            row.validate(json.loads(line))
    for entity in ENTITIES.values():
        if entity.detailed:
            record = entity.public().first()
            detail = json.loads(client.get(reverse(f"alliance:{entity.name}-detail-json", args=[record.slug])).content)
            validator(spec, schema_name(entity, "Detail")).validate(detail)


def test_the_codebook_lists_every_export_column_and_code_in_both_languages(client):
    assert f'href="{reverse("alliance:data")}"' in client.get("/").content.decode()
    html = client.get(reverse("alliance:data")).content.decode()
    for entity in EXPORTS.values():
        assert reverse(f"alliance:{entity.name}-csv") in html
        for header in entity.headers:
            assert f"<code>{header}</code>" in html, header
    assert "<code>2plus2</code>" in html and "<code>jp</code> 日本側" in html and "<code>month</code>" in html
    assert "の期間の末日" in html
    english = client.get("/en/data/").content.decode()
    assert "Data and codebook" in english and "<code>jp</code> Japanese side" in english
    assert "last day of the period" in english


def test_the_description_is_in_the_language_asked_for(client):
    english = json.loads(client.get("/en/api/openapi.json").content)
    assert english["info"]["title"] == "Japan–U.S. Alliance Registry"
    assert "/meetings/export.json" in english["paths"]
