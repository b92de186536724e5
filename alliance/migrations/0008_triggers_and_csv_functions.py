from django.db import migrations

# The registry's own tables (not the historical copies, which only ever follow them).
TABLES = [
    "alliance_source",
    "alliance_organization",
    "alliance_post",
    "alliance_person",
    "alliance_tenure",
    "alliance_agreement",
    "alliance_agreement_parties",
    "alliance_agreementrelation",
    "alliance_body",
    "alliance_membership",
    "alliance_meeting",
    "alliance_participation",
    "alliance_meetingdocument",
    "alliance_citation",
]

FORWARD = [
    "INSERT INTO alliance_registry_version (id, version, changed_at) VALUES (1, 0, clock_timestamp()) ON CONFLICT DO NOTHING",
    """
    CREATE OR REPLACE FUNCTION alliance_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- An upsert: the row comes back even after a flush or TRUNCATE removed it.
        INSERT INTO alliance_registry_version (id, version, changed_at) VALUES (1, 1, clock_timestamp())
        ON CONFLICT (id) DO UPDATE
            SET version = alliance_registry_version.version + 1, changed_at = clock_timestamp();
        RETURN NULL;
    END $$
    """,
    *[
        f"CREATE TRIGGER {table}_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION alliance_bump_version()"
        for table in TABLES
    ],
    # A CSV cell a spreadsheet would run as a formula gets a leading quote.
    r"""
    CREATE OR REPLACE FUNCTION alliance_csv_cell(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN value ~ '^[-=+@\t\r]' THEN '''' || value ELSE value END
    $$
    """,
    # A partial date in ISO 8601 at its precision: 1996, 2009-11, 2017-04-25.
    """
    CREATE OR REPLACE FUNCTION alliance_partial_date(day date, prec text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE prec
            WHEN 'year' THEN to_char(day, 'YYYY')
            WHEN 'month' THEN to_char(day, 'YYYY-MM')
            WHEN 'day' THEN to_char(day, 'YYYY-MM-DD')
        END
    $$
    """,
]

BACKWARD = [
    *[f"DROP TRIGGER IF EXISTS {table}_bump_version ON {table}" for table in TABLES],
    "DROP FUNCTION IF EXISTS alliance_bump_version()",
    "DROP FUNCTION IF EXISTS alliance_csv_cell(text)",
    "DROP FUNCTION IF EXISTS alliance_partial_date(date, text)",
]


class Migration(migrations.Migration):
    dependencies = [("alliance", "0007_registry_version")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
