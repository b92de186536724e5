"""The public site over the seed data: every page answers, in Japanese and English, and the
filters, facets, sort and search return the right records."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from alliance.models import Agreement, Body, Event, Meeting, Person, Seat

pytestmark = pytest.mark.django_db

LISTS = ["agreement", "body", "seat", "person", "meeting", "event"]


def get(client, name, lang="ja", *args, **params):
    url = reverse(f"alliance:{name}", args=args)
    if lang == "en":
        url = "/en" + url
    return client.get(url, params)


def rows(response):
    return response.context["rows"]


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("name", LISTS)
def test_every_list_answers_in_both_languages(client, seeded, name, lang):
    response = get(client, f"{name}-list", lang)
    assert response.status_code == 200
    assert response["Content-Language"] == lang
    assert rows(response), "the seed data fills every list"
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    switch = 'hreflang="en"' if lang == "ja" else 'hreflang="ja"'
    assert switch in html


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("model", [Agreement, Body, Seat, Person, Meeting, Event])
def test_every_detail_answers_with_its_citations(client, seeded, model, lang):
    for obj in model.objects.published()[:25]:
        with translation.override("ja"):
            url = obj.get_absolute_url() if lang == "ja" else "/en" + obj.get_absolute_url()
        response = client.get(url)
        assert response.status_code == 200, url
        quote = obj.citations.first().quote
        assert quote.split()[0] in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/en/", "/structure/", "/en/structure/", "/chronology/", "/en/chronology/", "/search/?q=ACM"])
def test_home_charts_and_search_answer(client, seeded, path):
    assert client.get(path).status_code == 200


def test_home_shows_counts_sources_and_how_to_cite(client, seeded):
    html = client.get("/").content.decode()
    assert f">{Agreement.objects.published().count()}<" in html
    assert "政府標準利用規約" in html
    assert "外交青書 2025" in html
    assert "引用のしかた" in html


def test_the_acm_chart_draws_its_parts_levels_and_sides_from_the_data(client, seeded):
    response = client.get(reverse("alliance:structure"))
    html = response.content.decode()
    for name in ["同盟調整メカニズム", "日米合同委員会", "同盟調整グループ", "共同運用調整所", "各自衛隊および米軍各軍間の調整所"]:
        assert name in html
    for level in ["局長級", "課長級", "担当級"]:
        assert level in html
    assert "外務省北米局長" in html and "在日米軍副司令官" in html
    acg = next(p for p in response.context["parts"] if p["body"].slug == "acg")
    us_as_needed = {g["seat"].member.name_ja for g in acg["us"] if g["seat"].as_needed}
    assert "国務省" in us_as_needed and "在日米大使館" not in us_as_needed
    assert acg["levels"] == ["局長級", "課長級", "担当級・実務者"]


def test_the_chronology_lists_agreements_and_meetings_by_year(client, seeded):
    response = client.get(reverse("alliance:chronology"))
    years = dict(response.context["timeline"])
    assert any(obj.slug == "security-treaty-1960" for _, _, obj in years[1960])
    assert any(kind == "meeting" for _, kind, _ in years[2023])


def test_kind_filter_and_its_facet_counts(client, seeded):
    response = get(client, "agreement-list", kind="treaty")
    assert {a.kind for a in rows(response)} == {"treaty"}
    assert len(rows(response)) == response.context["count"] == Agreement.objects.published().filter(kind="treaty").count()
    facets = dict((flt.param, options) for flt, options in response.context["facets"])
    kind_counts = {label: count for label, count, selected, link, _value in facets["kind"]}
    assert kind_counts["条約"] == Agreement.objects.published().filter(kind="treaty").count()
    assert kind_counts["協定"] == Agreement.objects.published().filter(kind="agreement").count()
    assert "種別: 条約" in response.context["state"].sentence()


def test_seat_filters_combine(client, seeded):
    response = get(client, "seat-list", body="acg", side="us", as_needed="yes")
    expected = Seat.objects.published().filter(body__slug="acg", side="us", as_needed=True)
    assert response.context["count"] == expected.count() > 0
    assert {m.pk for m in rows(response)} == set(expected.values_list("pk", flat=True))
    assert "必要に応じて参加: はい" in response.context["state"].sentence()


def test_in_force_on_filter(client, seeded):
    response = get(client, "agreement-list", in_force_on="2020-01-01")
    expected = set(Agreement.objects.published().in_force_on(__import__("datetime").date(2020, 1, 1)).values_list("slug", flat=True))
    assert {a.slug for a in rows(response)} == expected
    assert "security-treaty-1960" in expected


def test_a_year_range_includes_month_and_year_precision_meetings(client, seeded):
    response = get(client, "meeting-list", **{"from": "2015", "to": "2015"})
    found = rows(response)
    assert found and all(m.start.date.year == 2015 for m in found)
    assert response.context["count"] == Meeting.objects.published().held_between(
        __import__("datetime").date(2015, 1, 1), __import__("datetime").date(2015, 12, 31)
    ).count()


def test_sort_orders_and_an_unknown_sort_is_ignored_with_a_notice(client, seeded):
    oldest = rows(get(client, "meeting-list", sort="date"))
    dates = [m.start_date for m in oldest if m.start_date]
    assert dates == sorted(dates)
    newest = rows(get(client, "meeting-list"))
    assert newest[0].start_date == max(Meeting.objects.published().exclude(start_date=None).values_list("start_date", flat=True))
    response = get(client, "meeting-list", sort="password")
    assert response.status_code == 200
    assert response.context["state"].notices


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("ACM", "acm"),  # abbreviation
        ("alliance coordination", "acm"),  # English name, any case
        ("同盟調整メカニズム", "acm"),  # Japanese, many characters
        ("ＡＣＭ", "acm"),  # full-width query, half-width data
        ("調整", "acm"),  # two characters
    ],
)
def test_search_finds_bodies(client, seeded, query, slug):
    found = {b.slug for b in rows(get(client, "body-list", q=query))}
    assert slug in found


def test_one_character_search_is_exact(client, seeded):
    found = {b.pk for b in rows(get(client, "body-list", q="柱"))}
    assert found == set(Body.objects.published().filter(search_text__contains="柱").values_list("pk", flat=True))
    found = {b.pk for b in rows(get(client, "body-list", q="米"))}
    assert found and found <= set(Body.objects.published().filter(search_text__contains="米").values_list("pk", flat=True))


def test_seats_are_searched_by_their_body_and_member(client, seeded):
    found = rows(get(client, "seat-list", q="北米局長"))
    assert found and all("北米局長" in m.member.name_ja for m in found)


def test_global_search_has_a_section_per_list(client, seeded):
    response = client.get(reverse("alliance:search"), {"q": "2+2"})
    sections = {entity.name: hits for entity, label, hits, more in response.context["sections"]}
    assert sections["meeting"], "2+2 meetings"
    assert set(sections) == set(LISTS)


def test_detail_pages_link_related_records_both_ways(client, seeded):
    acg = client.get(reverse("alliance:body-detail", args=["acg"])).content.decode()
    assert reverse("alliance:body-detail", args=["acm"]) in acg
    acm = client.get(reverse("alliance:body-detail", args=["acm"])).content.decode()
    assert reverse("alliance:body-detail", args=["acg"]) in acm
    seat = Seat.objects.published().filter(body__slug="acg").first()
    assert seat.get_absolute_url() in acg
    assert reverse("alliance:body-detail", args=["acg"]) in client.get(seat.get_absolute_url()).content.decode()


def test_english_pages_show_english_names_with_a_fallback(client, seeded):
    html = client.get("/en" + reverse("alliance:body-detail", args=["acm"])).content.decode()
    assert "Alliance Coordination Mechanism" in html
    # Every seed body has an English name now; a meeting without one shows its Japanese name, marked.
    nameless = Meeting.objects.published().filter(name_en="").first()
    with translation.override("ja"):
        url = "/en" + nameless.get_absolute_url()
    assert f'lang="ja">{nameless.name_ja}<' in client.get(url).content.decode()


def test_public_pages_answer_only_get_and_head(client, seeded):
    for url in ["/", reverse("alliance:agreement-list"), reverse("alliance:agreement-csv"), reverse("alliance:body-detail", args=["acm"])]:
        assert client.head(url).status_code == 200
        assert client.post(url).status_code == 405
        assert client.delete(url).status_code == 405


def test_a_large_chronology_is_shown_a_year_at_a_time(client, seeded, monkeypatch):
    from alliance.public import views

    whole = client.get(reverse("alliance:chronology"))
    assert whole.context["selected"] is None and len(whole.context["timeline"]) > 10
    monkeypatch.setattr(views, "CHRONOLOGY_ALL_UP_TO", 10)
    cache.clear()  # the same data and URL: the rendered page would come from the cache
    latest = client.get(reverse("alliance:chronology"))
    years = [year for year, _n in latest.context["index"]]
    assert latest.context["selected"] == years[-1]
    assert [year for year, _events in latest.context["timeline"]] == [years[-1]]
    one = client.get(reverse("alliance:chronology"), {"year": "1960"})
    assert [year for year, _events in one.context["timeline"]] == [1960]
    assert client.get(reverse("alliance:chronology"), {"year": "abc"}).status_code == 200


# --- issue 21, item 7: no fixed count of sources ------------------------------------------

STALE_COUNTS = ("5つの資料", "五つの資料", "５つの資料", "five sources", "five texts", "5 sources", "five seed")
# The seed's own sources, named as if they were all there is.
FIXED_SET = ("令和2年版", "外交青書2025", "2020, 2022 and 2025", "Diplomatic Bluebook 2025")


def test_no_page_states_a_fixed_number_of_sources_once_a_sixth_is_published(client, seeded):
    import html as html_module
    import json
    import re

    from alliance.models import Source

    from .factories import make_source

    make_source(slug="press-2026-03", title_ja="日米防衛相会談の開催", publisher_ja="防衛省", year=2026,
                text="令和8年3月4日、日米防衛相会談を行った。", text_origin="pasted")
    assert Source.objects.published().count() == 6
    pages = ["/", "/data/", "/structure/", "/chronology/", "/agreements/sofa/", "/people/kishida/",
             "/posts/us-secretary-of-defense/", "/sources/press-2026-03/"] + [reverse(f"alliance:{name}-list") for name in LISTS]
    problems = []
    for language in ("ja", "en"):
        for page in pages:
            url = page if language == "ja" else "/en" + page
            response = client.get(url)
            assert response.status_code == 200, url
            text = response.content.decode()
            problems += [f"{url} says {s}" for s in STALE_COUNTS if s in text]
            footer = text[text.index('<footer class="site-footer">'):]
            if any(name in footer for name in FIXED_SET):
                problems.append(f"{url}: the footer names a fixed set of sources")
        home = client.get("/" if language == "ja" else "/en/").content.decode()
        coverage = html_module.unescape(re.search(r'<p class="coverage">(.*?)</p>', home, re.S).group(1))
        if not re.search(r"(?<!\d)6(?!\d)", coverage) or any(name in coverage for name in FIXED_SET):
            problems.append(f"{language} home: the coverage does not count the 6 sources: {coverage}")
        for url in ("/data/datapackage.json", "/api/openapi.json"):
            url = url if language == "ja" else "/en" + url
            document = json.dumps(json.loads(client.get(url).content), ensure_ascii=False)
            problems += [f"{url} says {s}" for s in STALE_COUNTS if s in document]
    assert not problems, "\n".join(problems)
    assert "下に挙げる6件の資料" in client.get("/").content.decode()
