"""Issue 21, item 8: the admin's search boxes put what the editor typed first.

Through the admin's own autocomplete URL, as the select boxes ask it: a record whose
name (Japanese, English, abbreviation, one of its other names) is the query comes
first, then those whose name starts with it, then the rest, each group in the model's
usual order — in one query, however many rows match."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.models import Organization

from .factories import make_organization, make_person, make_post, make_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_only_client(client, editor_only):
    client.force_login(editor_only)
    return client


def autocomplete(client, model_name, field_name, term, records):
    """The names of the records the autocomplete box lists for ``term``, in its order."""
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "alliance", "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200, response.content[:300]
    names = {str(record.pk): getattr(record, "name_ja", None) or record.title_ja for record in records}
    return [names.get(row["id"], row["text"]) for row in response.json()["results"]]


def test_organizations_the_exact_name_first_then_names_that_start_with_it(editor_only_client):
    # 防衛政策局 is found through its other name 防衛省防衛政策局, and 地方防衛局 through
    # an other name that only contains 防衛省: both sort before 防衛省 by name.
    records = [
        make_organization(name_ja="防衛政策局", other_names="防衛省防衛政策局"),
        make_organization(name_ja="地方防衛局", other_names="九州防衛局（防衛省）"),
        make_organization(name_ja="防衛省整備計画局"),
        make_organization(name_ja="防衛省", abbreviation="MOD", name_en="Ministry of Defense"),
        make_organization(name_ja="外務省"),
    ]
    found = autocomplete(editor_only_client, "post", "organization", "防衛省", records)
    assert found == ["防衛省", "防衛政策局", "防衛省整備計画局", "地方防衛局"], found
    # Case and width as the search folds them: the abbreviation, typed in full-width.
    assert autocomplete(editor_only_client, "post", "organization", "ｍｏｄ", records)[0] == "防衛省"

    # The changelist's search box ranks the same way, unless the editor sorts by a column.
    changelist = reverse("admin:alliance_organization_changelist")
    listed = [o.name_ja for o in editor_only_client.get(changelist, {"q": "防衛省"}).context["cl"].result_list]
    assert listed == ["防衛省", "防衛政策局", "防衛省整備計画局", "地方防衛局"], listed
    by_column = editor_only_client.get(changelist, {"q": "防衛省", "o": "-0"}).context["cl"].result_list
    assert [o.name_ja for o in by_column] == sorted(listed, reverse=True)


def test_posts_the_exact_name_first_then_names_that_start_with_it(editor_only_client):
    records = [
        make_post(name_ja="大臣政務官", other_names="防衛大臣政務官"),
        make_post(name_ja="大臣補佐官（防衛大臣付）"),
        make_post(name_ja="防衛大臣政務官"),
        make_post(name_ja="防衛大臣"),
        make_post(name_ja="外務大臣"),
    ]
    found = autocomplete(editor_only_client, "seat", "post", "防衛大臣", records)
    assert found == ["防衛大臣", "大臣政務官", "防衛大臣政務官", "大臣補佐官（防衛大臣付）"], found


def test_people_an_english_name_typed_in_full_width_capitals_matches_exactly(editor_only_client):
    records = [
        make_person(name_ja="アンナ・スミス", name_en="Anna Smith", other_names="Mrs. John Smith", country="us"),
        make_person(name_ja="ジョン・エス・スミス", name_en="John Smith Jr.", country="us"),
        make_person(name_ja="ジョン・スミス", name_en="John Smith", country="us"),
    ]
    found = autocomplete(editor_only_client, "tenure", "person", "ＪＯＨＮ　ＳＭＩＴＨ", records)
    assert found == ["ジョン・スミス", "ジョン・エス・スミス", "アンナ・スミス"], found


def test_sources_the_exact_title_first(editor_only_client):
    # Sources are searched by Django's own search (they have no search_text); ranked alike.
    records = [
        make_source(title_ja="令和7年版 防衛白書", year=2025),
        make_source(title_ja="防衛白書（抜粋）", year=2024),
        make_source(title_ja="防衛白書", year=2020),
    ]
    found = autocomplete(editor_only_client, "citation", "source", "防衛白書", records)
    assert found == ["防衛白書", "防衛白書（抜粋）", "令和7年版 防衛白書"], found


def test_the_ranked_search_is_one_query_however_many_rows_match(editor_only_client):
    def count_queries():
        autocomplete(editor_only_client, "post", "organization", "防衛省", [])  # warm the session
        with CaptureQueriesContext(connection) as queries:
            autocomplete(editor_only_client, "post", "organization", "防衛省", [])
        return [q["sql"] for q in queries.captured_queries]

    records = [make_organization(name_ja=f"防衛省第{n}局") for n in range(3)]
    few = count_queries()
    # Thirty more, each with 防衛省 as an other name: exact matches, so the first page
    # is theirs alone, although by name the first three sort among them.
    records += [make_organization(name_ja=f"防衛省第{n}局", other_names="旧称\n防衛省") for n in range(3, 33)]
    many = count_queries()
    assert len(many) == len(few), many
    searches = [sql for sql in many if 'FROM "alliance_organization"' in sql and "ORDER BY" in sql]
    assert len(searches) == 1, searches
    first_page = autocomplete(editor_only_client, "post", "organization", "防衛省", records)
    exact = set(Organization.objects.filter(other_names__contains="防衛省").values_list("name_ja", flat=True))
    assert len(first_page) == 20 and set(first_page) <= exact, first_page
