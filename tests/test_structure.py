"""The structure's promises: one registry of models from which every list of models is
derived, one declaration per public entity whose export headers are paired with their
expressions, and one name for a seat."""

import csv
import io

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse

from alliance.editorial.resources import RESOURCES, CitationResource, RegistryCSV
from alliance.management.commands.import_file import import_kinds
from alliance.models import (
    CITED_FIELDS,
    REGISTRY,
    Changeset,
    ChangesetMember,
    ChangesetReview,
    Citation,
    Meeting,
    Participation,
    Person,
    RegistryVersion,
    Revision,
    Seat,
    Source,
)
from alliance.public.entities import ENTITIES, EXPORTS
from alliance.public.export import export_sql, stream

from .conftest import forget_pages

pytestmark = pytest.mark.django_db


def curated_models():
    """Every model of the app that editors curate: all but the history copies, the counter,
    the proposed revisions and the changesets (which hold changes to curated records, and
    their review, not records)."""
    return {
        m
        for m in apps.get_app_config("alliance").get_models()
        if not m.__name__.startswith("Historical") and m not in (RegistryVersion, Revision, Changeset, ChangesetMember, ChangesetReview)
    }


def test_the_registry_lists_every_curated_model_once():
    listed = [entry.model for entry in REGISTRY]
    assert len(listed) == len(set(listed))
    assert set(listed) == curated_models()
    assert len({entry.kind for entry in REGISTRY}) == len(REGISTRY)


def triggers_on(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = %s AND t.tgname = %s AND NOT t.tgisinternal",
            [table, f"{table}_bump_version"],
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e.model_name)
def test_every_registry_model_has_its_trigger_resource_admin_roles_and_citation_target(entry, roles):
    model = entry.model
    for table in entry.tables():
        assert triggers_on(table) == 1, f"{table} has no data-version trigger"
    assert model in RESOURCES, f"{model.__name__} has no import resource"
    assert import_kinds()[entry.kind] is RESOURCES[model]
    assert model in admin.site._registry, f"{model.__name__} is not in the admin"
    editors = set(Group.objects.get(name="editors").permissions.values_list("codename", flat=True))
    publishers = set(Group.objects.get(name="publishers").permissions.values_list("codename", flat=True))
    name = entry.model_name
    assert {f"view_{name}", f"add_{name}", f"change_{name}"} <= editors
    assert f"delete_{name}" in publishers and f"delete_{name}" not in editors
    assert (f"publish_{name}" in publishers) == entry.publishable
    assert f"publish_{name}" not in editors
    if model not in (Source, Citation):
        field = Citation._meta.get_field(entry.cited_as)
        assert field.related_model is model
        assert entry.cited_as in CitationResource.fields, "a citation of it could not be imported back"


def test_citation_targets_are_exactly_the_registry_s_citable_models():
    fks = {f.name for f in Citation._meta.get_fields() if f.many_to_one and f.name != "source"}
    assert fks == set(CITED_FIELDS)


def test_a_change_to_any_registry_table_bumps_the_data_version(seeded):
    def version():
        with connection.cursor() as cursor:
            cursor.execute("SELECT version FROM alliance_registry_version WHERE id = 1")
            return cursor.fetchone()[0]

    for entry in REGISTRY:
        before = version()
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {entry.model._meta.db_table} SET id = id WHERE false")
        assert version() > before, entry.model_name


@pytest.mark.parametrize("name", EXPORTS)
def test_every_csv_header_is_paired_with_exactly_one_expression(seeded, name):
    entity = EXPORTS[name]
    headers = entity.headers
    assert len(headers) == len(set(headers)), "a header appears twice"
    assert all(h and h == h.lower() and " " not in h for h in headers)
    assert all(column.sql.strip() for column in entity.columns)
    sql, params = export_sql(entity.read({}).queryset(), entity, "http://testserver/x/")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) AS export LIMIT 0", params)
        # One ready CSV line a row (the meetings: maintained.py), or one column a header.
        assert len(cursor.description) == (1 if entity.csv_lines else len(headers))
    text = b"".join(stream(entity.read({}).queryset(), entity, "http://testserver/x/")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == headers and len(rows) > 1 and all(len(row) == len(headers) for row in rows)


def test_urls_are_generated_from_the_declarations():
    for entity in ENTITIES.values():
        if entity.detailed:
            assert reverse(f"alliance:{entity.name}-detail", args=["x"]) == f"/{entity.path}/x/"
            assert reverse(f"alliance:{entity.name}-detail-json", args=["x"]) == f"/{entity.path}/x/export.json"
        if entity.listed:
            assert reverse(f"alliance:{entity.name}-list") == f"/{entity.path}/"
        if entity.has_exports:
            for kind in ("csv", "json", "ndjson"):
                assert reverse(f"alliance:{entity.name}-{kind}") == f"/{entity.path}/export.{kind}"


def test_one_name_for_a_seat_and_the_old_members_urls_redirect(client, seeded):
    seat = Seat.objects.published().first()
    assert reverse("alliance:seat-list") == "/seats/"
    response = client.get("/members/?side=jp&sort=start")
    assert response.status_code == 301 and response["Location"] == "/seats/?side=jp&sort=start"
    response = client.get(f"/members/{seat.slug}/")
    assert response.status_code == 301 and response["Location"] == f"/seats/{seat.slug}/"
    assert client.get("/members/export.csv")["Location"] == "/seats/export.csv"
    assert client.get("/en/members/")["Location"] == "/en/seats/"
    csv = client.get("/seats/export.csv")
    assert "alliance-registry_seats_" in csv["Content-Disposition"]
    assert "alliance-registry_bodies_" in client.get("/bodies/export.csv")["Content-Disposition"]


def test_a_person_s_other_names_show_on_their_page(client, seeded):
    person = Person.objects.published().first()
    person.other_names = "別表記テスト\nAnother Spelling"
    person.save()
    html = client.get(person.get_absolute_url()).content.decode()
    assert "別表記テスト" in html and "Another Spelling" in html


def test_an_exported_citation_of_an_attendee_imports_back(seeded):
    attendee = Participation.objects.filter(citations__isnull=False).select_related("meeting").first()
    resource = CitationResource()
    exported = resource.export(queryset=Citation.objects.filter(participation=attendee))
    assert exported.dict[0]["participation"] == f"{attendee.meeting.slug}/{attendee.position}"
    data = RegistryCSV().export_data(exported)
    dataset = RegistryCSV().create_dataset(data)
    result = CitationResource().import_data(dataset, dry_run=True, raise_errors=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == len(exported)


def test_list_pages_fetch_only_what_they_show(client, seeded, django_assert_max_num_queries):
    # Before the declarations, the agreements list prefetched parties and both
    # directions of relations, and the meetings list attendees and documents: none shown.
    # Meetings fetch their attendees once: a meeting with no name of its own is titled by them.
    for name, most in [("agreement-list", 2), ("meeting-list", 3)]:
        client.get(reverse(f"alliance:{name}"))  # the cached count and facets warm up
        # The data version and the page of rows (and, for meetings, their attendees).
        with django_assert_max_num_queries(most):
            forget_pages()  # the page itself is rendered again, with the cached summary
            client.get(reverse(f"alliance:{name}"))


def test_meeting_model_is_in_one_module_per_domain_part():
    assert Meeting.__module__ == "alliance.models.meetings"
    assert Seat.__module__ == "alliance.models.bodies"
