"""The meetings' kept totals by body and kind (public/tally.py), and the list's count and
facets over a period computed from them: the same numbers as counting the rows, after
every kind of write, for any period; two writers never wait for each other on them."""

import random
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.models import Meeting, Status
from alliance.public import tally
from alliance.public.entities import LISTS

from .factories import make_body, make_meeting

pytestmark = pytest.mark.django_db

ENTITY = LISTS["meeting"]


def recount():
    """The totals by counting the published meetings."""
    rows = Meeting.objects.published()
    total, counts = rows.count(), {"body": {}, "kind": {}}
    for body_id, kind in rows.values_list("body_id", "kind"):
        counts["body"][body_id] = counts["body"].get(body_id, 0) + 1
        counts["kind"][kind] = counts["kind"].get(kind, 0) + 1
    return total, counts


def kept():
    total, counts = tally.totals("default")
    assert type(total) is int and all(type(n) is int for c in counts.values() for n in c.values())  # not Decimal
    return total, {name: {k: n for k, n in c.items() if n} for name, c in counts.items()}


def test_every_kind_of_write_keeps_the_totals_right():
    scc, other = make_body(slug="scc"), make_body(slug="other")
    a = make_meeting(body=scc, kind="2plus2")
    b = make_meeting(body=scc, kind="summit", status=Status.DRAFT)
    c = make_meeting(body=None, kind="2plus2")
    assert kept() == recount()
    b.status = Status.PUBLISHED  # published
    b.save()
    assert kept() == recount()
    a.body = other  # moved
    a.save()
    c.kind = "summit"
    c.save()
    assert kept() == recount()
    a.name_ja = "改名"  # nothing counted changes: nothing appended
    before = _rows()
    a.save()
    assert _rows() == before
    Meeting.objects.filter(body=scc).update(status=Status.DRAFT)  # one statement, many rows
    assert kept() == recount()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE alliance_meeting SET kind = 'summit' WHERE id = %s", [a.pk])
    assert kept() == recount()
    b.delete()
    assert kept() == recount()
    call_command("synth", meetings=120, seed=4, force=True, verbosity=0)  # a bulk insert
    assert kept() == recount()
    Meeting.objects.filter(pk__in=Meeting.objects.order_by("pk").values("pk")[:30]).delete()
    assert kept() == recount()


def _rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {tally.TABLE}")
        return cursor.fetchone()[0]


def test_the_deltas_are_folded_when_they_pile_up_and_nothing_is_lost():
    bodies = [make_body(slug=f"b{i}") for i in range(3)]
    meetings = [make_meeting(body=bodies[i % 3], kind="2plus2") for i in range(12)]
    with connection.cursor() as cursor:  # a low threshold, for the test
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'alliance_meeting_tally_rows'")
        (source,) = cursor.fetchone()
        assert f"> {tally.FOLD_AT}" in source
        cursor.execute(
            "CREATE OR REPLACE FUNCTION alliance_meeting_tally_rows() RETURNS trigger LANGUAGE plpgsql AS $$"
            + source.replace(f"LIMIT {tally.FOLD_AT + 1}", "LIMIT 11").replace(f"> {tally.FOLD_AT}", "> 10")
            + "$$"
        )
    rng = random.Random(1)
    for _ in range(40):
        m = rng.choice(meetings)
        m.body, m.kind = rng.choice(bodies), rng.choice(["2plus2", "summit", "working"])
        m.save()
        assert kept() == recount()
    assert _rows() <= 3 * 3 + 1  # folded: about one row per body and kind


@pytest.mark.django_db(transaction=True)
def test_two_writers_append_without_waiting_for_each_other():
    """Two transactions publishing meetings of the same body and kind: the second does not
    wait for the first to commit (an upserted counter row would make it wait)."""
    body = make_body(slug="scc")
    first_inserted, second_done = threading.Event(), threading.Event()
    errors = []

    def first():
        try:
            with transaction.atomic():
                make_meeting(body=body, kind="2plus2")
                first_inserted.set()
                assert second_done.wait(10), "the second writer waited for the first"
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def second():
        try:
            assert first_inserted.wait(10)
            with transaction.atomic():
                make_meeting(body=body, kind="2plus2")
            second_done.set()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors, errors
    assert kept() == recount() and recount()[0] == 2


# --- the list's count and facets -----------------------------------------------------------


def summary(params, use_tally):
    state = ENTITY.read(params)
    if not use_tally:
        state.entity = _Uncounted()
    return state.summary()


class _Uncounted(type(ENTITY)):
    """The meetings list counting its rows (no kept totals)."""

    counts_over_period = None


def random_end(rng):
    year = rng.randint(1955, 2030)
    return rng.choice([str(year), f"{year}-{rng.randint(1, 12):02d}", f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", f"FY{year}"])


@pytest.mark.parametrize("seed", range(6))
def test_counts_over_any_period_are_the_rows_counted(seed, monkeypatch):
    """From the totals less what lies outside (always, here) or by counting the rows: the
    same count and facets, over periods with either end missing, of any precision, around
    fiscal years and inverted, alone and with a body or a kind chosen."""
    monkeypatch.setattr(tally, "ESTIMATE", False)
    call_command("synth", meetings=250, seed=seed, verbosity=0)
    Meeting.objects.filter(pk__in=Meeting.objects.order_by("?").values("pk")[:20]).update(start_date=None, start_precision="", start_qualifier="")
    rng = random.Random(seed)
    body = Meeting.objects.published().exclude(body=None).values_list("body__slug", flat=True).first()
    for _ in range(12):
        params = {}
        if rng.random() < 0.8:
            params["from"] = random_end(rng)
        if rng.random() < 0.8:
            params["to"] = random_end(rng)
        extra = rng.choice([{}, {"body": body}, {"kind": "2plus2"}])
        params.update(extra)
        assert summary(params, True) == summary(params, False), params


def test_the_year_before_a_period_counts_by_precision(monkeypatch):
    """A fiscal year, a year, a month and a day just before ``from``: only those whose
    period reaches it are in (overlaps_q), the same whichever way it is counted."""
    monkeypatch.setattr(tally, "ESTIMATE", False)
    for start in ("FY2009", "2009", "2009-12", "2009-12-31", "2010", "FY2010", "2010-01-01"):
        make_meeting(start=start)
    for params in ({"from": "2010"}, {"from": "2010-02"}, {"from": "2010-03-31", "to": "2010-04-01"}, {"to": "2009-12"}):
        ours, rows = summary(params, True), summary(params, False)
        assert ours == rows, params
    assert summary({"from": "2010"}, True)["count"] == 4  # FY2009 (to 2010-03), 2010, FY2010, 2010-01-01


def test_one_body_over_a_wide_period_reads_only_what_lies_outside(client):
    """The body facet of one body's page over a period holding most meetings: the totals
    less the few outside, not a count of every meeting in the period."""
    body = make_body(slug="scc", name_ja="日米安全保障協議委員会")
    for i in range(40):
        make_meeting(body=body if i % 2 else make_body(), start=f"{1990 + i % 30}")
    make_meeting(body=body, start=None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE alliance_meeting")  # the planner's estimate decides
    tally._approximate.clear()
    tally._span.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("alliance:meeting-list"), {"body": "scc", "from": "1900", "to": "2100"})
    assert response.status_code == 200
    grouped = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"] and "alliance_meeting" in q["sql"]]
    assert not any('GROUP BY "alliance_meeting"."body_id"' in sql for sql in grouped), grouped
    assert any(tally.TABLE in q["sql"] for q in ctx.captured_queries)
    assert summary({"body": "scc", "from": "1900", "to": "2100"}, True) == summary({"body": "scc", "from": "1900", "to": "2100"}, False)


def test_a_narrow_period_is_counted_as_before_at_no_extra_cost(client):
    """A period over a small part of the meetings' dates: its rows are counted, and the
    kept totals cost no query (no estimate asked, no totals read)."""
    for year in range(1960, 2020):
        make_meeting(start=str(year), kind="2plus2" if year % 2 else "summit")
    tally._approximate.clear()
    tally._span.clear()
    client.get(reverse("alliance:meeting-list"), {"kind": "2plus2", "from": "1990", "to": "1995"})  # the span, read once
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("alliance:meeting-list"), {"kind": "summit", "from": "1970", "to": "1975"})
    assert response.status_code == 200
    assert not [q["sql"] for q in ctx.captured_queries if "EXPLAIN" in q["sql"] or tally.TABLE in q["sql"]]
    assert summary({"kind": "summit", "from": "1970", "to": "1975"}, True)["count"] == 3
