"""A record's page address comes from detail_url, which reverses each URL pattern once per
language and prefix: the same address reverse() gives, in every language, under a script
prefix, and for a slug the pattern refuses (refused as before)."""

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix
from django.utils import translation

from alliance.models import Meeting
from alliance.models.base import _detail_parts, detail_url
from alliance.public.entities import ENTITIES

from .factories import make_body, make_meeting

DETAILED = [entity.name for entity in ENTITIES.values() if entity.detailed]


@pytest.mark.parametrize("name", DETAILED)
@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("script_prefix", ["/", "/registry/"])
@pytest.mark.parametrize("slug", ["a", "synth-meeting-000123", "2plus2_2024-07", "A-Z_09"])
def test_the_same_address_reverse_gives(name, language, script_prefix, slug):
    try:
        set_script_prefix(script_prefix)
        with translation.override(language):
            assert detail_url(f"alliance:{name}-detail", slug) == reverse(f"alliance:{name}-detail", args=[slug])
    finally:
        clear_script_prefix()


@pytest.mark.parametrize("slug", ["", "日米", "a/b", "a b", "x?y"])
def test_a_slug_the_pattern_refuses_is_refused_as_before(slug):
    with pytest.raises(NoReverseMatch):
        detail_url("alliance:meeting-detail", slug)


@pytest.mark.django_db
def test_a_list_page_reverses_each_pattern_once_not_once_a_row(client, monkeypatch):
    """A page of 60 meetings with their bodies links 120 records' pages from two
    reversals of a pattern (the meeting's, the body's), not 120: what the page reverses
    does not grow with its rows."""
    from django.urls.resolvers import URLResolver

    body = make_body(slug="scc", name_ja="日米安全保障協議委員会")
    for i in range(60):
        make_meeting(slug=f"m-{i}", body=body)
    real = URLResolver._reverse_with_prefix

    def reversals(limit):
        _detail_parts.cache_clear()
        calls = []

        def counting(self, lookup_view, *args, **kwargs):
            calls.append(lookup_view)
            return real(self, lookup_view, *args, **kwargs)

        monkeypatch.setattr(URLResolver, "_reverse_with_prefix", counting)
        response = client.get(reverse("alliance:meeting-list") + f"?limit={limit}")
        monkeypatch.setattr(URLResolver, "_reverse_with_prefix", real)
        assert response.status_code == 200
        return response.content.decode(), calls

    html, many = reversals(60)
    assert html.count('href="/meetings/m-') == 60 and html.count('href="/bodies/scc/"') >= 60
    _, few = reversals(2)
    assert len(many) == len(few)
    assert Meeting.objects.count() == 60
