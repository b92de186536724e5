"""The public never sees a draft: not in lists, details, search, facets, charts, counts, CSV or JSON."""

import io
import zipfile

import pytest
from django.urls import reverse

from alliance.models import Body

from .factories import (
    make_agreement,
    make_body,
    make_meeting,
    make_participation,
    make_person,
    make_post,
    make_seat,
)

pytestmark = pytest.mark.django_db
LISTS = ["agreement", "body", "seat", "person", "meeting"]
SECRET = "ひみつの下書き"


@pytest.fixture
def drafts():
    acm = make_body(slug="acm", name_ja="同盟調整メカニズム", kind="mechanism")
    published_body = make_body(slug="acg", name_ja="同盟調整グループ", parent=acm)
    draft_body = make_body(slug="draft-body", name_ja=f"{SECRET}協議体", status="draft", parent=acm)
    draft_post = make_post(slug="draft-post", name_ja=f"{SECRET}長官", status="draft")
    make_seat(body=published_body, post=make_post(name_ja="外務大臣"), slug="visible-seat")
    make_seat(body=published_body, post=draft_post, slug="seat-held-by-draft-post")
    make_seat(body=draft_body, post=make_post(), slug="seat-on-draft-body")
    make_seat(body=published_body, post=make_post(), slug="draft-seat", status="draft")
    make_agreement(slug="draft-agreement", name_ja=f"{SECRET}協定", kind="treaty", status="draft", signed="2020")
    draft_person = make_person(slug="draft-person", name_ja=f"{SECRET}氏", status="draft")
    meeting = make_meeting(slug="public-meeting", name_ja="公開の会議", body=draft_body, start="2021-03-16")
    make_participation(meeting=meeting, person=draft_person, post=draft_post, name_text="")
    make_meeting(slug="draft-meeting", name_ja=f"{SECRET}会議", status="draft", start="2021")
    return draft_body


PAGES = [
    "/",
    "/en/",
    reverse("alliance:agreement-list"),
    reverse("alliance:agreement-list") + "?kind=treaty",
    reverse("alliance:body-list"),
    reverse("alliance:seat-list"),
    reverse("alliance:person-list"),
    reverse("alliance:meeting-list"),
    reverse("alliance:meeting-detail", args=["public-meeting"]),
    reverse("alliance:body-detail", args=["acg"]),
    reverse("alliance:structure"),
    reverse("alliance:chronology"),
    reverse("alliance:search") + "?q=%E5%8D%94%E5%AE%9A",  # 協定: would match the draft agreement
    reverse("alliance:agreement-csv"),
    reverse("alliance:body-csv"),
    reverse("alliance:seat-csv"),
    reverse("alliance:person-csv"),
    reverse("alliance:meeting-csv"),
    *(reverse(f"alliance:{name}-{kind}") for name in LISTS for kind in ("json", "ndjson", "xlsx")),
    *(reverse(f"alliance:{name}-{kind}") for name in ("attendee", "citation", "source") for kind in ("csv", "json", "ndjson")),
    reverse("alliance:agreement-json") + "?kind=treaty",
    reverse("alliance:meeting-detail-json", args=["public-meeting"]),
    reverse("alliance:body-detail-json", args=["acg"]),
    reverse("alliance:body-detail-json", args=["acm"]),
    reverse("alliance:feed"),
    reverse("alliance:datapackage"),
    reverse("alliance:datapackage-zip"),
    reverse("alliance:body-feed", args=["acm"]),
    reverse("alliance:body-feed", args=["acg"]),
]


@pytest.mark.parametrize("url", PAGES)
def test_no_public_page_mentions_a_draft(client, drafts, url):
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK"):  # the data package, or an XLSX workbook
        archive = zipfile.ZipFile(io.BytesIO(body))
        body = b"".join(archive.read(name) for name in archive.namelist())
    text = body.decode("utf-8-sig")
    assert SECRET not in text
    assert "draft-" not in text and "seat-on-draft-body" not in text and "seat-held-by-draft-post" not in text


@pytest.mark.parametrize(
    "url",
    [
        reverse("alliance:agreement-detail", args=["draft-agreement"]),
        reverse("alliance:body-detail", args=["draft-body"]),
        reverse("alliance:person-detail", args=["draft-person"]),
        reverse("alliance:meeting-detail", args=["draft-meeting"]),
        reverse("alliance:post-detail", args=["draft-post"]),
        reverse("alliance:seat-detail", args=["draft-seat"]),
        reverse("alliance:seat-detail", args=["seat-on-draft-body"]),
        reverse("alliance:seat-detail", args=["seat-held-by-draft-post"]),
        reverse("alliance:structure-of", args=["draft-body"]),
        reverse("alliance:agreement-detail-json", args=["draft-agreement"]),
        reverse("alliance:meeting-detail-json", args=["draft-meeting"]),
        reverse("alliance:post-detail-json", args=["draft-post"]),
        reverse("alliance:seat-detail-json", args=["seat-held-by-draft-post"]),
    ],
)
def test_a_draft_detail_is_not_found(client, drafts, url):
    assert client.get(url).status_code == 404


def test_counts_and_facets_leave_drafts_out(client, drafts):
    response = client.get(reverse("alliance:agreement-list"))
    facets = {flt.param: options for flt, options in response.context["facets"]}
    assert {label: count for label, count, *_ in facets["kind"]}["条約"] == 0
    assert response.context["count"] == 0
    seats = client.get(reverse("alliance:seat-list"))
    assert [m.slug for m in seats.context["rows"]] == ["visible-seat"]
    home = client.get("/")
    assert dict((str(label), n) for _l, label, n in home.context["counts"])["会議"] == 1
    assert Body.objects.published().count() == 2
