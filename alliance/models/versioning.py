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


def version_trigger_sql(table: str) -> str:
    return (
        f"CREATE OR REPLACE TRIGGER {table}_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION alliance_bump_version()"
    )


def install_version_triggers(connection, registry):
    """A statement-level trigger on every table of every registry model (and its link
    tables), derived from the registry after every migrate: a new model cannot be
    forgotten. The trigger function itself is created by migration 0008."""
    with connection.cursor() as cursor:
        for entry in registry:
            for table in entry.tables():
                cursor.execute(version_trigger_sql(table))
