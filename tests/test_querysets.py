"""The reads the public site relies on, at the edges of partial-date periods."""

import datetime

import pytest

from alliance.models import Agreement, Body, Meeting, Seat
from alliance.partial_dates import PartialDate, order_by

from .factories import make_agreement, make_body, make_meeting, make_seat

pytestmark = pytest.mark.django_db
D = datetime.date


def test_published_leaves_drafts_out():
    shown = make_agreement(status="published")
    make_agreement(status="draft")
    assert list(Agreement.objects.published()) == [shown]


def test_new_records_start_as_drafts():
    assert Agreement(slug="x", name_ja="x", kind="other").status == "draft"


@pytest.mark.parametrize(
    ("in_force", "ended", "day", "expected"),
    [
        ("1960-06-23", None, D(1960, 6, 22), False),
        ("1960-06-23", None, D(1960, 6, 23), True),
        ("1960-06", None, D(1960, 6, 1), True),  # a month counts from its first day
        ("1960-06", None, D(1960, 5, 31), False),
        ("1960", None, D(1960, 1, 1), True),
        ("1960", None, D(1959, 12, 31), False),
        ("1999-01-01", "2016-03-31", D(2016, 3, 31), True),  # through the day it ended
        ("1999-01-01", "2016-03-31", D(2016, 4, 1), False),
        ("1999-01-01", "2016-03", D(2016, 3, 31), True),  # through the last day of its month
        ("1999-01-01", "2016-03", D(2016, 4, 1), False),
        ("1999-01-01", "2016", D(2016, 12, 31), True),
        ("1999-01-01", "2016", D(2017, 1, 1), False),
        (None, None, D(2020, 1, 1), False),  # no entry into force: never counted in force
    ],
)
def test_in_force_on(in_force, ended, day, expected):
    kwargs = {k: v for k, v in {"in_force": in_force, "ended": ended}.items() if v}
    agreement = make_agreement(**kwargs)
    assert (agreement in Agreement.objects.in_force_on(day)) is expected


@pytest.mark.parametrize(
    ("established", "ended", "day", "expected"),
    [
        ("2015-11", None, D(2015, 10, 31), False),
        ("2015-11", None, D(2015, 11, 1), True),
        (None, None, D(1900, 1, 1), True),  # undated: not hidden
        ("1960", "1996-06-28", D(1996, 6, 28), True),
        ("1960", "1996-06-28", D(1996, 6, 29), False),
        (None, "1996", D(1996, 12, 31), True),
        (None, "1996", D(1997, 1, 1), False),
    ],
)
def test_body_active_on(established, ended, day, expected):
    kwargs = {k: v for k, v in {"established": established, "ended": ended}.items() if v}
    body = make_body(**kwargs)
    assert (body in Body.objects.active_on(day)) is expected


def test_seat_active_on():
    seat = make_seat(start="2015-11-03", end="2020-03")
    assert seat not in Seat.objects.active_on(D(2015, 11, 2))
    assert seat in Seat.objects.active_on(D(2015, 11, 3))
    assert seat in Seat.objects.active_on(D(2020, 3, 31))
    assert seat not in Seat.objects.active_on(D(2020, 4, 1))
    standing = make_seat()
    assert standing in Seat.objects.active_on(D(1950, 1, 1))


def test_held_between_treats_a_month_as_lying_within_it():
    november = make_meeting(start="2009-11")
    day = make_meeting(start="2009-11-13")
    year = make_meeting(start="2009")
    make_meeting(start="2010-01-05")
    found = set(Meeting.objects.held_between(D(2009, 11, 10), D(2009, 11, 20)))
    assert found == {november, day, year}
    assert set(Meeting.objects.held_between(D(2009, 12, 1), None)) == {year, *Meeting.objects.filter(start_date__year=2010)}
    assert set(Meeting.objects.held_between(None, D(2009, 1, 1))) == {year}


def test_ordering_by_partial_date_in_sql_matches_python():
    texts = ["2009-01-01", "2009", "2009-01", "1996", "2010", "2009-11-03"]
    for text in texts:
        make_agreement(signed=text)
    make_agreement()  # undated
    in_sql = [a.signed.iso() if a.signed else None for a in Agreement.objects.order_by(*order_by("signed"))]
    expected = [v.iso() for v in sorted(PartialDate.parse(t) for t in texts)]
    assert in_sql == [*expected, None]
    assert expected[:4] == ["1996", "2009", "2009-01", "2009-01-01"]
    newest_first = [a.signed.iso() if a.signed else None for a in Agreement.objects.order_by(*order_by("signed", True))]
    assert newest_first == [*reversed(expected), None]
