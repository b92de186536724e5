"""CSV export written by PostgreSQL: COPY (…) TO STDOUT, over the list's own queryset.

The page and its CSV share one queryset (filters, search, sort). Its ids and its sort
keys become the CTE ``sel``; each listing's SQL joins its related names onto ``sel`` with
set-based aggregates (one pass over attendees, not one subquery per meeting), guards
every text cell against formulas and writes every date at its precision with SQL
functions from the migrations, and ends "ORDER BY sel.ord", which becomes the list's own
order (its sort keys, the id last). PostgreSQL writes the CSV, which streams to the
reader in chunks (bounded memory); only the line ends are changed, to CRLF, outside
quoted cells.
"""

import json
import re
import time
from contextlib import nullcontext

from django.db import connections, router
from django.db.models import OrderBy

from .cells import xml_text

BOM = "\ufeff"


# Every byte but the quote and the line feed: what CrlfLines.feed deletes to look at a
# chunk's quotes and line feeds alone.
_NOT_QUOTE_OR_LF = bytes(b for b in range(256) if b not in b'"\n')


class CrlfLines:
    """Turn the record ends of PostgreSQL's CSV ("\\n") into CRLF, leaving newlines that
    sit inside quoted cells alone. Quotes toggle "inside"; a doubled quote toggles twice."""

    def __init__(self):
        self.inside = False

    def feed(self, chunk: bytes) -> bytes:
        if not self.inside and b'"' not in chunk.translate(None, _NOT_QUOTE_OR_LF).replace(b'""', b""):
            # Kept to its quotes and line feeds, with every pair of adjacent quotes taken
            # out (which changes no line feed's parity), a chunk with no line feed inside
            # a quoted cell and no cell open at its end has no quote left: every line
            # feed in it ends a record. Almost every chunk, at C speed.
            return chunk.replace(b"\n", b"\r\n")
        parts = chunk.split(b'"')
        outside = 1 if self.inside else 0
        parts[outside::2] = [part.replace(b"\n", b"\r\n") for part in parts[outside::2]]
        if len(parts) % 2 == 0:  # an odd number of quotes: a cell is left open
            self.inside = not self.inside
        return b'"'.join(parts)


class TextLines:
    """Turn PostgreSQL's COPY text format of one column of ready CSV lines into those lines
    with CRLF ends. In that format every line feed is a record's end (one inside a quoted
    cell comes as the escape \\n), and a backslash starts an escape: \\\\, \\b, \\f, \\n, \\r,
    \\t, \\v (copyto.c, CopyAttributeOutText). A chunk without a backslash, almost every
    one, is one replace at C speed; an escape cut by a chunk's end waits for the next."""

    _ESCAPE = re.compile(rb"\\([\\bfnrtv])")
    _BYTES = {b"\\": b"\\", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}

    def __init__(self):
        self.held = b""

    def feed(self, chunk: bytes) -> bytes:
        if self.held:
            chunk, self.held = self.held + chunk, b""
        if b"\\" not in chunk:
            return chunk.replace(b"\n", b"\r\n")
        if (len(chunk) - len(chunk.rstrip(b"\\"))) % 2:  # an escape's second byte is in the next chunk
            chunk, self.held = chunk[:-1], chunk[-1:]
        return self._ESCAPE.sub(lambda m: self._BYTES[m.group(1)], chunk.replace(b"\n", b"\r\n"))

    def close(self) -> bytes:
        assert not self.held, "COPY's text ended inside an escape"
        return b""


# What the SQL of an export ends with: the list's order, which export_sql writes out.
SEL_ORDER = "ORDER BY sel.ord"


def _selection(queryset, ids):
    """The CTE ``sel`` and the ORDER BY that puts its rows in the list's order: the given
    ids in theirs, or the queryset's ids with its sort keys as columns, ordered by them.

    Sort keys, not the rank a window function gives them: a query that reads ``sel``
    once then inlines it, and PostgreSQL plans the whole export as one query, in
    parallel, sorting once (a numbered, materialized ``sel`` forbade both)."""
    if ids is not None:
        return "SELECT q.id, q.ord FROM unnest(%s::bigint[]) WITH ORDINALITY AS q(id, ord)", [list(ids)], SEL_ORDER
    ordering = queryset.query.order_by
    if not ordering or not queryset.query.standard_ordering or not all(isinstance(item, OrderBy) for item in ordering):
        # Not a list's order (its sort's expressions, not reversed): keep whatever order
        # the SQL has.
        ids_sql, ids_params = queryset.values("pk").query.sql_with_params()
        return f"SELECT q.id, row_number() OVER () AS ord FROM ({ids_sql}) AS q(id)", list(ids_params), SEL_ORDER
    keys = {f"export_key_{i}": item.expression for i, item in enumerate(ordering)}
    inner = queryset.order_by().annotate(**keys).values_list("pk", *keys)
    ids_sql, ids_params = inner.query.sql_with_params()
    names = [f"k{i}" for i in range(len(keys))]
    order = ", ".join(
        f"sel.{name} {'DESC' if item.descending else 'ASC'}"
        + (" NULLS FIRST" if item.nulls_first else " NULLS LAST" if item.nulls_last else "")
        for name, item in zip(names, ordering, strict=True)
    )
    return f"SELECT * FROM ({ids_sql}) AS q(id, {', '.join(names)})", list(ids_params), f"ORDER BY {order}"


def export_sql(queryset, entity, url_prefix, *, ids=None, body=None):
    """The full export query: the queryset's ids and sort keys (or ``ids``) as ``sel``,
    then the entity's columns as CSV cells (or ``body``, such as ``entity.json_sql()``),
    in the list's order."""
    sel_sql, params, order = _selection(queryset, ids)
    body = body if body is not None else entity.csv_sql()
    assert body.rstrip().endswith(SEL_ORDER), "an export's SQL ends with ORDER BY sel.ord"
    body = body.rstrip().removesuffix(SEL_ORDER) + order
    sql = f"WITH sel AS ({sel_sql}) " + body
    links = sum("%s" in column.value for column in entity.columns)
    return sql, [*params, *[url_prefix] * links]


# COPY hands over one row at a time; the export writes ~64 KiB at a time to the socket
# (and to CrlfLines): a few hundred bytes a write cost more than the query.
CHUNK = 64 * 1024


def reading(entity):
    """The connection a public read of ``entity`` goes to: the router's choice for this
    request (a replica or the primary, as ReplicaMiddleware decided)."""
    return connections[router.db_for_read(entity.model)]


def _deadline(connection):
    """The query's deadline for a read through the raw cursor (COPY, a server-side cursor's
    fetches), renewed at every chunk: no answer within it, and the socket is shut."""
    deadline = getattr(connection, "copy_deadline", None)
    return (deadline() if deadline is not None else None) or nullcontext()


def _copy(connection, sql, params):
    """PostgreSQL's COPY output, in chunks of about CHUNK bytes, counted like any other query.

    A COPY streams at the pace of whoever downloads it (the server waits while the reader
    reads), so PostgreSQL's statement_timeout, which bounds a query
    (DATABASE_STATEMENT_TIMEOUT), is lifted for it: a slow download of a large list is not
    cut off halfway. A server that stops sending is still found out by the deadline,
    renewed at each chunk."""
    started = time.monotonic()
    buffer = bytearray()
    with connection.cursor() as cursor, _deadline(connection) as wait:
        raw = cursor.cursor
        raw.execute("SET statement_timeout = 0")
        try:
            with raw.copy(sql, params) as copy:
                for chunk in copy:
                    if wait is not None:
                        wait.renew()
                    buffer += chunk
                    if len(buffer) >= CHUNK:
                        yield bytes(buffer)
                        buffer.clear()
        finally:
            try:
                raw.execute("RESET statement_timeout")  # the connection's own, for its next request
            except connection.Database.Error:
                pass  # a connection left mid-COPY or broken is not reused (the pool drops it)
    if buffer:
        yield bytes(buffer)
    if connection.queries_logged:
        # COPY bypasses Django's cursor wrapper; count it like any other query.
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def stream(queryset, entity, url_prefix):
    """The CSV bytes: BOM and header, then PostgreSQL's COPY output, chunk by chunk, from
    the database this request reads (chosen now: the bytes stream after the request's
    routing has ended)."""
    sql, params = export_sql(queryset, entity, url_prefix)
    return _stream_csv(reading(entity), sql, params, entity.headers, lines=entity.csv_lines)


def _stream_csv(connection, sql, params, headers, *, lines=False):
    """``lines``: the SQL gives one ready CSV line per row (Entity.csv_lines), which COPY's
    text format writes as it is but for a few escapes; else one cell per column, which its
    CSV format quotes."""
    yield (BOM + ",".join(headers) + "\r\n").encode("utf-8")
    if lines:
        decoder, copy_sql = TextLines(), f"COPY ({sql}) TO STDOUT"
    else:
        decoder, copy_sql = CrlfLines(), f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    for chunk in _copy(connection, copy_sql, params):
        yield decoder.feed(chunk)
    if lines:
        decoder.close()


# COPY's CSV format writes a line as it is unless it holds the quote or the delimiter
# character (or a line break). A JSON text escapes every control character, so with
# these two as quote and delimiter each row's JSON is written verbatim, one per line.
VERBATIM = "FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02'"


def stream_ndjson(queryset, entity, url_prefix):
    """NDJSON bytes: one JSON object per row, written by PostgreSQL, chunk by chunk."""
    sql, params = export_sql(queryset, entity, url_prefix, body=entity.json_sql())
    return _copy(reading(entity), f"COPY ({sql}) TO STDOUT WITH ({VERBATIM})", params)


def json_rows(entity, ids, url_prefix) -> list[dict]:
    """The JSON objects of the given records, in the given order: one query."""
    if not ids:
        return []
    sql, params = export_sql(None, entity, url_prefix, ids=ids, body=entity.json_sql())
    with reading(entity).cursor() as cursor:
        cursor.execute(sql, params)
        return [json.loads(text) for (text,) in cursor.fetchall()]


XLSX_CHUNK = 2000


def write_xlsx(fileobj, queryset, entity, url_prefix):
    """The rows as an XLSX workbook with every cell typed as text, so that no spreadsheet
    turns 2009-11 into a date or runs =… as a formula. Rows come from a server-side
    cursor in chunks and openpyxl writes them as they come: bounded memory. A character
    XML cannot hold (a vertical tab from Word) is made a line break or left out
    (cells.xml_text), so that one such cell never costs every reader the whole file."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(entity.path)

    def text_cell(value):
        cell = WriteOnlyCell(sheet, value=xml_text(value))
        if value is not None:
            cell.data_type = "s"  # openpyxl would read "=…" as a formula
        cell.number_format = "@"
        return cell

    sheet.append([text_cell(header) for header in entity.headers])
    sql, params = export_sql(queryset, entity, url_prefix, body=entity.text_sql())
    connection = reading(entity)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        with _deadline(connection) as wait:
            while rows := cursor.fetchmany(XLSX_CHUNK):
                if wait is not None:
                    wait.renew()
                for row in rows:
                    sheet.append([text_cell(value) for value in row])
    workbook.save(fileobj)
