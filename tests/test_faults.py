"""A part that hangs or dies costs one bounded wait: real servers (a primary and its
streaming replica, redis-server, a cache that never answers) under a few concurrent
readers of a real gunicorn, each part frozen (SIGSTOP) or stopped in turn, and the
answers and their times asserted."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from .factories import make_agreement, make_body, make_meeting
from .processes import (
    Browser,
    Readers,
    cache_server_process,
    cluster_processes,
    database_url,
    freeze,
    p95,
    primary_and_replica,
    registry_server,
    silent_server,
    start_cluster,
    stop_cluster,
    thaw,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Pages a reader goes through: lists, sorts, filters, records (none of them twice in a row).
PAGES = [
    "/agreements/", "/agreements/?sort=name", "/meetings/", "/bodies/", "/agreements/fault-agreement/",
    "/meetings/?sort=date", "/en/agreements/", "/en/meetings/", "/agreements/?q=%E5%8D%94%E5%AE%9A",
    "/bodies/fault-body/", "/meetings/fault-meeting/", "/en/bodies/",
]


def records():
    make_agreement(slug="fault-agreement", name_ja="障害の協定")
    body = make_body(slug="fault-body")
    make_meeting(slug="fault-meeting", body=body)
    get_user_model().objects.create_superuser("fault-editor", password="a-long-test-password")


def until(predicate, timeout=15.0) -> float:
    """Seconds until ``predicate()`` holds (asked every 0.1 s)."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, "did not recover"
        time.sleep(0.1)
    return time.monotonic() - started


def read_for(readers, seconds, fault=None, after=0.5):
    """Readers read for ``seconds``; ``fault()`` is done ``after`` seconds in. Returns the
    moment of the fault."""
    threads = readers.run(seconds)
    time.sleep(after)
    at = time.monotonic()
    if fault is not None:
        fault()
    for thread in threads:
        thread.join()
    return at


def test_a_frozen_or_stopped_replica_or_primary_costs_one_bounded_wait():
    records()
    with primary_and_replica(connection.settings_dict["NAME"]) as (primary, replica, database, primary_dir, replica_dir):
        env = {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{primary}/{database}",
            "DATABASE_REPLICA_URLS": f"postgres://postgres@127.0.0.1:{replica}/{database}",
            "DATABASE_POOL": "true",
            "DATABASE_REPLICA_RETRY_SECONDS": "2",
            "DATABASE_RETRY_SECONDS": "2",
        }
        without_replica = {k: v for k, v in env.items() if k != "DATABASE_REPLICA_URLS"}
        with registry_server(env, threads=4) as site, registry_server(without_replica, threads=4) as alone:
            readers = Readers(site, PAGES)
            read_for(readers, 1.5)
            assert {a[2] for a in readers.answers} == {200}
            assert {a[3].get("X-Database") for a in readers.answers} == {"replica"}

            editor = Browser()
            editor.login(site, "fault-editor", "a-long-test-password")

            # 1. The replica frozen: the readers are answered within 2 s, from the primary,
            # and once it is passed over nobody waits for it; nor does the admin, which
            # never reads the replica but shares the workers' threads with the readers.
            frozen = cluster_processes(replica_dir)
            admin = []

            def freeze_then_edit():
                freeze(frozen)
                time.sleep(1)  # the readers have met the frozen replica
                started = time.monotonic()
                admin.append((editor.get(f"{site}/admin/alliance/agreement/")[0], time.monotonic() - started))

            readers = Readers(site, PAGES)
            try:
                at = read_for(readers, 5, fault=freeze_then_edit)
            finally:
                thaw(frozen)
            assert admin[0][0] == 200 and admin[0][1] < 2.5, admin
            assert {a[2] for a in readers.answers} == {200}, readers.answers
            slowest = max(a[1] for a in readers.answers)
            assert slowest < 2.5, slowest
            later = readers.since(at + 2.5)
            assert later and {a[3]["X-Database"] for a in later} == {"primary"}
            assert p95(later) < 0.5, p95(later)
            # Thawed, it is probed and read again.
            until(lambda: Browser().get(f"{site}/agreements/?sort=date")[1].get("X-Database") == "replica")

            # 2. The replica stopped: no reader waits more than a moment, every answer 200.
            readers = Readers(site, PAGES)
            at = read_for(readers, 3, fault=lambda: stop_cluster(replica_dir, "immediate"))
            assert {a[2] for a in readers.answers} == {200}
            assert max(a[1] for a in readers.since(at)) < 1.0, readers.since(at)
            start_cluster(replica_dir, replica)
            until(lambda: Browser().get(f"{site}/bodies/?sort=name")[1].get("X-Database") == "replica")

            # 3. The primary stopped: readers are answered from the replica, and the cached
            # pages of an instance with no replica from its cache, without waiting for it;
            # an editor's write gets a 503 saying nothing was saved, at once.
            _status, _headers, changelist = editor.get(f"{site}/admin/alliance/agreement/")
            token = editor.csrf_token(changelist)
            assert Browser().get(f"{alone}/agreements/")[0] == 200  # now in its cache
            readers = Readers(site, PAGES)
            at = read_for(readers, 4, fault=lambda: stop_cluster(primary_dir, "fast"))
            try:
                assert {a[2] for a in readers.answers} == {200}, [a[:3] for a in readers.answers if a[2] != 200]
                assert {a[3]["X-Database"] for a in readers.since(at + 0.5)} == {"replica"}
                assert max(a[1] for a in readers.since(at)) < 2.5
                assert p95(readers.since(at + 2.5)) < 0.5
                started = time.monotonic()
                status, headers, page = Browser().get(f"{alone}/agreements/")
                assert status == 200 and headers["X-Cache"] == "hit" and time.monotonic() - started < 0.5
                started = time.monotonic()
                status, headers, page = editor.request(
                    f"{site}/admin/alliance/agreement/",
                    {"csrfmiddlewaretoken": token, "action": "unpublish", "_selected_action": "1", "index": "0"},
                )
                assert status == 503 and "保存されていません" in page and "Nothing you sent was saved" in page
                assert time.monotonic() - started < 0.5 and 1 <= int(headers["Retry-After"]) <= 2
            finally:
                start_cluster(primary_dir, primary)
            until(lambda: editor.get(f"{site}/admin/alliance/agreement/")[0] == 200)

            # 4. The primary frozen: the same, once the checks' deadlines have found it out.
            frozen = cluster_processes(primary_dir)
            readers = Readers(site, PAGES)
            try:
                at = read_for(readers, 4, fault=lambda: freeze(frozen))
                assert {a[2] for a in readers.answers} == {200}, [a[:3] for a in readers.answers if a[2] != 200]
                # One DATABASE_CHECK_TIMEOUT (0.5 s), not the pool's wait and a connect timeout.
                assert max(a[1] for a in readers.since(at)) < 1.5, sorted(a[1] for a in readers.since(at))[-5:]
                assert {a[3]["X-Database"] for a in readers.since(at + 2.5)} == {"replica"}
                assert p95(readers.since(at + 2.5)) < 0.5
                started = time.monotonic()
                status, headers, page = Browser().get(f"{alone}/agreements/")
                assert status == 200 and headers["X-Cache"] == "hit" and time.monotonic() - started < 2.5
                started = time.monotonic()
                status, headers, page = editor.request(
                    f"{site}/admin/alliance/agreement/",
                    {"csrfmiddlewaretoken": token, "action": "unpublish", "_selected_action": "1", "index": "0"},
                )
                assert status == 503 and "Nothing you sent was saved" in page and time.monotonic() - started < 2.5
            finally:
                thaw(frozen)
            until(lambda: editor.get(f"{site}/admin/alliance/agreement/")[0] == 200)


def cache_env(url):
    return {
        "CACHE_URL": url,
        "CACHE_SOCKET_TIMEOUT": "0.5",
        "CACHE_RETRY_SECONDS": "2",
        "DATABASE_URL": database_url(connection.settings_dict),
        "DATABASE_POOL": "true",
    }


def test_a_frozen_cache_is_skipped_after_its_first_timeout():
    records()
    with cache_server_process() as (url, process), registry_server(cache_env(url), threads=4) as site:
        for page in PAGES:  # each page rendered once, into the cache
            Browser().get(f"{site}{page}")
        readers = Readers(site, PAGES)
        read_for(readers, 1)
        assert {a[3]["X-Cache"] for a in readers.answers} == {"hit"}
        frozen = [process]
        readers = Readers(site, PAGES)
        try:
            at = read_for(readers, 4, fault=lambda: freeze(frozen))
        finally:
            thaw(frozen)
        assert {a[2] for a in readers.answers} == {200}
        # Only the requests in flight when it froze wait for it (one timeout each); after
        # that the cache is passed over: every page a miss, rendered, and quick.
        waited = [a for a in readers.since(at) if a[1] > 0.45]
        assert len(waited) <= 4, waited
        assert p95(readers.since(at + 1)) < 0.45
        until(lambda: Browser().get(f"{site}/agreements/")[1].get("X-Cache") == "hit")


def test_a_cache_that_accepts_connections_and_never_answers_costs_one_timeout():
    records()
    with silent_server() as port, registry_server(cache_env(f"redis://127.0.0.1:{port}/0"), threads=4) as site:
        readers = Readers(site, PAGES)
        read_for(readers, 4)
        assert {a[2] for a in readers.answers} == {200}
        waited = [a for a in readers.answers if a[1] > 0.45]
        assert len(waited) <= 4, waited
        assert p95(readers.answers) < 0.45
