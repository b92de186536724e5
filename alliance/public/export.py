"""CSV export written by PostgreSQL: COPY (…) TO STDOUT, over the list's own queryset.

The page and its CSV share one queryset (filters, search, sort). Its ids, in order,
become the CTE ``sel``; each listing's SQL joins its related names onto ``sel`` with
set-based aggregates (one pass over attendees, not one subquery per meeting), guards
every text cell against formulas and writes every date at its precision with SQL
functions from the migrations. PostgreSQL writes the CSV, which streams to the reader
in chunks (bounded memory); only the line ends are changed, to CRLF, outside quoted cells.
"""

import time

from django.db import connection

BOM = "\ufeff"


class CrlfLines:
    """Turn the record ends of PostgreSQL's CSV ("\\n") into CRLF, leaving newlines that
    sit inside quoted cells alone. Quotes toggle "inside"; a doubled quote toggles twice."""

    def __init__(self):
        self.inside = False

    def feed(self, chunk: bytes) -> bytes:
        parts = chunk.split(b'"')
        for i in range(len(parts)):
            inside = self.inside if i == 0 else not self.inside
            if not inside:
                parts[i] = parts[i].replace(b"\n", b"\r\n")
            self.inside = inside
        return b'"'.join(parts)


def export_sql(queryset, entity, url_prefix):
    """The full export query: the queryset's ids in order as ``sel``, then the entity's columns."""
    ids_sql, ids_params = queryset.values("pk").query.sql_with_params()
    sql = (
        f"WITH sel AS MATERIALIZED (SELECT q.id, row_number() OVER () AS ord FROM ({ids_sql}) AS q(id)) "
        + entity.csv_sql()
    )
    return sql, [*ids_params, url_prefix]


def stream(queryset, entity, url_prefix):
    """The CSV bytes: BOM and header, then PostgreSQL's COPY output, chunk by chunk."""
    sql, params = export_sql(queryset, entity, url_prefix)
    copy_sql = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    yield (BOM + ",".join(entity.headers) + "\r\n").encode("utf-8")
    lines = CrlfLines()
    started = time.monotonic()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(copy_sql, params) as copy:
            for chunk in copy:
                yield lines.feed(bytes(chunk))
    if connection.queries_logged:
        # COPY bypasses Django's cursor wrapper; count it like any other query.
        connection.queries_log.append({"sql": copy_sql, "time": f"{time.monotonic() - started:.3f}"})
