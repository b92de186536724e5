"""The registry's change counter."""


from django.db import models

# --- change tracking -------------------------------------------------------------


class RegistryVersion(models.Model):
    """The one row that says when the registry last changed.

    Statement-level triggers on every registry table bump it in the database itself, so
    no write path (admin, import, loaddata, raw SQL, COPY) can forget to. Public pages
    derive their ETag and the cache keys of their counts and facets from it.
    """

    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "alliance_registry_version"

    def __str__(self):
        return f"v{self.version} ({self.changed_at})"


# A statement that changes a registry table only marks its transaction as "changed" in a
# small unlogged table (no lock on anything shared); the counter is bumped once, when that
# transaction commits, by a deferred constraint trigger. So a long import does not hold the
# counter's row: another editor's save is not made to wait for it.
COUNTER_SQL = [
    "CREATE UNLOGGED TABLE IF NOT EXISTS alliance_registry_pending (txid bigint PRIMARY KEY)",
    """
    CREATE OR REPLACE FUNCTION alliance_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO alliance_registry_pending (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION alliance_bump_version_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM alliance_registry_pending WHERE txid = NEW.txid;
        -- An upsert: the row comes back even after a flush or TRUNCATE removed it.
        INSERT INTO alliance_registry_version (id, version, changed_at) VALUES (1, 1, clock_timestamp())
        ON CONFLICT (id) DO UPDATE
            SET version = alliance_registry_version.version + 1, changed_at = clock_timestamp();
        RETURN NULL;
    END $$
    """,
    # Every bump, however made, is announced at its commit to the listeners that warm the
    # default pages of the new version (alliance/public/warming.py).
    """
    CREATE OR REPLACE FUNCTION alliance_notify_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('alliance_registry_version', NEW.version::text);
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE TRIGGER alliance_registry_version_notify AFTER INSERT OR UPDATE ON alliance_registry_version
    FOR EACH ROW EXECUTE FUNCTION alliance_notify_version()
    """,
    "DROP TRIGGER IF EXISTS alliance_registry_pending_commit ON alliance_registry_pending",
    """
    CREATE CONSTRAINT TRIGGER alliance_registry_pending_commit AFTER INSERT ON alliance_registry_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION alliance_bump_version_at_commit()
    """,
]


def version_trigger_sql(table: str) -> str:
    return (
        f"CREATE OR REPLACE TRIGGER {table}_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION alliance_bump_version()"
    )


def install_version_triggers(connection, registry):
    """A statement-level trigger on every table of every registry model (and its link
    tables), derived from the registry after every migrate: a new model cannot be
    forgotten."""
    with connection.cursor() as cursor:
        for sql in COUNTER_SQL:
            cursor.execute(sql)
        for entry in registry:
            for table in entry.tables():
                cursor.execute(version_trigger_sql(table))
