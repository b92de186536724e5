"""System checks against the database itself (tag "database": `manage.py check --database
default`, and every `migrate`, run them)."""

from django.core.checks import Error, Tags, register
from django.db import DatabaseError, connections

CTYPE_HINT = (
    "Create the database with a UTF-8 ctype, e.g. CREATE DATABASE alliance TEMPLATE template0 "
    "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8' (docker-compose's POSTGRES_INITDB_ARGS "
    "does this), then restore a backup into it."
)


@register(Tags.database)
def japanese_trigrams(app_configs, databases=None, **kwargs):
    """pg_trgm classifies characters through the database's ctype: under C or POSIX it
    finds no trigram in Japanese text, so search would silently find nothing."""
    errors = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT datctype, pg_encoding_to_char(encoding), to_regproc('show_trgm') IS NOT NULL "
                    "FROM pg_database WHERE datname = current_database()"
                )
                ctype, encoding, has_trgm = cursor.fetchone()
                trigrams = None
                if has_trgm:
                    cursor.execute("SELECT cardinality(show_trgm('日米'))")
                    trigrams = cursor.fetchone()[0]
        except DatabaseError:
            continue  # not reachable: the connection's own error says more than we could
        if encoding != "UTF8":
            errors.append(Error(f"The database '{alias}' has the encoding {encoding}, not UTF8.", hint=CTYPE_HINT, id="alliance.E001"))
        if trigrams is not None:
            # pg_trgm is there: ask it (the ctype alone can mislead under newer locale providers).
            if trigrams == 0:
                errors.append(
                    Error(
                        f"In the database '{alias}' pg_trgm finds no trigram in Japanese text (ctype {ctype!r}): "
                        "search would find nothing.",
                        hint=CTYPE_HINT,
                        id="alliance.E003",
                    )
                )
        elif ctype.upper() in {"C", "POSIX"}:
            # Before the first migration installs pg_trgm: judge by the ctype.
            errors.append(
                Error(
                    f"The database '{alias}' has the ctype {ctype!r}: trigram search would index no Japanese text.",
                    hint=CTYPE_HINT,
                    id="alliance.E002",
                )
            )
    return errors
