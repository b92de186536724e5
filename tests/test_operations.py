"""Operations: backup and restore, the 503 page, conditional GET, security headers."""

import socket

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from alliance.models import Agreement, Body

from .factories import make_body


def csv_bytes(client, name):
    response = client.get(reverse(f"alliance:{name}-csv"))
    return b"".join(response.streaming_content)


@pytest.mark.django_db(transaction=True)
def test_a_restored_database_answers_the_same_csv_byte_for_byte(client, tmp_path):
    call_command("seed", verbosity=0)
    before = {name: csv_bytes(client, name) for name in ["agreement", "body", "seat", "person", "meeting"]}
    dump = tmp_path / "registry.dump"
    call_command("backup", str(dump))
    assert dump.stat().st_size > 10_000
    call_command("flush", interactive=False, verbosity=0)
    assert not Agreement.objects.exists()
    call_command("restore", str(dump), yes=True)
    after = {name: csv_bytes(client, name) for name in before}
    assert after == before
    assert before["meeting"].count(b"\r\n") > 50


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when we return: nothing listens there


@pytest.mark.django_db(transaction=True)
def test_the_site_answers_a_short_503_while_the_database_is_unreachable_and_recovers(client, monkeypatch):
    make_body(slug="acm", name_ja="同盟調整メカニズム")
    real = connection.get_connection_params
    port = closed_port()
    connection.close()
    monkeypatch.setattr(connection, "get_connection_params", lambda: {**real(), "host": "127.0.0.1", "port": port})
    for url in ["/", reverse("alliance:body-list"), reverse("alliance:body-detail", args=["acm"]), "/admin/login/"]:
        # The admin: logging in needs the database.
        response = client.post(url, {"username": "a", "password": "b"}) if "admin" in url else client.get(url)
        assert response.status_code == 503, url
        assert response["Retry-After"] == "5"
        body = response.content.decode()
        assert "一時的に利用できません" in body and "Traceback" not in body and "psycopg" not in body
    monkeypatch.undo()
    connection.close()
    assert client.get(reverse("alliance:body-detail", args=["acm"])).status_code == 200


@pytest.mark.django_db
def test_a_conditional_get_is_answered_304_until_the_data_changes(client):
    body = make_body(slug="acm", name_ja="同盟調整メカニズム")
    url = reverse("alliance:body-detail", args=["acm"])
    first = client.get(url)
    etag = first["ETag"]
    assert etag
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/en" + url, HTTP_IF_NONE_MATCH=etag).status_code == 200, "each language has its own"
    Body.objects.filter(pk=body.pk).update(name_ja="同盟調整メカニズム（改）")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "（改）" in changed.content.decode()
    assert client.get(reverse("alliance:body-csv"), HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/agreements/", "/en/meetings/", "/structure/", "/admin/login/"])
def test_html_pages_carry_a_content_security_policy_without_inline_scripts(client, url):
    make_body(slug="acm")
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert script_src.strip() == "script-src 'self'"
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.content.decode(), "no inline script on the page"


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_half_way_leaves_no_rows(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from alliance.models import Person

    path = tmp_path / "people.csv"
    rows = "".join(f"person-{i},draft,人物{i},Person {i},jp\r\n" for i in range(4900))  # within the import limit (5,000 rows)
    path.write_text("slug,status,name_ja,name_en,country\r\n" + rows, encoding="utf-8-sig")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "EMBEDDED_PG_DATABASE": connection.settings_dict["NAME"]}
    if "DATABASE_URL" in env:
        env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_file", "people", str(path)], cwd=root, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    # Wait until the import is writing (its transaction holds new rows), then kill it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'INSERT INTO \"alliance_person\"%%' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                break
        if process.poll() is not None:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be interrupted"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(0.5)
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_import_file_reports_bad_rows_and_writes_nothing(tmp_path, capsys):
    from django.core.management.base import CommandError

    from alliance.models import Person

    path = tmp_path / "people.csv"
    path.write_text("slug,status,name_ja,country\r\nok,draft,山田,jp\r\nbad,draft,佐藤,mars\r\n", encoding="utf-8-sig")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_file", "people", str(path))
    assert "line 2: country" in capsys.readouterr().err
    assert not Person.objects.exists()
    path.write_text("slug,status,name_ja,country\r\nok,draft,山田,jp\r\n", encoding="utf-8-sig")
    call_command("import_file", "people", str(path))
    assert Person.objects.get(slug="ok").name_ja == "山田"


@pytest.mark.django_db
def test_a_rendered_page_is_served_from_the_cache_until_the_data_changes(client, django_assert_max_num_queries):
    body = make_body(slug="acm", name_ja="同盟調整メカニズム")
    url = reverse("alliance:body-detail", args=["acm"])
    first = client.get(url).content
    with django_assert_max_num_queries(1):  # the data version only
        assert client.get(url).content == first
    Body.objects.filter(pk=body.pk).update(name_ja="同盟調整メカニズム（改）")
    assert "（改）" in client.get(url).content.decode()
