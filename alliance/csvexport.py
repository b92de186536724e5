"""CSV export written by PostgreSQL: COPY (the list's own queryset, as text columns) TO STDOUT.

The page and its CSV share one queryset (filters, search, sort); here it gets one text
column per CSV column, every cell guarded against formulas and every date at its
precision by SQL functions from the migrations. PostgreSQL writes the CSV, which
streams to the reader in chunks (bounded memory); only the line ends are changed, to
CRLF, outside quoted cells.
"""

import time

from django.db import connection
from django.db.models import F, Func, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

BOM = "\ufeff"


class Cell(Func):
    """alliance_csv_cell(text): a leading ' where a spreadsheet would run the cell."""

    function = "alliance_csv_cell"
    output_field = TextField()


class IsoDate(Func):
    """alliance_partial_date(date, precision): 1996, 2009-11 or 2017-04-25."""

    function = "alliance_partial_date"
    output_field = TextField()


def text(expression):
    if isinstance(expression, str):
        expression = F(expression)
    return Cell(expression)


def partial_date(name):
    return IsoDate(F(f"{name}_date"), F(f"{name}_precision"))


def sql(snippet):
    """A correlated subquery or expression over the list's own table (no parameters)."""
    return RawSQL(snippet, [], output_field=TextField())


def permalink(base_url, url_prefix):
    return Concat(Value(base_url + url_prefix), F("slug"), Value("/"), output_field=TextField())


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


def stream(queryset, columns):
    """The CSV bytes: BOM and header, then PostgreSQL's COPY output, chunk by chunk."""
    names = [f"csv_{i}" for i in range(len(columns))]
    rows = queryset.annotate(**{name: expression for name, (_h, expression) in zip(names, columns, strict=True)})
    query, params = rows.values_list(*names).query.sql_with_params()
    copy_sql = f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"
    header = ",".join(header for header, _e in columns)
    yield (BOM + header + "\r\n").encode("utf-8")
    lines = CrlfLines()
    started = time.monotonic()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(copy_sql, params) as copy:
            for chunk in copy:
                yield lines.feed(bytes(chunk))
    if connection.queries_logged:
        # COPY bypasses Django's cursor wrapper; count it like any other query.
        connection.queries_log.append({"sql": copy_sql, "time": f"{time.monotonic() - started:.3f}"})
