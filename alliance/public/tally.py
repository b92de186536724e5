"""How many published meetings each body and each kind has, kept on write by PostgreSQL;
and a list's count and facets over a period that covers most meetings, from the few it
leaves out.

The meetings list counts its rows and its facets (by body, by kind) on every new URL. Over
a period that holds 95,000 of 100,000 meetings (one body's page over 1850–2090, the first
page over such a period) that was a pass over 95,000 index entries for the body facet
alone, where Datasette's page cost less than that one query. The same numbers are the
totals less what lies outside the period: the undated meetings, those before or after it,
and those in the year before its start whose precision leaves them out. Those are read by
four index range scans, and the totals from this table.

The table holds signed deltas, appended by statement-level triggers (transition tables)
on every insert, update and delete of a meeting that changes a published meeting's body
or kind: two editors saving at once append two rows and never wait for each other, and an
import of 100,000 meetings is one row per body and kind. Reading sums them (a few thousand
rows); a writer folds them into one row per body and kind when they pass FOLD_AT, under
an advisory lock that a second folder skips instead of waiting for.

Like the export rows (maintained.py), it is installed after every migrate, not by a
migration, and refilled from the meetings when what computes it has changed.
"""

import hashlib
import json
import time

from django.db import connections

from ..models.base import published_sql

TABLE = "alliance_meeting_tally"
# The facet fields it counts by (the model's field names) and their columns.
FIELDS = {"body": "body_id", "kind": "kind"}
FOLD_AT = 2000
# Whether to ask the planner how many meetings lie outside a period first (the tests that
# hold the two ways of counting to the same numbers turn it off to always subtract).
ESTIMATE = True
# pg_try_advisory_xact_lock's key for a fold (any number no other lock here uses).
FOLD_LOCK = 724_2401

_GROUPED = """
    SELECT COALESCE(body_id, 0) AS body_id, kind, sum(d)::bigint AS n FROM ({rows}) AS x
    GROUP BY 1, 2 HAVING sum(d) <> 0
"""


def _table_sql() -> str:
    # body_id 0: no body.
    return f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, body_id bigint NOT NULL, kind text NOT NULL, n bigint NOT NULL)"


def _delta(table_alias_rows: str, sign: int) -> str:
    return f"SELECT r.body_id, r.kind, {sign} AS d FROM {table_alias_rows} AS r WHERE {published_sql('r')}"


def _functions_sql() -> list[str]:
    refill = f"""
    CREATE OR REPLACE FUNCTION alliance_meeting_tally_refill() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM {TABLE};
        INSERT INTO {TABLE} (body_id, kind, n)
        {_GROUPED.format(rows=_delta("alliance_meeting", 1))};
    END $$
    """
    append = f"""
    CREATE OR REPLACE FUNCTION alliance_meeting_tally_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            PERFORM alliance_meeting_tally_refill();
            RETURN NULL;
        END IF;
        IF TG_OP = 'INSERT' THEN
            INSERT INTO {TABLE} (body_id, kind, n) {_GROUPED.format(rows=_delta("new_rows", 1))};
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO {TABLE} (body_id, kind, n) {_GROUPED.format(rows=_delta("old_rows", -1))};
        ELSE
            -- A row whose body, kind and status stay the same adds +1 and -1: nothing.
            INSERT INTO {TABLE} (body_id, kind, n)
            {_GROUPED.format(rows=_delta("new_rows", 1) + " UNION ALL " + _delta("old_rows", -1))};
        END IF;
        IF FOUND AND (SELECT count(*) FROM (SELECT FROM {TABLE} LIMIT {FOLD_AT + 1}) AS t) > {FOLD_AT}
                AND pg_try_advisory_xact_lock({FOLD_LOCK}) THEN
            -- Fold what this transaction sees into one row per body and kind. Rows other
            -- transactions append meanwhile are not seen, so not deleted: none is lost.
            WITH folded AS (DELETE FROM {TABLE} RETURNING body_id, kind, n)
            INSERT INTO {TABLE} (body_id, kind, n)
            SELECT body_id, kind, sum(n) FROM folded GROUP BY 1, 2 HAVING sum(n) <> 0;
        END IF;
        RETURN NULL;
    END $$
    """
    triggers = []
    for event, refs in (
        ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
        ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
        ("TRUNCATE", ""),
    ):
        triggers.append(
            f"CREATE OR REPLACE TRIGGER alliance_meeting_tally_{event.lower()} AFTER {event} ON alliance_meeting "
            f"{refs} FOR EACH STATEMENT EXECUTE FUNCTION alliance_meeting_tally_rows()"
        )
    return [refill, append, *triggers]


def fingerprint() -> str:
    return hashlib.sha256("\n".join([_table_sql(), *_functions_sql()]).encode()).hexdigest()


def install(connection) -> bool:
    """The table, its functions and triggers; the table recreated and refilled when what
    computes it has changed (True)."""
    from .maintained import install_stamped

    return install_stamped(
        connection,
        stamp=fingerprint(),
        tables=[TABLE],
        create=[_table_sql()],
        functions=_functions_sql(),
        fill=["SELECT alliance_meeting_tally_refill()"],
    )


def totals(using) -> tuple[int, dict]:
    """(published meetings, {field: {value: number}}) by the table: one small query."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT GROUPING(body_id), GROUPING(kind), body_id, kind, sum(n)::bigint FROM {TABLE} "
            "GROUP BY GROUPING SETS ((), (body_id), (kind))"
        )
        rows = cursor.fetchall()
    total, counts = 0, {name: {} for name in FIELDS}
    for by_body, by_kind, body_id, kind, n in rows:
        if by_body and by_kind:
            total = n or 0
        elif not by_body:
            counts["body"][body_id or None] = n
        else:
            counts["kind"][kind] = n
    _approximate[using] = (time.monotonic(), total)
    return total, counts


# The last total read in this process, by database, and the span of the meetings' dates:
# what a period is first compared with (a heuristic: a stale number only makes the other
# way of counting be chosen).
_approximate: dict[str, tuple[float, int]] = {}
_span: dict[tuple[str, str], tuple[float, object, object]] = {}
APPROXIMATE_FOR = 60.0


def _approximate_total(using) -> int:
    read = _approximate.get(using)
    if read is None or time.monotonic() - read[0] > APPROXIMATE_FOR:
        return totals(using)[0]
    return read[1]


def _narrow(model, using, date_name, start, end) -> bool:
    """The period covers less than half the span of the published meetings' dates: most
    meetings lie outside it (unless they crowd into it, which only costs the other way)."""
    key = (using, date_name)
    read = _span.get(key)
    if read is None or time.monotonic() - read[0] > APPROXIMATE_FOR:
        from django.db.models import Max, Min

        span = model.objects.published().aggregate(lo=Min(f"{date_name}_date"), hi=Max(f"{date_name}_date"))
        read = _span[key] = (time.monotonic(), span["lo"], span["hi"])
    _, lo, hi = read
    if lo is None or hi is None or hi <= lo:
        return False
    inside = (min(end or hi, hi) - max(start or lo, lo)).days
    return inside * 2 < (hi - lo).days


def _outside(table, date_name, start, end) -> tuple[str, list]:
    """SQL for the (body_id, kind) of the published meetings outside [start, end] (days;
    either None), written out (the ORM compiling four querysets cost more than running
    them), each branch one index range: undated; after ``end``; before the earliest day a
    period can start and still reach ``start``; and between that day and ``start`` but
    ending before ``start``. overlaps_q's rule, negated; a test holds the two to the same
    counts."""
    from ..partial_dates import Precision, earliest_reaching, truncate

    d, p = f"m.{date_name}_date", f"m.{date_name}_precision"
    branches = [(f"{d} IS NULL", [])]
    until = ([f"{d} <= %s"], [end]) if end is not None else ([], [])
    if end is not None:
        branches.append((f"{d} > %s", [end]))
    if start is not None:
        # reaches_q: a period reaches ``start`` when it begins on or after ``start`` cut to
        # its own precision.
        bounds = {Precision.DAY: start, **{q: truncate(start, q) for q in (Precision.MONTH, Precision.FISCAL_YEAR, Precision.YEAR)}}
        earliest = earliest_reaching(start)
        reaches = " OR ".join(f"({p} = %s AND {d} >= %s)" for _ in bounds)
        reach_params = [v for precision, bound in bounds.items() for v in (str(precision), bound)]
        branches.append((" AND ".join([f"{d} < %s", *until[0]]), [earliest, *until[1]]))
        branches.append(
            (" AND ".join([f"{d} >= %s", f"{d} < %s", f"NOT ({reaches})", *until[0]]), [earliest, start, *reach_params, *until[1]])
        )
    sql = " UNION ALL ".join(
        f"SELECT m.body_id, m.kind FROM {table} AS m WHERE {published_sql('m')} AND {condition}" for condition, _ in branches
    )
    return sql, [v for _, params in branches for v in params]


def counts_over_period(model, date_name, start, end, fields):
    """(count, {field: {value: n}}) of the published meetings in [start, end] (days, either
    None), by field: the totals less what lies outside. None when more than half of them
    lie outside by the planner's estimate (counting the period itself is then cheaper)."""
    from .engine import grouped_counts_sql

    using = model.objects.published().db
    if start is None and end is None:
        total, by_field = totals(using)
        return total, {name: {v: n for v, n in by_field[name].items() if n > 0} for name in fields}
    columns = list(FIELDS)
    sql, params = _outside(model._meta.db_table, date_name, start, end)
    if ESTIMATE:
        if _narrow(model, using, date_name, start, end):
            return None
        with connections[using].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            (plan,) = cursor.fetchone()
        plan = plan if isinstance(plan, list) else json.loads(plan)
        if plan[0]["Plan"]["Plan Rows"] * 2 > _approximate_total(using):
            return None
    total, by_field = totals(using)
    out_total, out_counts = grouped_counts_sql(using, sql, params, columns)
    counts = {}
    for name in fields:
        field_counts = dict(by_field[name])
        for value, n in out_counts[name].items():
            field_counts[value] = field_counts.get(value, 0) - n
        counts[name] = {value: n for value, n in field_counts.items() if n > 0}
    return total - out_total, counts
