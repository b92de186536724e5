"""In force / not in force / unknown, worked out from the dates and the "supersedes" relations,
and the agreements list's facet and date sort that use it."""

import datetime

import pytest
from django.urls import reverse

from alliance.models import Agreement, AgreementRelation, Force, Status

from .factories import make_agreement

pytestmark = pytest.mark.django_db
D = datetime.date


def force(agreement, day):
    return Agreement.objects.with_force(day).get(pk=agreement.pk).force


def supersede(new, old):
    return AgreementRelation.objects.create(subject=new, kind=AgreementRelation.Kind.SUPERSEDES, object=old, status="published")


def test_an_agreement_with_no_dates_is_unknown_not_out_of_force():
    assert force(make_agreement(), D(2025, 1, 1)) == Force.UNKNOWN
    # Signed, but no entry into force recorded: still unknown.
    assert force(make_agreement(signed="2016-09"), D(2025, 1, 1)) == Force.UNKNOWN


@pytest.mark.parametrize(
    ("in_force", "ended", "day", "expected"),
    [
        ("1960", None, D(2025, 1, 1), Force.IN_FORCE),
        ("2030", None, D(2025, 1, 1), Force.NOT_IN_FORCE),  # not yet in force
        ("1999-01-01", "2016-03", D(2016, 3, 31), Force.IN_FORCE),  # through the last day of its month
        ("1999-01-01", "2016-03", D(2016, 4, 1), Force.NOT_IN_FORCE),
        (None, "2016", D(2017, 1, 1), Force.NOT_IN_FORCE),  # ended, though its start is not recorded
    ],
)
def test_force_from_the_dates(in_force, ended, day, expected):
    kwargs = {k: v for k, v in {"in_force": in_force, "ended": ended}.items() if v}
    assert force(make_agreement(**kwargs), day) == expected


def test_a_superseded_agreement_is_not_in_force_from_its_successors_entry_into_force():
    old = make_agreement(name_ja="旧日米安全保障条約", approved="1951", in_force="1952")
    new = make_agreement(name_ja="日米安全保障条約", in_force="1960-06-23")
    supersede(new, old)
    assert force(old, D(1955, 1, 1)) == Force.IN_FORCE
    assert force(old, D(1960, 6, 22)) == Force.IN_FORCE
    assert force(old, D(1960, 6, 23)) == Force.NOT_IN_FORCE
    assert force(new, D(1960, 6, 23)) == Force.IN_FORCE
    assert old not in Agreement.objects.in_force_on(D(2025, 1, 1))
    assert old in Agreement.objects.in_force_on(D(1955, 1, 1))


def test_a_successor_without_dates_supersedes_at_once_and_a_draft_does_not():
    old = make_agreement(in_force="1996")
    supersede(make_agreement(), old)
    assert force(old, D(1997, 1, 1)) == Force.NOT_IN_FORCE
    other = make_agreement(in_force="1996")
    supersede(make_agreement(status=Status.DRAFT), other)
    assert force(other, D(1997, 1, 1)) == Force.IN_FORCE


def test_the_seed_data_1951_treaty_is_superseded_and_the_sofa_unknown(client, seeded):
    today = datetime.date.today()
    assert Agreement.objects.with_force(today).get(slug="security-treaty-1951").force == Force.NOT_IN_FORCE
    assert Agreement.objects.with_force(today).get(slug="security-treaty-1960").force == Force.IN_FORCE
    assert Agreement.objects.with_force(today).get(slug="sofa").force == Force.UNKNOWN
    response = client.get(reverse("alliance:agreement-list"), {"state": "unknown"})
    facet = dict((head.param, options) for head, options in response.context["facets"])["state"]
    assert [option[0] for option in facet] == [str(label) for _v, label in Force.choices]
    assert sum(option[1] for option in facet) == Agreement.objects.published().count()
    slugs = {a.slug for a in response.context["rows"]}
    assert "sofa" in slugs and "security-treaty-1951" not in slugs


def test_the_date_sort_uses_the_approval_date_where_no_signature_is_recorded(client):
    approved = make_agreement(name_ja="承認のみ", approved="1951")
    signed = make_agreement(name_ja="署名あり", signed="1960")
    undated = make_agreement(name_ja="日付なし")
    mine = {approved.pk, signed.pk, undated.pk}

    def order(sort):
        rows = client.get(reverse("alliance:agreement-list"), {"sort": sort, "q": ""}).context["rows"]
        return [a.pk for a in rows if a.pk in mine]

    assert order("signed") == [approved.pk, signed.pk, undated.pk]
    assert order("-signed") == [signed.pk, approved.pk, undated.pk]


def test_relations_read_as_phrases_from_both_ends(client):
    treaty = make_agreement(name_ja="日米安全保障条約", name_en="Treaty of Mutual Cooperation and Security")
    sofa = make_agreement(name_ja="日米地位協定", name_en="Status of Forces Agreement")
    AgreementRelation.objects.create(subject=sofa, kind=AgreementRelation.Kind.BASED_ON, object=treaty, status="published")
    treaty_url, sofa_url = treaty.get_absolute_url(), sofa.get_absolute_url()
    ja = client.get(treaty_url).content.decode()
    assert "この文書に基づく文書: <a" in ja and "がこの文書を" not in ja
    en = client.get("/en" + sofa_url).content.decode()
    assert "Based on: <a" in en and "Treaty of Mutual Cooperation and Security" in en
    en = client.get("/en" + treaty_url).content.decode()
    assert "Documents based on this one: <a" in en
