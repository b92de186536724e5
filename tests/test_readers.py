"""What a reader and a search engine meet on every page: a citation that names its
record, a description, a canonical link, robots.txt, a sitemap of every published
detail page in both languages, a favicon, and the header and titles (issue 23, 1-5)."""

import re
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import translation

from alliance.models import Status
from alliance.public.entities import ENTITIES, LISTS

pytestmark = pytest.mark.django_db

DETAILED = [name for name, entity in ENTITIES.items() if entity.detailed and name != "source"]
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def cite_this(html):
    block = re.search(r'<section class="cite-this">(.*?)</section>', html, re.S).group(1)
    return unescape(re.sub(r"<[^>]+>", "", block))


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("name", DETAILED)
def test_every_detail_page_s_citation_names_its_record(client, seeded, name, language):
    entity = ENTITIES[name]
    record = entity.detail_queryset().order_by("pk").first()
    with translation.override(language):
        url = record.get_absolute_url()
        title = record.title
    text = cite_this(html_of(client, url))
    assert "「」" not in text and "“”" not in text, text
    assert title and title in text, (title, text)


def test_a_seat_is_titled_by_its_body_and_member(client, seeded):
    seat = ENTITIES["seat"].detail_queryset().get(slug="scc-jp-minister-foreign-affairs")
    assert seat.title == "日米安全保障協議委員会 — 外務大臣"
    with translation.override("en"):
        assert seat.title == "Security Consultative Committee — Minister for Foreign Affairs"


def head_links(html):
    description = re.search(r'<meta name="description" content="([^"]*)"', html)
    canonical = re.search(r'<link rel="canonical" href="([^"]*)"', html)
    return (unescape(description.group(1)) if description else ""), (canonical.group(1) if canonical else "")


def page_urls():
    """One page of every type, in Japanese."""
    urls = [reverse("alliance:home"), reverse("alliance:search") + "?q=SCC", reverse("alliance:structure"),
            reverse("alliance:chronology"), reverse("alliance:data")]
    urls += [reverse(f"alliance:{name}-list") for name in LISTS]
    for name in [*DETAILED, "source"]:
        urls.append(ENTITIES[name].public().order_by("pk").first().get_absolute_url())
    return urls


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_page_has_a_description_and_a_canonical_link(client, seeded, language):
    descriptions = {}
    for url in page_urls():
        if language == "en":
            url = "/en" + url
        description, canonical = head_links(html_of(client, url))
        assert 30 <= len(description) <= 300, (url, description)
        assert canonical == "http://testserver" + url.split("?")[0] + ("?q=SCC" if "?q=" in url else ""), (url, canonical)
        descriptions[url] = description
    assert len(set(descriptions.values())) == len(descriptions), "each page describes itself"
    if language == "en":
        assert not any(re.search(r"[\u3040-\u30ff]", d) for d in descriptions.values() if "/sources/" not in d)


def test_a_canonical_link_drops_the_cursor_and_the_sort_but_keeps_the_filters(client, seeded):
    html = html_of(client, reverse("alliance:meeting-list") + "?kind=2plus2&sort=date")
    assert head_links(html)[1] == "http://testserver/meetings/?kind=2plus2"


def test_robots_txt_names_the_sitemap_and_keeps_crawlers_out_of_the_admin(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "User-agent: *" in text and "Disallow: /admin/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_the_favicon_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:4] == b"\x00\x00\x01\x00"
    assert '<link rel="icon" href="/favicon.ico"' in html_of(client, "/")


def sitemap_urls(client):
    """{location: {hreflang: href}} of every URL the sitemap (an index of sections) lists."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200 and "xml" in index["Content-Type"]
    out = {}
    for loc in ET.fromstring(index.content).iter(f"{SITEMAP}loc"):
        section = client.get(urlsplit(loc.text).path + (f"?{urlsplit(loc.text).query}" if urlsplit(loc.text).query else ""))
        assert section.status_code == 200
        for url in ET.fromstring(section.content).iter(f"{SITEMAP}url"):
            links = {link.get("hreflang"): link.get("href") for link in url.iter(f"{XHTML}link")}
            out[url.find(f"{SITEMAP}loc").text] = links
    return out


def test_the_sitemap_lists_every_published_detail_page_in_both_languages(client, seeded):
    from alliance.models import Meeting

    hidden = Meeting.objects.filter(status=Status.PUBLISHED).order_by("pk").first()
    Meeting.objects.filter(pk=hidden.pk).update(status=Status.DRAFT)
    urls = sitemap_urls(client)
    expected = set()
    for name in [*DETAILED, "source"]:
        for record in ENTITIES[name].public():
            path = record.get_absolute_url()
            expected |= {f"http://testserver{path}", f"http://testserver/en{path}"}
    assert set(urls) == expected
    assert f"http://testserver{hidden.get_absolute_url()}" not in urls
    body = ENTITIES["body"].public().get(slug="scc").get_absolute_url()
    assert urls[f"http://testserver/en{body}"] == {
        "ja": f"http://testserver{body}", "en": f"http://testserver/en{body}", "x-default": f"http://testserver{body}",
    }


def test_the_header_menu_links_every_list(client, seeded):
    html = html_of(client, "/")
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
    for name in LISTS:
        assert f'href="{reverse(f"alliance:{name}-list")}"' in nav, name


def test_search_titles_carry_the_query(client, seeded):
    assert "<title>「同盟調整」の検索結果 — 日米同盟レジストリ</title>" in html_of(client, "/search/?q=同盟調整")
    assert "<title>Search results for “ACM” — Japan–U.S. Alliance Registry</title>" in html_of(client, "/en/search/?q=ACM")
    assert "<title>検索 — 日米同盟レジストリ</title>" in html_of(client, "/search/")


def test_the_structure_title_has_no_stray_space(client, seeded):
    html = html_of(client, reverse("alliance:structure"))
    assert "<title>同盟調整メカニズムの構成 — 日米同盟レジストリ</title>" in html


# --- facts shown as the texts state them (issue 23, item 6) ----------------------------


def text_of(client, url):
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html_of(client, url))).split())


def test_a_tenure_is_shown_as_the_window_the_sources_show_not_as_a_term(client, seeded):
    ja = text_of(client, "/people/abe/")
    assert "資料でこの役職にあったことが確かめられる期間: 2019年8月25日〜2019年9月25日" in ja
    en = text_of(client, "/en/people/abe/")
    assert "seen in this post in the sources from 25 August 2019 to 25 September 2019" in en
    post = text_of(client, "/posts/jp-prime-minister/")
    assert "資料でこの役職にあったことが確かめられる期間" in post


def test_a_body_shows_former_seats_as_former_with_their_dates(client, seeded):
    html = html_of(client, "/bodies/scc/")
    current = html[html.index('<div class="sides">'):html.index('class="former-seats"')]
    former = html[html.index('class="former-seats"'):]
    former = former[:former.index("</section>")]
    assert "太平洋軍司令官" not in current and "駐日米国大使" not in current
    assert "国務長官" in current and "1990年12月27日から" in current
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", former)).split())
    assert "太平洋軍司令官" in text and "〜1990年12月26日" in text and "駐日米国大使" in text
    en = text_of(client, "/en/bodies/scc/")
    assert "Former seats" in en and "until 26 December 1990" in en


def test_the_kumamoto_coordination_centre_dates_from_the_earthquake(client, seeded):
    from alliance.models import Body

    centre = Body.objects.get(slug="bilateral-coordination-center-kumamoto")
    assert centre.established.iso() == "2016-04"
    assert centre.citations.filter(field="established").exists()
    drawn = lambda on: "日米共同調整所" in html_of(client, f"/structure/?on={on}")  # noqa: E731
    assert not drawn("2016-01-01") and drawn("2016-04-20")


def test_an_english_official_name_no_text_states_is_marked_as_the_registry_s_rendering(client, seeded):
    for slug in ("sofa", "guam-agreement"):
        html = html_of(client, f"/en/agreements/{slug}/")
        facts = html[html.index('<dl class="facts">'):html.index("</dl>")]
        official = facts[facts.index("Official name"):]
        official = official[:official.index("</dd>")]
        assert 'class="name-basis"' in official, slug
        html = html_of(client, f"/agreements/{slug}/")
        facts = html[html.index('<dl class="facts">'):html.index("</dl>")]
        official = facts[facts.index("正式名称"):]
        assert 'class="name-basis"' in official[:official.index("</dd>")], slug


def test_related_agreements_of_one_name_are_told_apart(client, seeded):
    html = html_of(client, "/agreements/arms-technology-transfer-notes-1983/")
    section = html[html.index("他の協定との関係"):]
    section = " ".join(unescape(re.sub(r"<[^>]+>", " ", section[:section.index("</section>")])).split())
    assert "対米武器・武器技術供与取極 （2006年）" in section and "対米武器・武器技術供与取極 （2024年）" in section
