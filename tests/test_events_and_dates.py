"""Issue 11: what the texts state and the model could not hold before — fiscal years and
"end of" dates, agreement periods, issue and adoption dates, events, links between bodies,
organization, tenure and seat dates — parsed, stored, filtered and shown, and the seed
data's facts of each new kind asserted by value against the texts."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from alliance.models import Agreement, Body, BodyLink, Event, Organization, Seat, Tenure
from alliance.partial_dates import PartialDate, overlaps_q, parse_period

from .factories import make_agreement, make_body, make_body_link, make_event

D = datetime.date


# --- parsing every form the issue quotes ---------------------------------------------------


@pytest.mark.parametrize(
    "text, iso, ja, en, start, end",
    [
        ("2022年度", "FY2022", "2022年度", "FY2022", D(2022, 4, 1), D(2023, 3, 31)),
        ("令和4年度", "FY2022", "2022年度", "FY2022", D(2022, 4, 1), D(2023, 3, 31)),
        ("昭和60（1985）年度", "FY1985", "1985年度", "FY1985", D(1985, 4, 1), D(1986, 3, 31)),
        ("平成 29 (2017) 年度", "FY2017", "2017年度", "FY2017", D(2017, 4, 1), D(2018, 3, 31)),
        ("2025年3月末", "2025-03 end", "2025年3月末", "end of March 2025", D(2025, 3, 1), D(2025, 3, 31)),
        ("2025年3月末頃", "2025-03 end", "2025年3月末", "end of March 2025", D(2025, 3, 1), D(2025, 3, 31)),
        ("2024年11月上旬", "2024-11 early", "2024年11月上旬", "early November 2024", D(2024, 11, 1), D(2024, 11, 30)),
        ("1996年末", "1996 end", "1996年末", "end of 1996", D(1996, 1, 1), D(1996, 12, 31)),
        ("2024年度末", "FY2024 end", "2024年度末", "end of FY2024", D(2024, 4, 1), D(2025, 3, 31)),
        ("FY2022", "FY2022", "2022年度", "FY2022", D(2022, 4, 1), D(2023, 3, 31)),
        ("2025-03 end", "2025-03 end", "2025年3月末", "end of March 2025", D(2025, 3, 1), D(2025, 3, 31)),
    ],
)
def test_fiscal_years_and_qualified_dates_parse_show_and_span_their_period(text, iso, ja, en, start, end):
    value = PartialDate.parse(text)
    assert (value.iso(), value.ja(), value.en(), value.start, value.end) == (iso, ja, en, start, end)
    assert PartialDate.parse(value.iso()) == value  # the export form reads back


def test_a_relative_date_needs_the_date_it_refers_to():
    with pytest.raises(ValidationError) as excinfo:
        PartialDate.parse("同年末")
    assert excinfo.value.code == "relative"
    assert PartialDate.parse("同年末", context=PartialDate.parse("1996年4月17日")).iso() == "1996 end"
    assert PartialDate.parse("同月25日", context=PartialDate.parse("2017年4月14日")).iso() == "2017-04-25"


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2022年度から2026年度まで", "FY2022", "FY2026"),
        ("2020年度から", "FY2020", None),
        ("昭和60（1985）年度以降", "FY1985", None),
        ("2022年4月1日から2027年3月31日まで", "2022-04-01", "2027-03-31"),
    ],
)
def test_a_stated_period_is_a_start_and_an_end(text, start, end):
    first, last = parse_period(text)
    assert first.iso() == start
    assert (last.iso() if last else None) == end


@pytest.mark.parametrize(
    "text",
    ["2022年度4月", "2025年3月1日末", "2025年下旬", "平成5(1994)年度"],
)
def test_impossible_fiscal_and_qualified_forms_are_refused(text):
    with pytest.raises(ValidationError):
        PartialDate.parse(text)


# --- storage, filters, exports -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_a_fiscal_year_not_on_april_1_and_a_qualified_day():
    event = make_event(start="2022年度")
    for day, precision, qualifier in [(D(2022, 1, 1), "fiscal_year", ""), (D(2022, 4, 5), "day", "end")]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Event.objects.filter(pk=event.pk).update(start_date=day, start_precision=precision, start_qualifier=qualifier)


@pytest.mark.django_db
def test_fiscal_year_filtering_holds_at_its_boundaries():
    fy = make_event(name_ja="FY2022", start="2022年度")
    march_end = make_event(name_ja="end of March 2025", start="2025年3月末")

    def hits(start, end):
        return set(Event.objects.filter(overlaps_q("start", start, end)).values_list("name_ja", flat=True))

    assert fy.start.contains(D(2022, 4, 1)) and fy.start.contains(D(2023, 3, 31))
    assert "FY2022" in hits(D(2022, 4, 1), D(2022, 4, 1))
    assert "FY2022" in hits(D(2023, 3, 31), D(2023, 3, 31))
    assert "FY2022" not in hits(D(2022, 3, 31), D(2022, 3, 31))
    assert "FY2022" not in hits(D(2023, 4, 1), D(2023, 4, 1))
    assert march_end.start.contains(D(2025, 3, 1))  # "the end of March" lies within March
    assert "end of March 2025" in hits(D(2025, 3, 1), D(2025, 3, 31))
    assert "end of March 2025" not in hits(D(2025, 4, 1), None)


@pytest.mark.django_db
def test_the_event_list_filters_and_exports_fiscal_years(client):
    make_event(name_ja="年度の事業", start="2020年度", kind="program")
    make_event(name_ja="前年度の事業", start="2019年度", kind="program")
    response = client.get(reverse("alliance:event-list"), {"from": "2021-01", "to": "2021-03"})
    assert [e.name_ja for e in response.context["rows"]] == ["年度の事業"]  # FY2020 runs to March 2021
    raw = b"".join(client.get(reverse("alliance:event-csv"), {"kind": "program"}).streaming_content)
    rows = {r["name_ja"]: r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))}
    assert rows["年度の事業"]["start"] == "FY2020"


@pytest.mark.django_db
def test_the_sql_export_format_is_the_python_one():
    with connection.cursor() as cursor:
        for text in ["FY2022", "2025-03 end", "1996 end", "2009-11", "2017-04-25", "1996"]:
            value = PartialDate.parse(text)
            cursor.execute("SELECT alliance_partial_date(%s, %s, %s)", [value.date, value.precision, value.qualifier])
            assert cursor.fetchone()[0] == value.iso() == text


# --- agreements: their stated period ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("until", ["2027-03-31", "2026年度"])
def test_a_fixed_term_agreement_is_in_force_through_its_period(until):
    hns = make_agreement(name_ja="特別協定", in_force="2022-04-01", period_from="2022-04-01", period_until=until)
    in_force = lambda day: Agreement.objects.in_force_on(day).filter(pk=hns.pk).exists()  # noqa: E731
    assert not in_force(D(2022, 3, 31))
    assert in_force(D(2022, 4, 1)) and in_force(D(2027, 3, 31))
    assert not in_force(D(2027, 4, 1))


@pytest.mark.django_db
def test_an_ended_date_wins_over_the_period_and_no_period_means_open_ended():
    ended = make_agreement(in_force="2000", ended="2005", period_until="2010")
    open_ended = make_agreement(in_force="2000")
    assert not Agreement.objects.in_force_on(D(2008, 1, 1)).filter(pk=ended.pk).exists()
    assert Agreement.objects.in_force_on(D(2030, 1, 1)).filter(pk=open_ended.pk).exists()


@pytest.mark.django_db
def test_a_period_that_ends_before_it_starts_is_refused():
    agreement = Agreement(slug="x", name_ja="協定", kind="agreement")
    agreement.period_from, agreement.period_until = "2022年度", "2021年度"
    with pytest.raises(ValidationError) as excinfo:
        agreement.full_clean()
    assert "period_until" in excinfo.value.error_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        agreement.save()
    agreement.period_until = "2022年度末"  # the same fiscal year reaches its own start
    agreement.full_clean()


# --- body links ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_link_joins_two_bodies_once_and_never_a_body_to_itself():
    a, b = make_body(name_ja="A"), make_body(name_ja="B")
    make_body_link(from_body=a, to_body=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_body_link(from_body=a, to_body=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_body_link(from_body=a, to_body=a)


@pytest.mark.django_db
def test_a_link_to_a_draft_body_is_not_public():
    a, b = make_body(name_ja="A"), make_body(name_ja="B", status="draft")
    make_body_link(from_body=a, to_body=b)
    assert not BodyLink.objects.published().exists()


# --- the seed data: a sample of facts of each new kind, by value ------------------------------


def dated(value, iso):
    return value is not None and value.iso() == iso


def cited(obj, source, field=None):
    qs = obj.citations.filter(source__slug=source)
    return (qs.filter(field=field) if field is not None else qs).exists()


CONTEXT_EVENTS = {
    "ogasawara-reversion-1968": "1968",
    "okinawa-reversion-1972": "1972",
    "end-of-cold-war-1991": "1991",
    "september-11-attacks-2001": "2001-09-11",
    "security-treaty-50th-anniversary-2010": "2010",
}


@pytest.mark.django_db
def test_seed_events(seeded):
    for slug, iso in CONTEXT_EVENTS.items():
        event = Event.objects.get(slug=slug)
        assert dated(event.start, iso), slug
        assert cited(event, "dow-2020"), slug  # 図表III-2-1-1
    assert Event.objects.get(slug="okinawa-reversion-1972").kind == "context"
    assert Event.objects.get(slug="security-treaty-50th-anniversary-2010").agreements.filter(slug="security-treaty-1960").exists()
    keen_edge = Event.objects.get(slug="keen-edge-22")
    assert keen_edge.kind == "exercise" and dated(keen_edge.start, "2022-01") and dated(keen_edge.end, "2022-02")
    assert keen_edge.part_of.slug == "joint-integrated-exercise-series"
    assert dated(keen_edge.part_of.start, "FY1985")  # 昭和60（1985）年度以降
    assert dated(Event.objects.get(slug="seed-project").start, "FY2020")  # 2020年度から
    assert dated(Event.objects.get(slug="tofu-program").start, "FY2017")
    upgrade = Event.objects.get(slug="usfj-joint-force-hq-upgrade-phase-1")
    assert dated(upgrade.start, "2025-03 end") and upgrade.start.ja() == "2025年3月末"
    guam = Event.objects.get(slug="guam-relocation-start-announcement-2024-12-14")
    assert guam.kind == "announcement" and dated(guam.start, "2024-12-14") and cited(guam, "bluebook-2025")
    tomodachi = Event.objects.get(slug="operation-tomodachi-2011")
    assert tomodachi.kind == "operation" and dated(tomodachi.start, "2011")
    assert set(tomodachi.organizations.values_list("slug", flat=True)) == {"us-forces-japan", "jsdf"}
    assert Event.objects.get(slug="kumamoto-earthquake-2016").bodies.filter(slug="acm").exists()


@pytest.mark.django_db
def test_seed_body_links(seeded):
    jc = Body.objects.get(slug="jc")
    assert jc.parent is None  # beside the ACG since the SOFA, not under the ACM (2015)
    link = BodyLink.objects.get(from_body=jc, kind="coordinates_with", to_body__slug="acg")
    assert link.label_ja == "相互調整・情報交換など" and dated(link.start, "2015-11")
    assert cited(link, "dow-2020") and cited(link, "dow-2025-acm")
    assert BodyLink.objects.filter(from_body__slug="acm-senior-level", to_body=jc, label_ja="必要に応じて").exists()
    replaced = BodyLink.objects.get(from_body__slug="stf", kind="replaced_by", to_body__slug="dicas")
    assert dated(replaced.start, "2024-04") and cited(replaced, "dow-2025-bases", "start")
    sdc = BodyLink.objects.get(from_body__slug="sdc", kind="part_of", to_body__slug="scc")
    assert dated(sdc.start, "1976-07-08")
    assert not BodyLink.objects.filter(kind="supports").exists()  # the one weak link is left out


@pytest.mark.django_db
def test_seed_agreement_dates(seeded):
    hns = Agreement.objects.get(slug="hns-special-agreement-2022")
    assert dated(hns.period_from, "2022-04-01") and dated(hns.period_until, "2027-03-31")
    assert cited(hns, "bluebook-2025", "period_until")
    assert Agreement.objects.in_force_on(D(2027, 3, 31)).filter(pk=hns.pk).exists()
    assert not Agreement.objects.in_force_on(D(2027, 4, 1)).filter(pk=hns.pk).exists()
    declaration = Agreement.objects.get(slug="security-declaration-1996")
    assert dated(declaration.issued, "1996") and declaration.approved is None  # 「…」が発表され
    saco = Agreement.objects.get(slug="saco-final-report")
    assert dated(saco.adopted, "1996 end") and saco.adopted.ja() == "1996年末"  # 同年末に…取りまとめられた
    guidelines = Agreement.objects.get(slug="guidelines-1997")
    assert dated(guidelines.approved, "1997") and dated(guidelines.adopted, "1997")  # 了承 and 策定
    assert dated(Agreement.objects.get(slug="guidelines-1978").adopted, "1978")
    assert dated(Agreement.objects.get(slug="unsc-resolution-2375").adopted, "2017-09")  # 2017年9月に採択された


@pytest.mark.django_db
def test_seed_organization_tenure_and_seat_dates(seeded):
    joc = Organization.objects.get(slug="jsdf-joint-operations-command")
    assert dated(joc.established, "2025-03 end") and cited(joc, "dow-2025-acm", "established")
    assert dated(Organization.objects.get(slug="us-jaic").established, "2018")  # 2018年に米国防省が設立した
    assert dated(Organization.objects.get(slug="unc").established, "1950-07")
    assert not Body.objects.filter(slug="unc").exists()
    iwaya = Tenure.objects.get(slug="jp-minister-of-defense-iwaya")
    assert dated(iwaya.start, "2019-08-07") and cited(iwaya, "dow-2020", "start")  # 岩屋防衛大臣(当時)
    kamikawa = Tenure.objects.get(slug="jp-minister-foreign-affairs-kamikawa")
    assert dated(kamikawa.start, "2023-10") and dated(kamikawa.end, "2024-07")
    trump = Tenure.objects.filter(person__slug="trump", post__slug="us-president").order_by("start_date")
    assert [t.start.iso() for t in trump] == ["2019-08-25", "2025-02-07"]  # Biden between them, in 2024
    assert not Tenure.objects.active_on(D(2024, 4, 10)).filter(pk__in=trump).exists()
    for slug in ("scc-us-secretary-of-state", "scc-us-secretary-of-defense"):
        seat = Seat.objects.get(slug=slug)
        assert dated(seat.start, "1990-12-27") and cited(seat, "dow-2020", "start")  # (注1) …以前は
    assert dated(Seat.objects.get(slug="cdpwg-jp-mod").start, "2013-10")


@pytest.mark.django_db
def test_seed_corrections(seeded):
    from alliance.models import Citation, Meeting

    assert Meeting.objects.get(slug="space-comprehensive-2013-03").name_ja == "第1回包括的日米対話"
    assert Meeting.objects.get(slug="foreign-1958").kind == "other"  # 藤山・ダレス会談
    assert Meeting.objects.filter(slug__in=["summit-2012-noda-obama", "summit-2012-04"]).count() == 2
    fragments = ["換など\t担当級", "(代表)\t(代表)\t\t課長級", "情報交換\t課長級"]
    assert not Citation.objects.filter(seat__isnull=False, quote__in=fragments).exists()


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_chronology_shows_the_five_context_events(client, seeded):
    html = client.get(reverse("alliance:chronology")).content.decode()
    for slug in CONTEXT_EVENTS:
        assert reverse("alliance:event-detail", args=[slug]) in html, slug
    assert "小笠原諸島復帰" in html and "米国同時多発テロ" in html


@pytest.mark.django_db
def test_the_structure_chart_draws_the_joint_committee_beside_the_acg_with_the_link(client, seeded):
    response = client.get(reverse("alliance:structure"))
    drawn = [part["body"].slug for part in response.context["parts"]]
    assert "jc" in drawn and "acg" in drawn
    labels = {(link.from_body.slug, link.to_body.slug): link.label_ja for link in response.context["links"]}
    assert labels[("jc", "acg")] == "相互調整・情報交換など"
    assert "相互調整・情報交換など" in response.content.decode()


@pytest.mark.django_db
def test_body_and_event_pages_show_links_and_dates(client, seeded):
    acg = client.get(reverse("alliance:body-detail", args=["acg"])).content.decode()
    assert reverse("alliance:body-detail", args=["jc"]) in acg and "相互調整・情報交換など" in acg
    seed = client.get(reverse("alliance:event-detail", args=["seed-project"])).content.decode()
    assert "2020年度" in seed
    hns = client.get(reverse("alliance:agreement-detail", args=["hns-special-agreement-2022"])).content.decode()
    assert "2027年3月31日" in hns


@pytest.mark.django_db
def test_an_unsigned_statement_is_listed_under_its_issue_date(client, seeded):
    response = client.get(reverse("alliance:agreement-list"), {"kind": "statement"})
    html = response.content.decode()
    assert "2012年4月27日（発表）" in html  # 日米安全保障協議委員会(「2+2」)共同発表
    assert Agreement.objects.get(slug="scc-joint-statement-2012-04-27").dated[1].iso() == "2012-04-27"
