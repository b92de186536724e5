"""Read replicas: a real PostgreSQL streaming replica (pg_basebackup from the embedded
server's wheel) behind the registry, with read-your-writes for editors and fallback to
the primary when the replica lags or stops."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from alliance.dbrouter import STICKY_COOKIE, STICKY_SALT, ReplicaRouter, wants_primary
from config.settings import replica_settings

from .factories import make_agreement
from .processes import (
    Browser,
    database_copy,
    database_url,
    primary_and_replica,
    psql,
    registry_server,
    start_cluster,
    stop_cluster,
)


def test_replica_urls_become_databases_that_tests_mirror_to_the_primary(monkeypatch):
    monkeypatch.setenv("DATABASE_REPLICA_URLS", "postgres://u:p@r1:5432/alliance, postgres://u:p@r2:5432/alliance")
    replicas = replica_settings()
    assert list(replicas) == ["replica1", "replica2"]
    assert replicas["replica2"]["HOST"] == "r2" and replicas["replica1"]["TEST"] == {"MIRROR": "default"}
    monkeypatch.setenv("DATABASE_REPLICA_URLS", "")
    assert replica_settings() == {}


def test_who_reads_the_primary():
    factory = RequestFactory()
    assert not wants_primary(factory.get("/meetings/"))
    assert not wants_primary(factory.head("/en/agreements/"))
    assert wants_primary(factory.post("/meetings/"))
    assert wants_primary(factory.get("/admin/alliance/meeting/"))
    assert wants_primary(factory.get("/admin/alliance/meeting/import/"))
    # A cookie anyone can send decides nothing: not a session id, not an unsigned or
    # forged stickiness cookie.
    for name, value in (("sessionid", "x"), (STICKY_COOKIE, "1"), (STICKY_COOKIE, "1:forged:signature")):
        request = factory.get("/meetings/")
        request.COOKIES[name] = value
        assert not wants_primary(request), (name, value)
    # The signed value the registry sets after a signed-in editor's write does.
    signed = HttpResponse()
    signed.set_signed_cookie(STICKY_COOKIE, "1", salt=STICKY_SALT)
    after_write = factory.get("/meetings/")
    after_write.COOKIES[STICKY_COOKIE] = signed.cookies[STICKY_COOKIE].value
    assert wants_primary(after_write)
    router = ReplicaRouter()
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("default", "alliance") and not router.allow_migrate("replica1", "alliance")
    assert router.db_for_read(None) == "default"  # outside a request: the primary


@pytest.mark.django_db
def test_only_a_signed_in_session_that_wrote_is_made_sticky(client, editor):
    # A reader's POST, PUT or QUERY to any URL (answered 403, 404 or 405) sets nothing.
    for method, url in (("POST", "/meetings/"), ("PUT", "/nowhere/"), ("QUERY", "/agreements/"), ("POST", "/admin/login/")):
        response = client.generic(method, url)
        assert STICKY_COOKIE not in response.cookies, (method, url, response.status_code)
    # A signed-in editor who writes is.
    client.force_login(editor)
    page = client.get("/admin/alliance/agreement/add/")
    assert page.status_code == 200
    agreement = make_agreement(slug="sticky")
    response = client.post("/admin/alliance/agreement/", {"action": "unpublish", "_selected_action": [agreement.pk], "index": 0})
    assert response.status_code == 302 and STICKY_COOKIE in response.cookies
    # … and a signed-in editor who only reads is not.
    assert STICKY_COOKIE not in client.get("/admin/alliance/agreement/").cookies


@pytest.mark.django_db
def test_every_export_reads_the_database_the_request_was_routed_to(monkeypatch):
    """Finding 1: the JSON read django.db.connection (the primary) under X-Database: replica."""
    from django.db import connections
    from django.test import Client

    import alliance.dbrouter as dbrouter

    make_agreement(slug="routed", name_ja="経路の協定")
    used = []

    def spy(alias):
        def wrapper(execute, sql, params, many, context):
            used.append(alias)
            return execute(sql, params, many, context)
        return wrapper

    # A "replica" that is the test database under another alias (as tests mirror replicas).
    monkeypatch.setattr(dbrouter, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(dbrouter, "choose", lambda request: "replica1")
    monkeypatch.setitem(connections.settings, "replica1", {**connections["default"].settings_dict})
    client = Client()
    replica = connections["replica1"]
    try:
        replica.connection = connections["default"].connection  # same transaction: the test's rows
        replica.force_debug_cursor = connections["default"].force_debug_cursor = True
        with replica.execute_wrapper(spy("replica1")), connections["default"].execute_wrapper(spy("default")):
            for kind in ("list", "csv", "json", "ndjson", "xlsx"):
                used.clear()
                response = client.get(reverse(f"alliance:agreement-{kind}"))
                body = b"".join(response.streaming_content) if response.streaming else response.content
                assert response.status_code == 200 and response["X-Database"] == "replica", kind
                assert used and set(used) == {"replica1"}, (kind, used)
                if kind in ("csv", "ndjson"):  # COPY, through the raw cursor: in the query log
                    assert any(q["sql"].startswith("COPY") for q in replica.queries_log), kind
                    assert not any(q["sql"].startswith("COPY") for q in connections["default"].queries_log), kind
                assert kind == "xlsx" or "経路の協定".encode() in body or "\\u7d4c" in body.decode(errors="ignore"), kind
            used.clear()
            response = client.get(reverse("alliance:agreement-detail-json", args=["routed"]))
            assert response.status_code == 200 and set(used) == {"replica1"}, used
    finally:
        replica.connection = None
        replica.force_debug_cursor = connections["default"].force_debug_cursor = False


def version(port, database):
    return psql(port, database, "SELECT version FROM alliance_registry_version WHERE id = 1")[0][0]


def wait_until(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_public_pages_read_a_streaming_replica_and_fall_back_to_the_primary():
    agreement = make_agreement(slug="replica-agreement", name_ja="レプリカ協定")
    get_user_model().objects.create_superuser("replica-editor", password="a-long-test-password")
    with primary_and_replica(connection.settings_dict["NAME"]) as (primary, replica, database, primary_dir, replica_dir):
        assert psql(replica, database, "SELECT pg_is_in_recovery()") == [(True,)]
        env = {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{primary}/{database}",
            "DATABASE_REPLICA_URLS": f"postgres://postgres@127.0.0.1:{replica}/{database}",
            "DATABASE_REPLICA_MAX_STALENESS": "0",  # compare with the primary on every request
            "DATABASE_REPLICA_RETRY_SECONDS": "1",
            "DATABASE_RETRY_SECONDS": "1",
        }
        with registry_server(env) as site:
            reader = Browser()
            status, headers, page = reader.get(f"{site}/agreements/")
            assert status == 200 and headers["X-Database"] == "replica", headers
            assert "レプリカ協定" in page
            first_etag = headers["ETag"]

            # An editor writes through the admin: on the primary; the editor's own next
            # public page is read from the primary too.
            editor = Browser()
            editor.login(site, "replica-editor", "a-long-test-password")
            editor.admin_action(site, "/admin/alliance/agreement/", "unpublish", agreement.pk)
            status, headers, page = editor.get(f"{site}/agreements/")
            assert status == 200 and headers["X-Database"] == "primary"
            assert "レプリカ協定" not in page

            # Once the replica has replayed the write, readers get it from the replica,
            # under the new data version.
            wait_until(lambda: version(replica, database) == version(primary, database))
            status, headers, page = reader.get(f"{site}/agreements/")
            assert status == 200 and headers["X-Database"] == "replica", headers
            assert "レプリカ協定" not in page and headers["ETag"] != first_etag

            # A replica that falls behind is not read: replay paused, a new write on the
            # primary, and readers are answered from the primary with the new data.
            psql(replica, database, "SELECT pg_wal_replay_pause()")
            editor.admin_action(site, "/admin/alliance/agreement/", "publish", agreement.pk)
            status, headers, page = reader.get(f"{site}/agreements/")
            assert status == 200 and headers["X-Database"] == "primary", headers
            assert "レプリカ協定" in page
            psql(replica, database, "SELECT pg_wal_replay_resume()")
            wait_until(lambda: version(replica, database) == version(primary, database))
            status, headers, _ = reader.get(f"{site}/agreements/?sort=name")
            assert status == 200 and headers["X-Database"] == "replica", headers

            # The primary down: readers are still answered, from the replica.
            stop_cluster(primary_dir, "fast")
            status, headers, page = reader.get(f"{site}/agreements/?sort=date")
            assert status == 200 and headers["X-Database"] == "replica", (status, page[:300])
            start_cluster(primary_dir, primary)
            # The primary was passed over while down; a probe brings it back within a second.
            wait_until(lambda: editor.get(f"{site}/admin/")[0] == 200, timeout=10)

            # A replica that is down: every page still answers 200, from the primary.
            stop_cluster(replica_dir, "immediate")
            for url in ("/agreements/", "/agreements/replica-agreement/", "/meetings/", "/agreements/?q=%E5%8D%94%E5%AE%9A"):
                status, headers, page = reader.get(f"{site}{url}")
                assert status == 200 and headers["X-Database"] == "primary", (url, status, page[:300])


@pytest.mark.django_db(transaction=True)
def test_a_replica_that_fails_mid_request_is_left_out_and_the_page_comes_from_the_primary():
    make_agreement(slug="kept", name_ja="主で読む協定")
    source = connection.settings_dict["NAME"]
    with database_copy(source, f"{source}_failing_replica") as port:
        # The "replica" answers the version check, then drops the connection as soon as a
        # page reads the agreements (the server terminates its own session).
        psql(port, f"{source}_failing_replica", """
            ALTER TABLE alliance_agreement RENAME TO alliance_agreement_rows;
            CREATE VIEW alliance_agreement AS
                SELECT * FROM alliance_agreement_rows WHERE pg_terminate_backend(pg_backend_pid());
        """)
        env = {
            "DATABASE_URL": database_url(connection.settings_dict),
            "DATABASE_REPLICA_URLS": database_url({**connection.settings_dict, "NAME": f"{source}_failing_replica"}),
            "DATABASE_REPLICA_RETRY_SECONDS": "60",
        }
        with registry_server(env) as site:
            reader = Browser()
            status, headers, page = reader.get(f"{site}/agreements/")
            assert status == 200 and headers["X-Database"] == "primary", (status, page[:300])
            assert "主で読む協定" in page
            # Left out for a while: the next page does not even try it.
            status, headers, _ = reader.get(f"{site}/agreements/kept/")
            assert status == 200 and headers["X-Database"] == "primary"
