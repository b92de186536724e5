"""Read replicas: a real PostgreSQL streaming replica (pg_basebackup from the embedded
server's wheel) behind the registry, with read-your-writes for editors and fallback to
the primary when the replica lags or stops."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory

from alliance.dbrouter import STICKY_COOKIE, ReplicaRouter, wants_primary
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
    with_session = factory.get("/meetings/")
    with_session.COOKIES["sessionid"] = "x"
    assert wants_primary(with_session)
    after_write = factory.get("/meetings/")
    after_write.COOKIES[STICKY_COOKIE] = "1"
    assert wants_primary(after_write)
    router = ReplicaRouter()
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("default", "alliance") and not router.allow_migrate("replica1", "alliance")
    assert router.db_for_read(None) == "default"  # outside a request: the primary


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
