"""The exports in the list's order, by its sort keys, and their line ends, fast.

The exports once numbered the list's ids with a window function in a materialized CTE
and sorted by that number; they now carry the list's sort keys and sort by them, so
PostgreSQL plans the export as one query (in parallel, over an index-only scan). The
bytes must not change: every export, in every sort, language and filter, is compared
with the numbered selection, kept here as the reference.
"""

import io
import json
import random

import pytest
from django.db import connection
from django.utils import translation

from alliance.models import Meeting
from alliance.public import export
from alliance.public.entities import EXPORTS, LISTS

pytestmark = pytest.mark.django_db

PREFIX = "http://testserver/x/"


def numbered_selection(queryset, ids):
    """The selection as the previous release wrote it: the ids in the queryset's order,
    numbered by row_number() in a materialized CTE, the export sorted by that number."""
    if ids is not None:
        return "SELECT q.id, q.ord FROM unnest(%s::bigint[]) WITH ORDINALITY AS q(id, ord)", [list(ids)], export.SEL_ORDER
    ids_sql, ids_params = queryset.values("pk").query.sql_with_params()
    sql = f"SELECT q.id, row_number() OVER () AS ord FROM ({ids_sql}) AS q(id) OFFSET 0"  # OFFSET 0: never inlined
    return sql, list(ids_params), export.SEL_ORDER


def exports(entity, params):
    queryset = entity.read(params).queryset()
    return (
        b"".join(export.stream(queryset, entity, PREFIX)),
        b"".join(export.stream_ndjson(queryset, entity, PREFIX)),
    )


def cases():
    for name, entity in EXPORTS.items():
        for sort in entity.sorts or [""]:
            for language in ("ja", "en"):
                yield name, sort, language


@pytest.mark.parametrize(("name", "sort", "language"), list(cases()))
def test_every_export_in_every_sort_writes_the_bytes_of_the_numbered_selection(seeded, monkeypatch, name, sort, language):
    entity = EXPORTS[name]
    queries = [{}, {"q": "日米"}, {"q": "会"}]
    if name == "meeting":
        queries += [{"kind": Meeting.Kind.values[0]}, {"start": "2010/2020"}]
    with translation.override(language):
        for params in queries:
            params = {**params, "sort": sort} if sort else params
            keyed = exports(entity, params)
            with monkeypatch.context() as patch:
                patch.setattr(export, "_selection", numbered_selection)
                numbered = exports(entity, params)
            assert keyed == numbered, (name, params, language)
            if not params.keys() - {"sort"}:
                assert keyed[0].count(b"\r\n") > 2, "the seed data has rows in this export"


def plan(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        (document,) = cursor.fetchone()
    nodes = []

    def walk(node):
        nodes.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk((document if isinstance(document, list) else json.loads(document))[0]["Plan"])
    return nodes


def test_the_meeting_export_is_one_query_with_no_numbering_and_its_ids_come_from_an_index_alone(seeded):
    entity = LISTS["meeting"]
    sql, params = export.export_sql(entity.read({}).queryset(), entity, PREFIX)
    kinds = {node["Node Type"] for node in plan(sql, params)}
    # A numbered, materialized selection showed as a WindowAgg under a CTE Scan, and
    # made PostgreSQL plan the export without parallel workers.
    assert "WindowAgg" not in kinds and "CTE Scan" not in kinds, kinds
    # The default order's keys are read from meeting_newest without visiting a row
    # (the index includes start_date, which its key is computed from).
    sel_sql, sel_params, order = export._selection(entity.read({}).queryset(), None)
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        scans = [node for node in plan(f"SELECT sel.id FROM ({sel_sql}) AS sel {order}", sel_params) if "Index" in node["Node Type"]]
    assert [(node["Node Type"], node["Index Name"]) for node in scans] == [("Index Only Scan", "meeting_newest")]


@pytest.mark.parametrize("order", ["slug", "reversed list order"])
def test_an_order_that_is_not_a_list_sort_keeps_the_queryset_s_own_order(seeded, order):
    entity = LISTS["meeting"]
    if order == "slug":
        queryset = Meeting.objects.published().order_by("-slug")
    else:
        queryset = entity.read({}).queryset().reverse()
    csv_rows = b"".join(export.stream(queryset, entity, PREFIX)).decode("utf-8-sig").split("\r\n")[1:-1]
    slugs = [row.split(",", 1)[0] for row in csv_rows]
    assert slugs == list(queryset.values_list("slug", flat=True))


@pytest.mark.parametrize("name", ["meeting", "agreement", "body"])
def test_the_xlsx_writes_the_cells_of_the_numbered_selection(seeded, monkeypatch, name):
    from openpyxl import load_workbook

    entity = EXPORTS[name]

    def cells(params):
        out = io.BytesIO()
        export.write_xlsx(out, entity.read(params).queryset(), entity, PREFIX)
        out.seek(0)
        return [[cell.value for cell in row] for row in load_workbook(out, read_only=True).active.iter_rows()]

    for params in ({}, {"q": "日米"}, {"sort": list(entity.sorts)[-1]}):
        keyed = cells(params)
        with monkeypatch.context() as patch:
            patch.setattr(export, "_selection", numbered_selection)
            assert keyed == cells(params), params
        assert len(keyed) > 1 or params


# --- line ends --------------------------------------------------------------------------


def crlf_by_byte(data: bytes) -> bytes:
    """The plain reading: a quote toggles "inside"; a line feed outside becomes CRLF."""
    out, inside = bytearray(), False
    for byte in data:
        if byte == ord('"'):
            inside = not inside
        if byte == ord("\n") and not inside:
            out += b"\r"
        out.append(byte)
    return bytes(out)


def csv_text(rng) -> bytes:
    """Rows as PostgreSQL writes them: cells quoted when they hold a quote, a comma or a
    line break (quotes doubled), records ended by a bare line feed."""
    cells = ["", "a", "日米", '"', '""', "a,b", "x\ny", "\n", 'say "hi"\n', "\r\n", "=1"]
    lines = []
    for _ in range(rng.randint(0, 40)):
        row = []
        for _ in range(rng.randint(1, 5)):
            cell = "".join(rng.choice(cells) for _ in range(rng.randint(0, 3)))
            if any(c in cell for c in '",\r\n'):
                cell = '"' + cell.replace('"', '""') + '"'
            row.append(cell)
        lines.append(",".join(row) + "\n")
    return "".join(lines).encode()


@pytest.mark.parametrize("seed", range(60))
def test_line_ends_become_crlf_outside_quoted_cells_however_the_chunks_fall(seed):
    rng = random.Random(seed)
    data = csv_text(rng)
    cuts = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randint(0, 12))))
    chunks = [data[i:j] for i, j in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    lines = export.CrlfLines()
    assert b"".join(lines.feed(chunk) for chunk in chunks) == crlf_by_byte(data)


def test_a_chunk_of_whole_records_with_no_line_break_in_a_cell_is_one_replace():
    lines = export.CrlfLines()
    assert lines.feed(b'a,"b,""c""",\n"",x\n') == b'a,"b,""c""",\r\n"",x\r\n'
    assert lines.feed(b'"x\ny",z\n') == b'"x\ny",z\r\n'  # the slow path, still right
    assert not lines.inside
    assert lines.feed(b'"open\n') == b'"open\n' and lines.inside
    assert lines.feed(b'still",\n') == b'still",\r\n' and not lines.inside


# --- the meetings' stored lines: COPY's text format, unescaped -------------------------------

HARD_TEXT = ["", "a", "日米", "\\", "\\\\", "\\n", "\\.", "\t", "\r", "\n", "\r\n", "\b\f\v", "\x01\x02", '"q"', "a,b", "=1", "末尾\\"]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(20))
def test_copy_text_of_ready_lines_becomes_those_lines_with_crlf_however_the_chunks_fall(seed):
    """What PostgreSQL's text format writes for any line, fed in chunks cut anywhere (an
    escape split in two included), decodes to the line itself, each ended by CRLF."""
    rng = random.Random(seed)
    values = ["".join(rng.choice(HARD_TEXT) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(1, 30))]
    with connection.cursor() as cursor:
        data = bytearray()
        with cursor.cursor.copy("COPY (SELECT v FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n) TO STDOUT", [values]) as copy:
            for chunk in copy:
                data += chunk
    data = bytes(data)
    expected = "".join(v + "\r\n" for v in values).encode()
    for _ in range(10):
        cuts = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randint(0, 12))))
        chunks = [data[i:j] for i, j in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        lines = export.TextLines()
        assert b"".join(lines.feed(chunk) for chunk in chunks) == expected
        lines.close()


def test_a_chunk_without_a_backslash_is_one_replace_and_a_cut_escape_waits():
    lines = export.TextLines()
    assert lines.feed(b'a,"b"\nc\n') == b'a,"b"\r\nc\r\n'
    assert lines.feed(b'"x\\ny",\\\\') == b'"x\ny",\\'  # an escaped line feed stays a line feed
    assert lines.feed(b"z\\") == b"z" and lines.held == b"\\"
    assert lines.feed(b"t\n") == b"\t\r\n"
    lines.close()


@pytest.mark.django_db
def test_the_quoting_function_quotes_as_copy_does():
    """alliance_csv_quoted(v) is what COPY (FORMAT csv) writes for v in a row of several
    columns: the stored lines are byte for byte the cells COPY wrote."""
    values = [None, "\\.", *("".join(random.Random(i).choice(HARD_TEXT) for _ in range(i % 5)) for i in range(300))]
    rows = "FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, n)"
    with connection.cursor() as cursor:
        data = bytearray()
        with cursor.cursor.copy(f"COPY (SELECT v, 'x' {rows} ORDER BY n) TO STDOUT WITH (FORMAT csv)", [values]) as copy:
            for chunk in copy:
                data += chunk
        cursor.execute(f"SELECT string_agg(alliance_csv_quoted(v) || ',x' || chr(10), '' ORDER BY n) {rows}", [values])
        (joined,) = cursor.fetchone()
    assert joined.encode() == bytes(data)
