"""Schemathesis against /api/openapi.json, on a real gunicorn over the seed data: every
operation, every phase (examples, coverage, fuzzing, stateful) and every check — no 5xx,
and every answer as the document declares it (a value it refuses gets the 400 it
declares, one it allows is accepted, responses match their schemas).

``ST_MAX_EXAMPLES`` (10 here) sets how many cases each operation's fuzzing phase makes;
``make api-fuzz`` runs it with 100."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.db import connection

from .processes import database_url, registry_server

ST = Path(sys.executable).parent / "st"
CONFIG = Path(__file__).resolve().parent.parent / "schemathesis.toml"  # 414 is a rejection too
# The test database, not the local one: a module whose only fixture is ``seeded`` gets no
# test database from pytest-django, and would seed (then flush) the developer's own.
pytestmark = pytest.mark.django_db


@pytest.mark.skipif(not ST.exists(), reason="schemathesis is not installed (requirements-dev.txt)")
def test_schemathesis_finds_nothing_against_the_openapi_document(seeded):
    with (
        registry_server({"DATABASE_URL": database_url(connection.settings_dict)}, threads=4) as site,
        tempfile.TemporaryDirectory(prefix="alliance-st-") as folder,
    ):
        report = Path(folder) / "report.json"
        result = subprocess.run(
            [str(ST), "--config-file", str(CONFIG), "run", f"{site}/api/openapi.json", "-H", "Host: localhost", "--seed", "1", "--workers", "2",
             "--max-examples", os.environ.get("ST_MAX_EXAMPLES", "10"), "--continue-on-failure",
             "--report", "json", "--report-json-path", str(report), "--no-color"],
            capture_output=True, text=True, timeout=900, check=False, cwd=report.parent,  # its own .schemathesis/ there
        )
        summary = json.loads(report.read_text())
    cases = summary["test_cases"]
    print(f"schemathesis: {cases['generated']} cases over {summary['operations']['tested']} operations, "
          f"{cases['with_failures']} with failures")
    assert summary["operations"]["tested"] == summary["operations"]["total"] > 40
    assert cases["generated"] > 1000
    assert result.returncode == 0 and cases["with_failures"] == 0 and not summary["errors"], result.stdout[-6000:]
