"""The chronology drawn to scale: one lane per record type, marks placed in proportion to
their dates (a partial date as a span), filters by type and body, hostile query strings
answered with a notice, drafts never shown, and a fixed number of queries."""

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.models import MeetingDocument, Status

from .factories import make_agreement, make_body, make_event, make_meeting, make_participation, make_person

pytestmark = pytest.mark.django_db

URL = "/chronology/"


class Marks(HTMLParser):
    """The chart's marks: {href: (lane, x, y, width, partial)}, and its clusters."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_svg = False
        self.lane = None
        self.href = None
        self.marks = {}
        self.titles = {}
        self._title = None
        self.svg_attrs = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.in_svg = True
            self.svg_attrs = attrs
        if not self.in_svg:
            return
        classes = (attrs.get("class") or "").split()
        if tag == "g" and "lane" in classes:
            self.lane = classes[1]
        elif tag == "a" and "mark" in classes:
            self.href = attrs["href"]
        elif tag == "title" and self.href:
            self._title = []
        elif tag == "rect" and self.href:
            self.marks[self.href] = (
                self.lane, float(attrs["x"]), float(attrs["y"]), float(attrs["width"]), "partial" in classes
            )

    def handle_data(self, data):
        if self._title is not None:
            self._title.append(data)

    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_svg = False
        elif tag == "title" and self._title is not None:
            self.titles[self.href] = "".join(self._title)
            self._title = None
        elif tag == "a":
            self.href = None


def chart(client, params=None, url=URL):
    response = client.get(url, params) if params else client.get(url)
    assert response.status_code == 200
    parser = Marks()
    parser.feed(response.content.decode())
    assert parser.svg_attrs is not None, "the page draws the chronology"
    return parser, response


def listed(response) -> set[str]:
    """The URLs of the records in the text list under the chart."""
    return {obj.get_absolute_url() for _year, events in response.context["timeline"] for _when, _kind, obj in events}


def test_marks_are_placed_in_proportion_to_their_dates(client):
    a = make_agreement(signed="2000-01-01")
    b = make_agreement(signed="2001-01-01")
    c = make_agreement(signed="2011-01-01")
    parser, _response = chart(client)
    xa, xb, xc = (parser.marks[r.get_absolute_url()][1] for r in (a, b, c))
    assert xa < xb < xc
    # 366 days, then 3,652: ten years are ten times as far as one, within rounding.
    assert (xc - xb) / (xb - xa) == pytest.approx(3652 / 366, rel=0.01)
    assert (xc - xb) / (xb - xa) == pytest.approx(10, rel=0.01)


def test_each_type_has_its_own_lane_at_the_same_scale(client):
    agreement = make_agreement(signed="2010-05-28")
    meeting = make_meeting(start="2010-05-28")
    event = make_event(start="2010-05-28")
    parser, response = chart(client)
    lanes = {url: mark[0] for url, mark in parser.marks.items()}
    assert lanes == {agreement.get_absolute_url(): "agreement", meeting.get_absolute_url(): "meeting", event.get_absolute_url(): "event"}
    xs = {mark[1] for mark in parser.marks.values()}
    assert len(xs) == 1, "the same date is at the same place in every lane"
    ys = [parser.marks[r.get_absolute_url()][2] for r in (agreement, meeting, event)]
    assert ys == sorted(ys) and len(set(ys)) == 3, "agreements, meetings and events in lanes top to bottom"
    html = response.content.decode()
    assert 'role="group"' in html and "<desc" in html
    for label in ("協定・文書", "会議", "出来事"):
        assert f'class="lane-label">{label}</text>' in html
    assert parser.titles[agreement.get_absolute_url()].startswith("2010年5月28日 ")


def test_a_partial_date_is_drawn_over_its_year_or_month(client):
    year = make_agreement(signed="2005")
    month = make_meeting(start="2005-07")
    day = make_agreement(signed="2006-01-01")
    parser, _response = chart(client)
    _lane, x_year, _y, w_year, partial_year = parser.marks[year.get_absolute_url()]
    _lane, x_month, _y, w_month, partial_month = parser.marks[month.get_absolute_url()]
    x_next_year = parser.marks[day.get_absolute_url()][1]
    assert partial_year and partial_month and not parser.marks[day.get_absolute_url()][4]
    assert w_year == pytest.approx(x_next_year - x_year, abs=0.05), "the year 2005 spans to 1 January 2006"
    assert w_month == pytest.approx(w_year * 31 / 365, abs=0.05)
    assert x_month == pytest.approx(x_year + w_year * 181 / 365, abs=0.05)


def test_dense_marks_are_stacked_not_drawn_over_each_other(client):
    meetings = [make_meeting(start="2020-03-01") for _ in range(3)]
    parser, _response = chart(client)
    places = {parser.marks[m.get_absolute_url()][1:3] for m in meetings}
    assert len(places) == 3


def test_more_marks_than_rows_are_counted(client):
    make_agreement(signed="1990-01-01")
    for _ in range(12):
        make_meeting(start="2020-03-01")
    parser, response = chart(client)
    html = response.content.decode()
    assert len([m for m in parser.marks.values() if m[0] == "meeting"]) == 8
    assert ">+4</text>" in html and 'href="?year=2020"' in html
    assert len(listed(response)) == 13, "the list under the chart has them all"


def test_one_year_is_drawn_with_months(client):
    make_meeting(start="2020-03-01")
    make_meeting(start="2021-03-01")
    parser, response = chart(client, {"year": "2021"})
    html = response.content.decode()
    assert ">3月</text>" in html and ">12月</text>" in html
    assert len(parser.marks) == 1 == len(listed(response))
    english, _response = chart(client, {"year": "2021"}, url="/en/chronology/")
    assert ">Mar</text>" in _response.content.decode()


def test_the_type_filter_shows_only_the_types_chosen(client):
    agreement = make_agreement(signed="2010-05-28")
    meeting = make_meeting(start="2011-06-21")
    event = make_event(start="2012-04-27")
    only_agreements, response = chart(client, {"type": "agreement"})
    assert set(only_agreements.marks) == {agreement.get_absolute_url()} == listed(response)
    assert 'class="lane meeting"' not in response.content.decode()
    only_meetings, response = chart(client, {"type": "meeting"})
    assert set(only_meetings.marks) == {meeting.get_absolute_url()} == listed(response)
    two, response = chart(client, {"type": ["agreement", "event"]})
    assert set(two.marks) == {agreement.get_absolute_url(), event.get_absolute_url()} == listed(response)
    assert 'value="event" checked' in response.content.decode()


def test_the_body_filter_shows_the_bodys_meetings_documents_and_events(client):
    basis = make_agreement(signed="1960-01-19", name_ja="根拠の協定")
    body = make_body(slug="the-body", legal_basis=basis)
    other = make_body(slug="another-body")
    held = make_meeting(start="2015-04-27", body=body)
    elsewhere = make_meeting(start="2015-04-28", body=other)
    statement = make_agreement(issued="2015-04-27", kind="statement")
    MeetingDocument.objects.create(meeting=held, agreement=statement, kind="issued", status=Status.PUBLISHED)
    unrelated = make_agreement(signed="2015-05-01")
    took_part = make_event(start="2016-01-01")
    took_part.bodies.add(body)
    not_part = make_event(start="2016-01-02")
    not_part.bodies.add(other)
    parser, response = chart(client, {"body": "the-body"})
    expected = {r.get_absolute_url() for r in (basis, held, statement, took_part)}
    assert set(parser.marks) == expected == listed(response)
    assert not {r.get_absolute_url() for r in (elsewhere, unrelated, not_part)} & set(parser.marks)
    assert '<option value="the-body" selected>' in response.content.decode()
    both, response = chart(client, {"body": "the-body", "type": "meeting"})
    assert set(both.marks) == {held.get_absolute_url()} == listed(response)


HOSTILE = [
    ({"type": "x"}, "「x」という種類はありません"),
    ({"body": "nonexistent"}, "「nonexistent」という協議体は見つかりません"),
    ({"body[]": ""}, "「body[]」という条件はありません"),
    ({"type[]": "meeting"}, "「type[]」という条件はありません"),
    ({"year": "abc"}, "「abc」は年として読めません"),
    ({"year": "1800"}, "1800年の記録はありません"),
    ({"body": "x" * 10_000}, "という協議体は見つかりません"),
    ({"type": "<script>" * 1500}, "という種類はありません"),
    ({"x" * 10_000: "1"}, "という条件はありません"),
    ({"body": "' OR 1=1 --"}, "という協議体は見つかりません"),
]


@pytest.mark.parametrize(("params", "notice"), HOSTILE)
def test_unknown_or_hostile_values_get_a_notice_and_the_whole_chronology(client, params, notice):
    agreement = make_agreement(signed="2010-05-28")
    meeting = make_meeting(start="2011-06-21")
    response = client.get(URL, params)
    if "という条件はありません" in notice:
        # A parameter the page does not read: redirected to the page without it.
        assert response.status_code == 302 and response["Location"] == URL
        response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert notice in html or "という条件はありません" in notice
    assert "<script>" not in html.split('<main', 1)[1]
    assert len(html) < 60_000, "a long value is not echoed back whole"
    parser = Marks()
    parser.feed(html)
    assert set(parser.marks) == {agreement.get_absolute_url(), meeting.get_absolute_url()}


def test_hostile_values_in_english_get_an_english_notice(client):
    make_meeting(start="2011-06-21")
    html = client.get("/en/chronology/", {"type": "x", "body": "nope"}).content.decode()
    assert "There is no type “x”" in html and "No body “nope” was found" in html


def test_drafts_never_appear_and_a_draft_body_is_an_unknown_body(client):
    shown = make_agreement(signed="2010-05-28")
    draft_body = make_body(slug="draft-body", status=Status.DRAFT)
    hidden = [
        make_agreement(signed="2011-01-01", status=Status.DRAFT, name_ja="下書きの協定"),
        make_meeting(start="2011-01-01", status=Status.DRAFT, name_ja="下書きの会議"),
        make_event(start="2011-01-01", status=Status.DRAFT, name_ja="下書きの出来事"),
        make_meeting(start="2012-01-01", body=draft_body, status=Status.DRAFT, name_ja="下書きの協議体の会議"),
    ]
    for params in ({}, {"type": "meeting"}, {"body": "draft-body"}, {"year": "2011"}, {"year": "2012"}):
        html = client.get(URL, params).content.decode()
        for record in hidden:
            assert record.get_absolute_url() not in html, params
            assert record.name_ja not in html, params
        assert '<option value="draft-body"' not in html, "a draft body is not offered"
    parser, response = chart(client, {"body": "draft-body"})
    assert "「draft-body」という協議体は見つかりません" in response.content.decode()
    assert set(parser.marks) == {shown.get_absolute_url()}


def fill(n, body):
    for i in range(n):
        make_agreement(signed=f"{1960 + i % 60}-01-{1 + i % 28:02d}")
        meeting = make_meeting(start=f"{1961 + i % 60}-03", body=body, name_en="")
        make_participation(meeting=meeting, person=make_person())
        event = make_event(start=f"{1962 + i % 60}")
        event.bodies.add(body)


@pytest.mark.parametrize("url", ["/chronology/", "/en/chronology/", "/chronology/?body=qc-body", "/en/chronology/?type=meeting&year=1961"])
def test_the_chronology_costs_the_same_queries_for_60_records_as_for_6(client, url, django_assert_num_queries):
    body = make_body(slug="qc-body", name_en="")
    fill(2, body)
    with CaptureQueriesContext(connection) as small:
        parser, _response = chart(client, url=url)
    assert parser.marks
    fill(20, body)
    with django_assert_num_queries(len(small)):
        parser, response = chart(client, url=url)
    assert len(parser.marks) >= 20 or "year" in url
    assert listed(response)
