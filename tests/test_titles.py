"""Records that share a name are told apart wherever they are listed: in search results, by
their kind, date and place, and by the passage where the search term was found."""

import pytest
from django.urls import reverse
from django.utils import translation

from alliance.models import Meeting
from alliance.public.entities import ENTITIES

pytestmark = pytest.mark.django_db


def search(client, q, language="ja"):
    prefix = "/en" if language == "en" else ""
    return client.get(prefix + reverse("alliance:search"), {"q": q}).content.decode()


def test_the_three_guidelines_are_told_apart_in_search(client, seeded):
    html = search(client, "日米防衛協力のための指針")
    for year in ("1978年", "1997年", "2015年"):
        assert f"指針（ガイドライン）、{year}" in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_meeting_is_told_apart_by_its_title_and_what_is_shown_beside_it(seeded, language):
    with translation.override(language):
        meetings = list(ENTITIES["meeting"].base_queryset())
        ENTITIES["meeting"].prepare_rows(meetings)  # as a list page does with its rows
        shown = [(m.title, tuple(m.distinguishing_parts())) for m in meetings]
    assert len(shown) == len(set(shown)) == Meeting.objects.published().count()


def test_people_are_listed_with_the_posts_they_held(client, seeded):
    html = client.get("/en" + reverse("alliance:person-list")).content.decode()
    assert "Lloyd J. Austin III" in html and "Secretary of Defense" in html


def test_a_search_hit_quotes_the_passage_with_the_match(client, seeded):
    html = search(client, "ヤマサクラ")
    assert '<p class="snippet">' in html and "<mark>ヤマサクラ</mark>" in html
    # The match in the title is not quoted again.
    acg = search(client, "同盟調整グループ").split('<a href="/bodies/acg/">')[1].split("</li>")[0]
    assert "snippet" not in acg
    en = search(client, "ヤマサクラ", "en")
    assert '<p class="snippet" lang="ja">' in en
