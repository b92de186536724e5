"""CSV export written by PostgreSQL: COPY (…) TO STDOUT, over the list's own queryset.

The page and its CSV share one queryset (filters, search, sort). Its ids, in order,
become the CTE ``sel``; each listing's SQL joins its related names onto ``sel`` with
set-based aggregates (one pass over attendees, not one subquery per meeting), guards
every text cell against formulas and writes every date at its precision with SQL
functions from the migrations. PostgreSQL writes the CSV, which streams to the reader
in chunks (bounded memory); only the line ends are changed, to CRLF, outside quoted cells.
"""

import json
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


def _selection(queryset, ids):
    """The CTE ``sel``: the queryset's ids in its order, or the given ids in theirs."""
    if ids is not None:
        return "SELECT q.id, q.ord FROM unnest(%s::bigint[]) WITH ORDINALITY AS q(id, ord)", [list(ids)]
    ids_sql, ids_params = queryset.values("pk").query.sql_with_params()
    return f"SELECT q.id, row_number() OVER () AS ord FROM ({ids_sql}) AS q(id)", list(ids_params)


def export_sql(queryset, entity, url_prefix, *, ids=None, body=None):
    """The full export query: the queryset's ids in order (or ``ids``) as ``sel``, then the
    entity's columns as CSV cells (or ``body``, such as ``entity.json_sql()``)."""
    sel_sql, params = _selection(queryset, ids)
    sql = f"WITH sel AS MATERIALIZED ({sel_sql}) " + (body if body is not None else entity.csv_sql())
    links = sum("%s" in column.value for column in entity.columns)
    return sql, [*params, *[url_prefix] * links]


# COPY hands over one row at a time; the export writes ~64 KiB at a time to the socket
# (and to CrlfLines): a few hundred bytes a write cost more than the query.
CHUNK = 64 * 1024


def _copy(sql, params):
    """PostgreSQL's COPY output, in chunks of about CHUNK bytes, counted like any other query."""
    started = time.monotonic()
    buffer = bytearray()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql, params) as copy:
            for chunk in copy:
                buffer += chunk
                if len(buffer) >= CHUNK:
                    yield bytes(buffer)
                    buffer.clear()
    if buffer:
        yield bytes(buffer)
    if connection.queries_logged:
        # COPY bypasses Django's cursor wrapper; count it like any other query.
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def stream(queryset, entity, url_prefix):
    """The CSV bytes: BOM and header, then PostgreSQL's COPY output, chunk by chunk."""
    sql, params = export_sql(queryset, entity, url_prefix)
    yield (BOM + ",".join(entity.headers) + "\r\n").encode("utf-8")
    lines = CrlfLines()
    for chunk in _copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params):
        yield lines.feed(chunk)


# COPY's CSV format writes a line as it is unless it holds the quote or the delimiter
# character (or a line break). A JSON text escapes every control character, so with
# these two as quote and delimiter each row's JSON is written verbatim, one per line.
VERBATIM = "FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02'"


def stream_ndjson(queryset, entity, url_prefix):
    """NDJSON bytes: one JSON object per row, written by PostgreSQL, chunk by chunk."""
    sql, params = export_sql(queryset, entity, url_prefix, body=entity.json_sql())
    yield from _copy(f"COPY ({sql}) TO STDOUT WITH ({VERBATIM})", params)


def json_rows(entity, ids, url_prefix) -> list[dict]:
    """The JSON objects of the given records, in the given order: one query."""
    if not ids:
        return []
    sql, params = export_sql(None, entity, url_prefix, ids=ids, body=entity.json_sql())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [json.loads(text) for (text,) in cursor.fetchall()]


XLSX_CHUNK = 2000


def write_xlsx(fileobj, queryset, entity, url_prefix):
    """The rows as an XLSX workbook with every cell typed as text, so that no spreadsheet
    turns 2009-11 into a date or runs =… as a formula. Rows come from a server-side
    cursor in chunks and openpyxl writes them as they come: bounded memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(entity.path)

    def text_cell(value):
        cell = WriteOnlyCell(sheet, value=value)
        if value is not None:
            cell.data_type = "s"  # openpyxl would read "=…" as a formula
        cell.number_format = "@"
        return cell

    sheet.append([text_cell(header) for header in entity.headers])
    sql, params = export_sql(queryset, entity, url_prefix, body=entity.text_sql())
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(XLSX_CHUNK):
            for row in rows:
                sheet.append([text_cell(value) for value in row])
    workbook.save(fileobj)
