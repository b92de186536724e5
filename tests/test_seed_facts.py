"""A sample of facts from each source text, asserted by value: dates with their precision,
parents, seats, attendees and relations, each cited from the text that states it."""

import datetime

import pytest

from alliance.models import Agreement, AgreementRelation, Body, Meeting, Organization, Seat

pytestmark = pytest.mark.django_db


def cited_from(obj, source_slug):
    return obj.citations.filter(source__slug=source_slug).exists()


def dated(value, iso, precision):
    return value is not None and value.iso() == iso and value.precision == precision


def test_defense_of_japan_2020(seeded):
    sdc = Body.objects.get(slug="sdc")
    assert dated(sdc.established, "1976-07-08", "day")
    assert sdc.parent.slug == "scc" and sdc.established_at.slug == "scc-1976-07-08"
    assert Meeting.objects.get(slug="scc-1976-07-08").session_number == 16
    assert cited_from(sdc, "dow-2020")
    guam = Agreement.objects.get(slug="guam-agreement")
    assert dated(guam.signed, "2009-02", "month") and dated(guam.in_force, "2009-05", "month")
    assert cited_from(guam, "dow-2020")
    # 図表III-2-1-5: the SCC's US side was the ambassador and the Pacific commander until 1990.
    ambassador = Seat.objects.get(slug="scc-us-ambassador-to-japan")
    assert dated(ambassador.end, "1990-12-26", "day")


def test_defense_of_japan_2022(seeded):
    acsa = Agreement.objects.get(slug="acsa-2016")
    assert dated(acsa.signed, "2016-09", "month")
    assert dated(acsa.approved, "2017-04-14", "day")
    assert dated(acsa.in_force, "2017-04-25", "day")  # "同月25日に発効"
    # No sentence says the new ACSA replaces the 1996 one ("これまでの日米ACSA" is still in use).
    assert not AgreementRelation.objects.filter(subject=acsa, object__slug="acsa-1996").exists()
    assert cited_from(acsa, "dow-2022")


def test_defense_of_japan_2025_bases(seeded):
    supply = Agreement.objects.get(slug="security-of-supply-arrangement-2023")
    assert dated(supply.signed, "2023", "year")
    assert cited_from(supply, "dow-2025-bases")
    assert Meeting.objects.filter(body__slug="dicas").count() >= 1


def test_defense_of_japan_2025_acm(seeded):
    acm = Body.objects.get(slug="acm")
    assert dated(acm.established, "2015-11", "month")
    assert cited_from(acm, "dow-2025-acm") and cited_from(acm, "dow-2020")
    assert set(Body.objects.filter(parent=acm).values_list("slug", flat=True)) >= {"acg", "bocc", "cccs"}
    # The JC dates from the SOFA (Art. 25) and is drawn beside the ACG, linked to it, not under the ACM.
    assert Body.objects.get(slug="jc").parent is None
    us_dg = {s.organization.slug: s.as_needed for s in Seat.objects.filter(body__slug="acg", side="us", level="dg")}
    assert us_dg["us-department-of-state"] is True  # （注）必要に応じて参加
    assert us_dg["us-embassy-tokyo"] is False
    assert set(Seat.objects.filter(body__slug="acg").values_list("level", flat=True)) == {"dg", "director", "working"}
    jc = Seat.objects.filter(body__slug="jc")
    assert {(s.side, s.post.name_ja) for s in jc if s.role == "代表"} == {("jp", "外務省北米局長"), ("us", "在日米軍副司令官")}


def test_diplomatic_bluebook_2025(seeded):
    hns = Agreement.objects.get(slug="hns-special-agreement-2022")
    assert dated(hns.signed, "2022-01-07", "day") and dated(hns.in_force, "2022-04-01", "day")
    assert cited_from(hns, "bluebook-2025")
    summit = Meeting.objects.get(slug="summit-2025-02-07")
    assert summit.start.date == datetime.date(2025, 2, 7) and summit.place_ja == "ワシントンD.C."
    assert {(p.side, p.post.name_ja, p.person.name_ja) for p in summit.participations.all()} == {
        ("jp", "内閣総理大臣", "石破"),
        ("us", "大統領", "トランプ"),
    }
    rear = Organization.objects.get(slug="unc-rear")
    assert dated(rear.established, "1957-07", "month") and rear.parent.slug == "unc"
    assert not Body.objects.filter(slug__in=["unc", "unc-rear"]).exists()  # a UN command, not a bilateral body
    two_plus_two = Meeting.objects.get(slug="scc-2024-07")
    assert dated(two_plus_two.start, "2024-07", "month") and two_plus_two.place_ja == "東京"
    assert two_plus_two.participations.count() == 4
    assert cited_from(two_plus_two, "bluebook-2025")


def test_every_source_text_is_cited(seeded):
    from alliance.models import Source

    for source in Source.objects.all():
        assert source.citations.count() >= 20, source.slug
