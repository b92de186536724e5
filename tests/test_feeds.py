"""Atom feeds of newly published and changed records: all, and one body's; never a draft."""

import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.models import Status

from .factories import make_agreement, make_body, make_meeting, make_post, make_seat

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def entries(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    return [
        (e.find(f"{ATOM}title").text, e.find(f"{ATOM}link").get("href").removeprefix("http://testserver"))
        for e in feed.iter(f"{ATOM}entry")
    ]


@pytest.fixture
def registry():
    scc = make_body(slug="scc", name_ja="日米安全保障協議委員会")
    make_meeting(slug="scc-2023", name_ja="2023年の「2+2」", body=scc)
    make_seat(slug="scc-jp-1", body=scc, post=make_post(name_ja="外務大臣"))
    make_body(slug="acm", name_ja="同盟調整メカニズム")
    make_meeting(slug="summit", name_ja="首脳会談", kind="summit")
    make_meeting(slug="secret", name_ja="ひみつの会議", body=scc, status=Status.DRAFT)
    published_then_withdrawn = make_agreement(slug="withdrawn", name_ja="取り下げた協定")
    published_then_withdrawn.status = Status.DRAFT
    published_then_withdrawn.save()
    return scc


def test_the_registry_feed_has_every_published_change_and_no_draft(client, registry):
    items = entries(client, reverse("alliance:feed"))
    links = {link for _title, link in items}
    assert {"/bodies/scc/", "/bodies/acm/", "/meetings/scc-2023/", "/meetings/summit/", "/seats/scc-jp-1/"} <= links
    text = " ".join(title for title, _link in items)
    assert "ひみつ" not in text and "取り下げた" not in text
    assert all("secret" not in link and "withdrawn" not in link for link in links)


def test_a_body_feed_follows_the_body_its_seats_and_its_meetings(client, registry):
    items = entries(client, reverse("alliance:body-feed", args=["scc"]))
    assert {link for _title, link in items} == {"/bodies/scc/", "/meetings/scc-2023/", "/seats/scc-jp-1/"}
    html = client.get(reverse("alliance:body-detail", args=["scc"])).content.decode()
    assert '<link rel="alternate" type="application/atom+xml" href="/bodies/scc/feed/">' in html
    assert client.get(reverse("alliance:body-feed", args=["nope"])).status_code == 404


def summaries(client, url):
    feed = ET.fromstring(client.get(url).content)
    return {
        e.find(f"{ATOM}link").get("href").removeprefix("http://testserver"): e.find(f"{ATOM}summary").text
        for e in feed.iter(f"{ATOM}entry")
    }


def test_a_change_to_a_published_record_is_an_item_of_its_own(client, registry):
    assert summaries(client, reverse("alliance:body-feed", args=["scc"]))["/bodies/scc/"] == "新規公開"
    registry.name_ja = "日米安全保障協議委員会（2+2）"
    registry.save()
    items = entries(client, reverse("alliance:body-feed", args=["scc"]))
    assert items[0] == ("協議体: 日米安全保障協議委員会（2+2）", "/bodies/scc/")
    assert [link for _t, link in items].count("/bodies/scc/") == 1
    assert summaries(client, reverse("alliance:body-feed", args=["scc"]))["/bodies/scc/"] == "更新"


def test_a_draft_published_later_is_newly_published(client, registry):
    draft = make_meeting(slug="later", name_ja="後で公開", body=registry, status=Status.DRAFT)
    draft.name_ja = "後で公開する会議"
    draft.save()
    assert "/meetings/later/" not in summaries(client, reverse("alliance:feed"))
    draft.status = Status.PUBLISHED
    draft.save()
    assert summaries(client, reverse("alliance:feed"))["/meetings/later/"] == "新規公開"


def test_the_feed_costs_the_same_for_many_records(client, django_assert_num_queries):
    make_meeting(name_ja="会議", body=make_body())
    with CaptureQueriesContext(connection) as few:
        assert len(entries(client, reverse("alliance:feed"))) == 2
    for i in range(80):
        make_meeting(name_ja=f"会議{i}", body=make_body())
    with django_assert_num_queries(len(few)):
        assert len(entries(client, reverse("alliance:feed"))) == 50


# --- valid Atom (RFC 4287), as a feed reader reads it (issue 23, item 7) -------------------

RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


def rfc4287_problems(xml: bytes) -> list[str]:
    """What RFC 4287 requires of a feed and its entries (section 4.1), checked element by element."""
    import re
    from urllib.parse import urlsplit

    feed = ET.fromstring(xml)
    problems = []

    def one(parent, name, where):
        found = parent.findall(f"{ATOM}{name}")
        if len(found) != 1:
            problems.append(f"{where}: {len(found)} atom:{name}")
        return found[0] if found else None

    def absolute(iri, where):
        parts = urlsplit(iri or "")
        if not (parts.scheme and (parts.netloc or parts.scheme in ("tag", "urn"))):
            problems.append(f"{where}: id {iri!r} is not an absolute IRI")

    def date(element, where):
        if element is not None and not re.match(RFC3339, element.text or ""):
            problems.append(f"{where}: {element.text!r} is not an RFC 3339 date")

    absolute(getattr(one(feed, "id", "feed"), "text", ""), "feed")
    one(feed, "title", "feed")
    date(one(feed, "updated", "feed"), "feed")
    if not any(link.get("rel") == "self" for link in feed.findall(f"{ATOM}link")):
        problems.append("feed: no link rel=self")
    feed_author = feed.find(f"{ATOM}author")
    if feed_author is not None and not (feed_author.findtext(f"{ATOM}name") or "").strip():
        problems.append("feed: an author without a name")
    ids = []
    for i, entry in enumerate(feed.iter(f"{ATOM}entry")):
        where = f"entry {i}"
        entry_id = one(entry, "id", where)
        absolute(getattr(entry_id, "text", ""), where)
        ids.append(getattr(entry_id, "text", ""))
        one(entry, "title", where)
        date(one(entry, "updated", where), where)
        date(entry.find(f"{ATOM}published"), where)
        if feed_author is None and entry.find(f"{ATOM}author") is None:
            problems.append(f"{where}: no atom:author, and the feed has none")
        alternates = [link for link in entry.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"]
        if not alternates and entry.find(f"{ATOM}content") is None:
            problems.append(f"{where}: neither content nor a link rel=alternate")
    if len(set(ids)) != len(ids):
        problems.append("entry ids repeat")
    return problems


def test_the_check_finds_what_rfc_4287_forbids():
    bad = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>/x/</id><updated>2026-01-01</updated>'
        b"<entry><title>a</title><id>/a/#1</id><updated>2026-01-01T00:00:00Z</updated></entry></feed>"
    )
    problems = rfc4287_problems(bad)
    assert "feed: id '/x/' is not an absolute IRI" in problems
    assert "entry 0: id '/a/#1' is not an absolute IRI" in problems
    assert "feed: no link rel=self" in problems and "entry 0: no atom:author, and the feed has none" in problems
    assert "feed: '2026-01-01' is not an RFC 3339 date" in problems


@pytest.mark.parametrize("url", ["/feed/", "/en/feed/", "/bodies/scc/feed/", "/en/bodies/scc/feed/"])
def test_the_seeded_feeds_are_valid_atom_with_absolute_ids_an_author_and_unique_titles(client, seeded, url):
    import re

    import feedparser

    response = client.get(url)
    assert rfc4287_problems(response.content) == []
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.author_detail.name and parsed.feed.id.startswith("http://testserver/")
    entries = parsed.entries
    assert entries, url
    assert all(e.id.startswith("http://testserver/") and e.link.startswith("http://testserver/") for e in entries)
    titles = [e.title for e in entries]
    assert len(set(titles)) == len(titles), sorted(t for t in titles if titles.count(t) > 1)
    if url.startswith("/en/"):
        japanese = [t for t in [*titles, parsed.feed.title, parsed.feed.author_detail.name] if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t)]
        assert not japanese, japanese
