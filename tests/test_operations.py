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
    before = {name: csv_bytes(client, name) for name in ["agreement", "body", "membership", "person", "meeting"]}
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
