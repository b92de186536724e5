"""The meetings' export rows, kept up to date on write by PostgreSQL.

A meeting's CSV and JSON carry its attendees ("jp: 外務大臣 林（共同議長）; us: …"), its
documents and their slugs: names from six other tables, each shown only while published.
Joining 350,000 attendees at request time, and guarding and formatting every cell of
100,000 rows, made the export of 100,000 meetings four times slower than a COPY of the
bare meeting table. So each meeting's export row is stored, ready to write: its related
labels in ``alliance_meeting_export``, its CSV line (every cell guarded, quoted as COPY
quotes it, and joined) in ``alliance_meeting_export_csv``, its JSON object in
``alliance_meeting_export_json``, all computed by the entity's own column declarations
(there is still one definition of a cell), all but the permalink (which depends on the
request's host). The CSV reads the lines, the NDJSON the objects, and a CSV or XLSX of
some columns only computes its cells over the labels.

The tables, their functions and triggers are installed after every migrate
(``apps.sync_from_registry``), as the cell functions are, and not by a migration: a
migration run on the way through an upgrade would compute rows from today's column
declarations against an older schema. When the declarations or cell functions change,
the fingerprint stored on the table changes and the rows are recomputed.

The rows are kept right by statement-level triggers with transition tables on every
table a row reads (meeting, participation, meeting document, person, post, organization,
agreement, body): a statement recomputes, in one set-based query, the rows of the
meetings it touched. So no write path can leave them stale: the admin, imports,
loaddata, the ORM, raw SQL, COPY, deletes, status changes and renames all go through the
same triggers, and a bulk import of 350,000 attendees in one statement is one recompute.
An update that changes none of the columns a row reads (a note, a person's English name)
recomputes nothing.

``rebuild`` recomputes every meeting's row (``manage.py rebuild_export_rows`` repairs by
hand; it truncates the two tables, so exports wait for it to commit). ``install`` (re)creates the functions and the triggers; it runs in the migration
that adds the table and after every migrate, and when the stored cells' definition has
changed (the columns in entities.py, the cell functions) it recreates the table and
recomputes every row.
"""

import hashlib

from ..models.base import published_sql

TABLE = "alliance_meeting_export"
# The JSON objects apart: the CSV then reads half as many pages, and so does the NDJSON.
JSON_TABLE = "alliance_meeting_export_json"
# Each meeting's CSV line, but its permalink, ready to write: its cells guarded, quoted
# as PostgreSQL's COPY quotes them and joined with commas. COPY then writes one column
# verbatim instead of quoting 28 cells a row, which cost as much as the rest of the export.
CSV_TABLE = "alliance_meeting_export_csv"

# The labels of the meetings whose ids are in the array ``ids`` (no id twice): the same
# text the export once joined at request time (an attendee's capacity in brackets after their name; the
# documents by kind, then name). Only published attendees, people, posts, organizations,
# documents and agreements are named.
LABELS_SQL = f"""
    SELECT t.id AS meeting_id, att.labels AS attendees, att.labels_en AS attendees_en,
        doc.labels AS documents, doc.slugs AS document_slugs
    FROM unnest(ids) AS t(id)
    LEFT JOIN (
        SELECT x.meeting_id, string_agg(
            x.side || ': ' || x.who || CASE WHEN x.role <> '' THEN '（' || x.role || '）' ELSE '' END,
            '; ' ORDER BY x.position) FILTER (WHERE x.who <> '') AS labels,
            -- As Participation.public_label_en names them in a composed English title.
            string_agg(x.who_en, '; ' ORDER BY x.position) FILTER (WHERE x.who_en <> '') AS labels_en
        FROM (
            SELECT p.meeting_id, p.position, p.side, p.role, concat_ws(' ',
                CASE WHEN {published_sql("po")} THEN po.name_ja END,
                CASE WHEN {published_sql("o")} THEN o.name_ja END,
                CASE WHEN {published_sql("pe")} THEN pe.name_ja
                    WHEN p.person_id IS NULL AND p.name_text <> '' THEN p.name_text END) AS who,
                CASE WHEN {published_sql("pe")} AND pe.name_en <> '' THEN pe.name_en || COALESCE(' (' || c.capacity || ')', '')
                    WHEN {published_sql("pe")} THEN ''
                    ELSE COALESCE(c.capacity, '') END AS who_en
            FROM unnest(ids) AS u(id)
            JOIN alliance_participation p ON p.meeting_id = u.id AND {published_sql("p")}
            LEFT JOIN alliance_post po ON po.id = p.post_id
            LEFT JOIN alliance_organization o ON o.id = p.organization_id
            LEFT JOIN alliance_person pe ON pe.id = p.person_id
            CROSS JOIN LATERAL (SELECT COALESCE(
                CASE WHEN {published_sql("po")} AND po.name_en <> '' THEN po.name_en END,
                CASE WHEN {published_sql("o")} AND o.name_en <> '' THEN o.name_en END) AS capacity) AS c
        ) AS x WHERE x.who <> '' OR x.who_en <> '' GROUP BY x.meeting_id
    ) AS att ON att.meeting_id = t.id
    LEFT JOIN (
        SELECT d.meeting_id,
            string_agg(d.kind || ': ' || a.name_ja, '; ' ORDER BY d.kind, a.name_ja, a.slug) AS labels,
            string_agg(d.kind || ':' || a.slug, '; ' ORDER BY d.kind, a.name_ja, a.slug) AS slugs
        FROM unnest(ids) AS u(id)
        JOIN alliance_meetingdocument d ON d.meeting_id = u.id AND {published_sql("d")}
        JOIN alliance_agreement a ON a.id = d.agreement_id AND {published_sql("a")}
        GROUP BY d.meeting_id
    ) AS doc ON doc.meeting_id = t.id
"""

# Each table a row reads: how a changed row leads to the meetings whose export rows it is
# in (``r`` is a row of the statement's transition table), and the columns the export
# reads (an update that changes none of them recomputes nothing; None: any column).
SOURCES = {
    "alliance_meeting": ("SELECT r.id FROM {rows} AS r", None),
    "alliance_participation": (
        "SELECT r.meeting_id FROM {rows} AS r",
        ("meeting_id", "position", "side", "role", "person_id", "post_id", "organization_id", "name_text", "status"),
    ),
    "alliance_meetingdocument": (
        "SELECT r.meeting_id FROM {rows} AS r",
        ("meeting_id", "agreement_id", "kind", "status"),
    ),
    "alliance_person": (
        "SELECT p.meeting_id FROM {rows} AS r JOIN alliance_participation p ON p.person_id = r.id",
        ("name_ja", "name_en", "status"),
    ),
    "alliance_post": (
        "SELECT p.meeting_id FROM {rows} AS r JOIN alliance_participation p ON p.post_id = r.id",
        ("name_ja", "name_en", "status"),
    ),
    "alliance_organization": (
        "SELECT p.meeting_id FROM {rows} AS r JOIN alliance_participation p ON p.organization_id = r.id",
        ("name_ja", "name_en", "status"),
    ),
    "alliance_agreement": (
        "SELECT d.meeting_id FROM {rows} AS r JOIN alliance_meetingdocument d ON d.agreement_id = r.id",
        ("name_ja", "slug", "status"),
    ),
    "alliance_body": (
        "SELECT m.id FROM {rows} AS r JOIN alliance_meeting m ON m.body_id = r.id",
        ("name_ja", "name_en", "slug", "status"),
    ),
}


def _entity():
    from .entities import MeetingEntity

    return MeetingEntity


def stored_columns(entity=None):
    """The entity's columns but its permalink (the one that reads the request's URL
    prefix, ``%s``), which must come last: the JSON object is closed after it."""
    columns = (entity or _entity()).columns
    links = [i for i, column in enumerate(columns) if "%s" in column.value]
    assert links == [len(columns) - 1], "the permalink must be the last column and the only one with a parameter"
    return columns[:-1], columns[-1]


def _cell(column) -> str:
    return f"cell_{column.header}"


def _table_sql() -> list[str]:
    return [
        f"""
        CREATE TABLE {TABLE} (
            meeting_id bigint PRIMARY KEY,
            slug text NOT NULL,
            attendees text,
            attendees_en text,
            documents text,
            document_slugs text
        )
        """,
        f"CREATE TABLE {JSON_TABLE} (meeting_id bigint PRIMARY KEY, slug text NOT NULL, json text NOT NULL)",
        f"CREATE TABLE {CSV_TABLE} (meeting_id bigint PRIMARY KEY, slug text NOT NULL, line text NOT NULL)",
    ]


def _upsert(table, names, source="computed") -> str:
    """Only rows that changed are written: a no-op recompute leaves no dead rows."""
    rest = names[1:]
    return (
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM {source} "
        f"ON CONFLICT (meeting_id) DO UPDATE SET {', '.join(f'{n} = EXCLUDED.{n}' for n in rest)} "
        f"WHERE ({', '.join(f'{table}.{n}' for n in rest)}) IS DISTINCT FROM ({', '.join(f'EXCLUDED.{n}' for n in rest)})"
    )


def _refresh_sql() -> str:
    """The export rows of the meetings whose ids are in ``ids``, upserted; the rows of
    meetings that no longer exist, deleted."""
    columns, _ = stored_columns()
    names = ["meeting_id", "slug", "attendees", "attendees_en", "documents", "document_slugs"]
    line = "concat_ws(',', {})".format(", ".join(f"alliance_csv_quoted({_cell(c)})" for c in columns))
    # The same expressions the export once ran at request time, over the same aliases
    # (m the meeting, b its body, labels the labels above); the JSON object is left open
    # for the permalink (json_build_object writes ', ' between pairs and ' : ' in them).
    values = ", ".join(
        [
            "m.id AS meeting_id",
            "m.slug",
            "labels.attendees",
            "labels.attendees_en",
            "labels.documents",
            "labels.document_slugs",
            *[f"{column.sql} AS {_cell(column)}" for column in columns],
            "left(json_build_object({})::text, -1) AS json".format(", ".join(f"'{c.header}', {c.value}" for c in columns)),
        ]
    )
    return f"""
    CREATE OR REPLACE FUNCTION alliance_meeting_export_refresh(ids bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        -- A statement that touched a meeting many times (its attendees) lists it as often.
        ids := ARRAY(SELECT DISTINCT u.id FROM unnest(ids) AS u(id) WHERE u.id IS NOT NULL);
        IF cardinality(ids) = 0 THEN
            RETURN;
        END IF;
        DELETE FROM {TABLE} WHERE meeting_id = ANY(ids) AND NOT EXISTS (SELECT FROM alliance_meeting m WHERE m.id = meeting_id);
        DELETE FROM {JSON_TABLE} WHERE meeting_id = ANY(ids) AND NOT EXISTS (SELECT FROM alliance_meeting m WHERE m.id = meeting_id);
        DELETE FROM {CSV_TABLE} WHERE meeting_id = ANY(ids) AND NOT EXISTS (SELECT FROM alliance_meeting m WHERE m.id = meeting_id);
        -- Upserts, not delete-and-insert: two transactions recomputing the same meeting
        -- wait for each other instead of failing on the primary key.
        WITH labels AS MATERIALIZED ({LABELS_SQL}),
        computed AS MATERIALIZED (
            SELECT {values}
            FROM labels JOIN alliance_meeting m ON m.id = labels.meeting_id
            LEFT JOIN alliance_body b ON b.id = m.body_id AND {published_sql("b")}
        ),
        lines AS (SELECT meeting_id, slug, {line} AS line FROM computed),
        json_rows AS ({_upsert(JSON_TABLE, ["meeting_id", "slug", "json"])}),
        csv_rows AS ({_upsert(CSV_TABLE, ["meeting_id", "slug", "line"], source="lines")})
        {_upsert(TABLE, names)};
    END $$
    """


def _changed(columns) -> str:
    """The updated rows whose watched columns changed, old and new (matched by id)."""
    if columns is None:
        differs = "n IS DISTINCT FROM o"
    else:
        new = ", ".join(f"n.{c}" for c in columns)
        old = ", ".join(f"o.{c}" for c in columns)
        differs = f"({new}) IS DISTINCT FROM ({old})"
    return (
        f"(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {differs} "
        f"UNION ALL SELECT o.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {differs} "
        # a row whose id changed counts as deleted and inserted
        "UNION ALL SELECT n.* FROM new_rows n WHERE NOT EXISTS (SELECT FROM old_rows o WHERE o.id = n.id) "
        "UNION ALL SELECT o.* FROM old_rows o WHERE NOT EXISTS (SELECT FROM new_rows n WHERE n.id = o.id))"
    )


def _trigger_function(table, meetings, columns) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION {table}_export_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM alliance_meeting_export_refresh(ARRAY({meetings.format(rows="new_rows")}));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM alliance_meeting_export_refresh(ARRAY({meetings.format(rows="old_rows")}));
        ELSIF TG_OP = 'UPDATE' THEN
            PERFORM alliance_meeting_export_refresh(ARRAY({meetings.format(rows=_changed(columns))}));
        ELSE  -- TRUNCATE (a flush)
            PERFORM alliance_meeting_export_rebuild();
        END IF;
        RETURN NULL;
    END $$
    """


def _triggers(table) -> list[str]:
    # A trigger with transition tables fires on one event only: one each.
    function = f"{table}_export_rows()"
    return [
        f"CREATE OR REPLACE TRIGGER {table}_export_rows_ins AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        f"CREATE OR REPLACE TRIGGER {table}_export_rows_upd AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        f"CREATE OR REPLACE TRIGGER {table}_export_rows_del AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        f"CREATE OR REPLACE TRIGGER {table}_export_rows_trunc AFTER TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}",
    ]


REBUILD_SQL = f"""
    CREATE OR REPLACE FUNCTION alliance_meeting_export_rebuild() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        -- A repair (or a flush): no row kept, none left dead.
        TRUNCATE {TABLE}, {JSON_TABLE}, {CSV_TABLE};
        PERFORM alliance_meeting_export_refresh(ARRAY(SELECT id FROM alliance_meeting));
    END $$
    """


def functions_sql() -> list[str]:
    out = [_refresh_sql(), REBUILD_SQL]
    for table, (meetings, columns) in SOURCES.items():
        out.append(_trigger_function(table, meetings, columns))
        out += _triggers(table)
    return out


def fingerprint() -> str:
    """What the stored rows were computed by: the table, the functions (and so the
    columns' SQL) and the cell functions they call."""
    from .cells import SQL_FUNCTIONS

    text = "\n".join([*_table_sql(), *functions_sql(), *SQL_FUNCTIONS])
    return hashlib.sha256(text.encode()).hexdigest()


def install(connection) -> bool:
    """The tables, their functions and triggers; the tables recreated and every row
    recomputed when what computes them has changed since they were stored (True)."""
    from .cells import install_sql_functions

    install_sql_functions(connection)  # the cells call them; a migration may run first
    return install_stamped(
        connection,
        stamp=fingerprint(),
        tables=[TABLE, JSON_TABLE, CSV_TABLE],
        create=_table_sql(),
        functions=functions_sql(),
        fill=["SELECT alliance_meeting_export_rebuild()", f"ANALYZE {TABLE}, {JSON_TABLE}, {CSV_TABLE}"],
    )


def install_stamped(connection, *, stamp, tables, create, functions, fill) -> bool:
    """Tables PostgreSQL derives from others (these, tally.py's): their functions and
    triggers (re)created, and the tables dropped, created and filled again when ``stamp``
    (a fingerprint of the SQL that computes them, kept as the first table's comment) has
    changed since they were filled (True)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", [tables[0]])
        (stored,) = cursor.fetchone()
        if stored != stamp:
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(tables)}")
            for sql in create:
                cursor.execute(sql)
        for sql in functions:
            cursor.execute(sql)
        if stored != stamp:
            for sql in fill:
                cursor.execute(sql)
            cursor.execute(f"COMMENT ON TABLE {tables[0]} IS '{stamp}'")
    return stored != stamp


def rebuild(connection):
    """Recompute every meeting's export row (a repair: the triggers keep them right)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT alliance_meeting_export_rebuild()")
        cursor.execute(f"ANALYZE {TABLE}, {JSON_TABLE}, {CSV_TABLE}")


def uninstall(connection):
    with connection.cursor() as cursor:
        for table in SOURCES:
            cursor.execute(f"DROP FUNCTION IF EXISTS {table}_export_rows() CASCADE")
        cursor.execute("DROP FUNCTION IF EXISTS alliance_meeting_export_rebuild()")
        cursor.execute("DROP FUNCTION IF EXISTS alliance_meeting_export_refresh(bigint[])")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}, {JSON_TABLE}, {CSV_TABLE}")


# --- what the export reads --------------------------------------------------------


def csv_sql(entity) -> str:
    """What follows "WITH sel AS (…)": each row's stored CSV line, its permalink cell (its
    own SQL, over the stored row aliased m, which has the meeting's slug) appended, as
    one column (export.stream writes it verbatim: Entity.csv_lines)."""
    _, link = stored_columns(entity)
    return f"\nSELECT m.line || ',' || alliance_csv_quoted({link.sql})\nFROM sel JOIN {CSV_TABLE} m ON m.meeting_id = sel.id\nORDER BY sel.ord"


def json_sql(entity) -> str:
    """What follows "WITH sel AS (…)": the stored JSON object, closed after its permalink."""
    _, link = stored_columns(entity)
    value = f"COALESCE(to_json({link.value})::text, 'null')"
    return (
        f"\nSELECT m.json || ', \"{link.header}\" : ' || {value} || '}}'"
        f"\nFROM sel JOIN {JSON_TABLE} m ON m.meeting_id = sel.id\nORDER BY sel.ord"
    )
