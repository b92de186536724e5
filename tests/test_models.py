"""Integrity rules enforced by PostgreSQL itself, and the same rules as friendly clean() messages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from alliance.models import Agreement, AgreementRelation, Body, Citation, Participation, Seat
from alliance.partial_dates import PartialDate

from .factories import (
    make_agreement,
    make_body,
    make_citation,
    make_meeting,
    make_organization,
    make_participation,
    make_person,
    make_post,
    make_seat,
    make_source,
)

pytestmark = pytest.mark.django_db


def violates(constraint_name):
    """Context: the statement fails in the database with this named constraint."""
    return pytest.raises(IntegrityError, match=constraint_name)


def update(model, pk, **fields):
    """Write straight to the database, past any Python validation."""
    with transaction.atomic():
        model.objects.filter(pk=pk).update(**fields)


def test_a_seat_must_hold_exactly_one_member():
    body, post, org = make_body(), make_post(), make_organization()
    with violates("seat_exactly_one_member"), transaction.atomic():
        Seat.objects.create(slug="none", body=body, side="jp")
    with violates("seat_exactly_one_member"), transaction.atomic():
        Seat.objects.create(slug="two", body=body, side="jp", post=post, organization=org)
    assert Seat.objects.create(slug="one", body=body, side="jp", organization=org).member == org


def test_clean_explains_the_one_member_rule():
    seat = Seat(slug="x", body=make_body(), side="jp")
    with pytest.raises(ValidationError, match="ちょうど一つ"):
        seat.full_clean()


@pytest.mark.parametrize(
    ("date", "precision"),
    [
        (datetime.date(2009, 11, 15), "month"),
        (datetime.date(2009, 11, 1), "year"),
        (datetime.date(2009, 1, 2), "year"),
        (datetime.date(2009, 1, 1), ""),
        (None, "day"),
    ],
)
def test_the_stored_date_must_match_its_precision(date, precision):
    agreement = make_agreement()
    with violates("agreement_signed_precision"):
        update(Agreement, agreement.pk, signed_date=date, signed_precision=precision)


def test_an_end_cannot_fall_before_its_start():
    agreement = make_agreement(signed="2009-11-03")
    with violates("agreement_ended_not_before_signed"):
        update(Agreement, agreement.pk, ended_date=datetime.date(2009, 10, 1), ended_precision="month")
    with violates("agreement_in_force_not_before_signed"):
        update(Agreement, agreement.pk, in_force_date=datetime.date(2009, 11, 2), in_force_precision="day")
    seat = make_seat(start="2015-04-27")
    with violates("seat_end_not_before_start"):
        update(Seat, seat.pk, end_date=datetime.date(2014, 1, 1), end_precision="year")
    body = make_body(established="2015")
    with violates("body_ended_not_before_established"):
        update(Body, body.pk, ended_date=datetime.date(2014, 12, 31), ended_precision="day")
    meeting = make_meeting(start="2023-01-11")
    with violates("meeting_end_not_before_start"):
        update(type(meeting), meeting.pk, end_date=datetime.date(2023, 1, 10), end_precision="day")


def test_a_coarse_end_may_share_its_period_with_a_finer_start():
    # Set up on 20 November, ended "in November": not out of order.
    body = make_body(established="2009-11-20", ended="2009-11")
    body.full_clean()
    agreement = make_agreement(signed="2009-11-03", ended="2009")
    agreement.full_clean()


def test_clean_reports_dates_out_of_order_on_the_field():
    agreement = make_agreement(signed="2010-01-01")
    agreement.ended = PartialDate.parse("2009-12")
    with pytest.raises(ValidationError) as excinfo:
        agreement.full_clean()
    assert "ended" in excinfo.value.message_dict


def test_slugs_are_unique():
    make_body(slug="scc")
    with violates("slug"), transaction.atomic():
        make_body(slug="scc")


def test_a_citation_points_at_exactly_one_record():
    source = make_source()
    with violates("citation_exactly_one_record"), transaction.atomic():
        Citation.objects.create(source=source, locator="x", quote="y")
    with violates("citation_exactly_one_record"), transaction.atomic():
        Citation.objects.create(source=source, locator="x", quote="y", body=make_body(), agreement=make_agreement())
    with violates("citation_quote_not_empty"), transaction.atomic():
        Citation.objects.create(source=source, locator="x", quote="", body=make_body())


def test_agreement_relations_are_unique_and_never_reflexive():
    old, new = make_agreement(), make_agreement()
    AgreementRelation.objects.create(subject=new, kind="supersedes", object=old)
    with violates("agreementrelation_unique"), transaction.atomic():
        AgreementRelation.objects.create(subject=new, kind="supersedes", object=old)
    with violates("agreementrelation_not_self"), transaction.atomic():
        AgreementRelation.objects.create(subject=new, kind="amends", object=new)


def test_a_body_cannot_be_its_own_parent_or_predecessor():
    body = make_body()
    with violates("body_not_own_parent"):
        update(Body, body.pk, parent=body.pk)
    with violates("body_not_own_predecessor"):
        update(Body, body.pk, predecessor=body.pk)


def test_clean_refuses_a_cycle_of_parents():
    top = make_body()
    child = make_body(parent=top)
    top.parent = child
    with pytest.raises(ValidationError, match="循環"):
        top.full_clean()


def test_an_attendee_needs_someone_and_a_unique_position():
    meeting = make_meeting()
    with violates("participation_has_attendee"), transaction.atomic():
        Participation.objects.create(meeting=meeting, position=1, side="jp")
    make_participation(meeting=meeting, position=1, person=make_person())
    with violates("participation_unique_position"), transaction.atomic():
        make_participation(meeting=meeting, position=1, name_text="随行")


def test_evidence_is_protected_from_deletion():
    source = make_source()
    body = make_body()
    make_citation(source=source, body=body)
    with pytest.raises(ProtectedError):
        source.delete()
    make_meeting(body=body)
    with pytest.raises(ProtectedError):
        body.delete()
    basis = make_agreement()
    make_body(legal_basis=basis)
    with pytest.raises(ProtectedError):
        basis.delete()
    post = make_post()
    make_seat(post=post)
    with pytest.raises(ProtectedError):
        post.delete()


def test_deleting_a_record_takes_its_own_citations_with_it():
    agreement = make_agreement()
    make_citation(agreement=agreement)
    agreement.delete()
    assert Citation.objects.count() == 0


def test_partial_date_accessor_reads_and_writes_both_columns():
    agreement = make_agreement(signed="平成21年11月")
    agreement.refresh_from_db()
    assert (agreement.signed_date, agreement.signed_precision) == (datetime.date(2009, 11, 1), "month")
    assert agreement.signed.iso() == "2009-11"
    agreement.signed = None
    assert (agreement.signed_date, agreement.signed_precision) == (None, "")
    assert agreement.signed is None


def test_names_fall_back_to_the_other_language():
    from django.utils import translation

    body = make_body(name_ja="同盟調整メカニズム", name_en="", abbreviation="ACM")
    with translation.override("en"):
        assert body.name == "同盟調整メカニズム"
    body.name_en = "Alliance Coordination Mechanism"
    with translation.override("en"):
        assert body.name == "Alliance Coordination Mechanism"
    with translation.override("ja"):
        assert body.name == "同盟調整メカニズム"
    assert str(body) == "同盟調整メカニズム（ACM）"
