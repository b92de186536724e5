"""The embedded PostgreSQL: UTF-8 for Japanese trigram search, and recovery from a crashed run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
embedded = settings.DATABASES["default"]["ENGINE"] == "config.localdb"


@pytest.mark.django_db
def test_the_database_classifies_japanese_characters_for_trigrams():
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute("SELECT show_trgm('日米安全保障協議委員会'), pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()")
        trigrams, encoding = cursor.fetchone()
    assert encoding == "UTF8"
    assert len(trigrams) >= 8, "the C ctype would give no trigrams for Japanese"


def localdb(data_dir, *args, check=True):
    env = {**os.environ, "EMBEDDED_PG_DIR": str(data_dir), "EMBEDDED_PG_PORT": "0"}
    return subprocess.run(
        [sys.executable, "-m", "config.localdb", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check, timeout=120
    )


@pytest.mark.skipif(not embedded, reason="DATABASE_URL points at another server; the embedded one is not used")
def test_a_killed_server_and_its_stale_pid_file_are_recovered_from(tmp_path):
    data = tmp_path / "pgdata"
    try:
        assert "running" in localdb(data, "start").stdout
        pid = int((data / "cluster" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)  # a crash: no shutdown, postmaster.pid left behind
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        # Point the stale pid file at a live, unrelated process, as after a reboot.
        pidfile = data / "cluster" / "postmaster.pid"
        lines = pidfile.read_text().splitlines()
        lines[0] = str(os.getpid())
        pidfile.write_text("\n".join(lines) + "\n")
        assert "stopped" in localdb(data, "status").stdout
        restarted = localdb(data, "start").stdout
        assert "running" in restarted
        out = localdb(data, "psql", "-tAc", "select 1").stdout.strip()
        assert out == "1"
    finally:
        localdb(data, "stop", check=False)
    assert "stopped" in localdb(data, "status").stdout


@pytest.mark.skipif(not embedded, reason="DATABASE_URL points at another server; the embedded one is not used")
def test_the_last_process_to_let_go_stops_the_server(tmp_path):
    data = tmp_path / "pgdata"
    env = {**os.environ, "EMBEDDED_PG_DIR": str(data), "EMBEDDED_PG_PORT": "0"}
    code = "from config import localdb; localdb.ensure_running(); import sys; print(localdb.status()); sys.stdout.flush(); sys.stdin.read()"
    first = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert "running" in first.stdout.readline()
        second = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, input="", capture_output=True, text=True, timeout=60, check=False)
        assert "held by 2" in second.stdout
        assert "running" in localdb(data, "status").stdout, "the first holder still needs it"
    finally:
        first.communicate("", timeout=60)
    assert "stopped" in localdb(data, "status").stdout
