"""Cold pages (issue 15): facets grouped by key then labelled, a search's count and facets
in one pass, no prefetch a list does not show, and the default pages warmed into the
cache after each data-version bump and at worker start."""

import importlib.util
import threading
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q
from django.http import QueryDict
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from alliance.models import Body, Meeting, published_q
from alliance.public.caching import page_etag
from alliance.public.engine import FACET_LIMIT, RelatedFilter
from alliance.public.entities import LISTS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def synth(db):
    call_command("synth", meetings=400, seed=3, verbosity=0)


def old_facets(state):
    """The facets as the registry computed them before: per facet, a scan of the rows
    joined to the related table and grouped by its names."""
    out = []
    for flt in state.entity.filters:
        if not flt.facet:
            continue
        qs, current = state.filtered(skip=flt), state.values.get(flt.param)
        if isinstance(flt, RelatedFilter):
            name = flt.name_field
            rows = (
                qs.order_by()
                .filter(published_q(flt.field) if flt.publishable else Q())
                .values_list(f"{flt.field}__slug", f"{flt.field}__{name}_ja", f"{flt.field}__{name}_en")
                .annotate(n=Count("pk"))
                .order_by("-n", f"{flt.field}__{name}_ja")[:FACET_LIMIT]
            )
            english = translation.get_language().startswith("en")
            options = [
                (slug, (en if english and en else ja), n, current is not None and slug == current.slug)
                for slug, ja, en, n in rows
            ]
        else:
            options = flt.facet_options(qs, current)
        out.append((flt.param, [(str(label), n, selected, value) for value, label, n, selected in options]))
    return out


def plain(facets):
    return [(head.param, [(label, n, selected, value) for label, n, selected, _link, value in options]) for head, options in facets]


def meeting_queries(synth_body):
    return [
        "",
        "kind=2plus2",
        f"body={synth_body}",
        f"body={synth_body}&kind=working",
        "q=呉",
        "q=岩国",
        "q=嘉手納",
        "from=2000&to=2010",
        "kind=2plus2&from=2000&to=2010",
    ]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_facets_grouped_by_key_give_the_same_counts_and_labels_as_before(synth, language):
    body = Meeting.objects.published().filter(body__status="published").values_list("body__slug", flat=True).first()
    assert body
    with translation.override(language):
        for entity_name, queries in [("meeting", meeting_queries(body)), ("seat", ["", "side=jp"]), ("body", [""]),
                                     ("agreement", ["", "kind=treaty"])]:
            for query in queries:
                state = LISTS[entity_name].read(QueryDict(query))
                summary = state.summary()
                assert summary["count"] == state.count(), (entity_name, query)
                assert plain(summary["facets"]) == old_facets(state), (entity_name, query)
                assert plain(summary["facets"]) == plain(state.facets()), (entity_name, query)


def test_a_search_counts_and_facets_in_one_pass_over_the_meetings(synth):
    for query in ("q=呉", "q=嘉手納", ""):
        state = LISTS["meeting"].read(QueryDict(query))
        with CaptureQueriesContext(connection) as queries:
            state.summary()
        scans = [q["sql"] for q in queries.captured_queries if "alliance_meeting" in q["sql"]]
        assert len(scans) == 1, scans  # the count and both facets, GROUPING SETS
        assert "GROUPING SETS" in scans[0]
        # …then the names of the bodies counted, looked up by key.
        assert len(queries.captured_queries) == 2


def test_the_search_page_runs_fewer_queries(synth, client, django_assert_num_queries):
    # The version, the page's rows, one pass for the count and facets, the bodies' names
    # (before: a count, a scan per facet, and the attendees of every row shown).
    with django_assert_num_queries(4):
        response = client.get("/meetings/?q=呉")
    assert response.status_code == 200


def test_a_japanese_list_fetches_no_attendees_and_an_english_one_only_for_composed_titles(synth, client):
    Meeting.objects.filter(slug__startswith="synth-").update(name_en="")  # no name of their own
    Body.objects.filter(slug__startswith="synth-").update(name_en="")
    for path, fetched in (("/meetings/", False), ("/en/meetings/", True)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        assert any("alliance_participation" in q["sql"] for q in queries.captured_queries) is fetched, path
    Meeting.objects.filter(slug__startswith="synth-").update(name_en="A meeting")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/en/meetings/?sort=date").status_code == 200
    assert not any("alliance_participation" in q["sql"] for q in queries.captured_queries)


# --- warming -----------------------------------------------------------------------


def page_key(path, host="testserver"):
    """The cache key of the page at path for the current data version, as a reader asks."""
    request = RequestFactory().get(path, HTTP_HOST=host)
    with translation.override("en" if path.startswith("/en/") else "ja"):
        return "page:" + page_etag(request)


def cached(path, host="testserver"):
    """Whether the page at path is in the cache for the current data version."""
    return cache.get(page_key(path, host)) is not None


def wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def warming(settings):
    """The warming module (imported here, so that each test fails on its own where it is missing)."""
    from alliance.public import warming

    settings.WARM_HOSTS = ["testserver"]
    yield warming
    warming.stop()


@pytest.fixture
def warming_on(settings, warming):
    settings.WARM_PAGES = True
    return warming


@pytest.mark.django_db(transaction=True)
def test_after_an_edit_the_default_pages_are_cached_before_any_reader_asks(warming_on):
    warmer = warming_on.start()
    assert warmer.wait_idle(60), "the worker-start round"
    Body.objects.create(slug="new-body", name_ja="新しい協議体", status="published")  # committed: the version moves
    assert wait_for(lambda: cached("/bodies/") and cached("/meetings/") and cached("/en/meetings/")), (
        "the listener heard the commit and the warmer rendered the new version's pages"
    )
    # The page a reader then gets is the warmed one.
    from django.test import Client

    response = Client().get("/bodies/")
    assert response["X-Cache"] == "hit"
    assert "新しい協議体" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_edit_made_elsewhere_is_heard_too(warming_on):
    warmer = warming_on.start()
    assert warmer.wait_idle(60)
    with connection.cursor() as cursor:  # a raw write, as a script or another host would make
        cursor.execute("UPDATE alliance_registry_version SET version = version + 1 WHERE id = 1")
    assert wait_for(lambda: cached("/meetings/"))


def test_worker_start_warms_the_default_pages_through_the_gunicorn_hook(db, warming_on):
    warming = warming_on
    conf = load_gunicorn_conf()

    class Worker:
        class log:
            @staticmethod
            def exception(*args):
                raise AssertionError(args)

    assert not cached("/meetings/")
    conf.post_worker_init(Worker())
    assert warming._warmer is not None and warming._warmer.wait_idle(60)
    for path in ("/meetings/", "/en/meetings/", "/agreements/", "/en/people/"):
        assert cached(path), path


def load_gunicorn_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


class QuietWorker:
    timeout = 120

    @staticmethod
    def notify():
        pass

    class log:
        @staticmethod
        def exception(*args):
            raise AssertionError(args)


@pytest.mark.django_db(transaction=True)
def test_a_new_worker_serves_at_once_and_primes_itself_in_the_background(synth, warming_on, monkeypatch):
    """A reader who arrives while a worker starts waits for his own request only: the hook
    returns while the first round is still rendering (it used to wait for the round, 3 s
    and more at 100,000 meetings), and the round then primes the process all the same."""
    from alliance.public import warming

    held, entered = threading.Event(), threading.Event()
    real = warming.warm

    def slow_warm(*args, **kwargs):
        entered.set()
        held.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(warming, "warm", slow_warm)
    hook = threading.Thread(target=load_gunicorn_conf().post_worker_init, args=(QuietWorker(),))
    hook.start()
    hook.join(3)
    try:
        assert not hook.is_alive(), "the hook waited for the first round before letting the worker serve"
        assert entered.wait(10), "the first round started in the background"
    finally:
        held.set()
        hook.join(30)
    assert warming_on._warmer.wait_idle(120)
    for path in ("/meetings/", "/en/meetings/"):
        assert cached(path), path
        for link in warming_on.followed_links(cached_content(path)):
            assert cached(path + link), path + link


@pytest.mark.django_db(transaction=True)
def test_the_warmer_yields_to_a_reader_in_flight(db, warming_on):
    """While a reader's request is in flight in the process (counted by the WSGI wrapper
    until the server closes the response, a streamed body's last byte included), the
    warmer renders nothing; once it is answered, the warmer goes on."""
    from alliance.public.warming import ReaderCount, readers_in_flight

    def streaming_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"a", b"b"])

    app = ReaderCount(streaming_app)
    response = app({}, lambda *args: None)
    assert readers_in_flight() == 1
    assert b"".join(response) == b"ab" and readers_in_flight() == 1, "in flight until closed"
    try:
        warmer = warming_on.start()
        time.sleep(0.6)
        assert not cached("/meetings/"), "the warmer rendered a page while a reader waited"
    finally:
        response.close()
        response.close()  # a second close counts once
    assert readers_in_flight() == 0
    assert warmer.wait_idle(60) and cached("/meetings/")
    failing = ReaderCount(lambda environ, start_response: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing({}, lambda *args: None)
    assert readers_in_flight() == 0, "a request that raised is no longer in flight"


@pytest.mark.django_db(transaction=True)
def test_with_a_start_budget_a_worker_is_warmed_and_primed_before_the_hook_returns_with_its_heartbeat_kept(
    synth, warming_on, settings
):
    """DJANGO_WARM_START_SECONDS above 0: the worker takes its first request only after
    the hook returns: by then the default pages are cached and what a reader follows from
    them has run in this process."""
    settings.WARM_START_SECONDS = 5
    beats = []

    class Worker:
        timeout = 120

        @staticmethod
        def notify():
            beats.append(time.monotonic())

        class log:
            @staticmethod
            def exception(*args):
                raise AssertionError(args)

    import gc

    gc.unfreeze()
    try:
        load_gunicorn_conf().post_worker_init(Worker())
        # What the round left behind is collected now, and what it loaded for good is kept
        # out of the collector's way: no full collection falls in the first readers' requests.
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    # No waiting: the hook has returned, so the first round is done.
    for path in ("/meetings/", "/en/meetings/", "/agreements/", "/en/people/"):
        assert cached(path), path
    for path in ("/meetings/", "/en/meetings/"):
        links = warming_on.followed_links(cached_content(path))
        assert {link[1:].split("=")[0] for link in links} >= {"body", "kind", "sort", "after"}
        for link in links:
            assert cached(path + link), path + link
        assert cached(path + warming_on.PRIMER_QUERY)
    assert len(beats) >= 40, "a heartbeat after every page"


def cached_content(path, host="testserver") -> str:
    import zlib

    content, _ = cache.get(page_key(path, host))
    return zlib.decompress(content).decode()


@pytest.mark.django_db(transaction=True)
def test_priming_renders_a_page_anew_even_when_the_shared_cache_has_it(warming):
    """With a shared cache a restarted worker finds its pages cached: priming renders them
    anyway (that is what warms the process), and stores what it rendered."""
    import zlib

    key = page_key("/meetings/")
    cache.set(key, (zlib.compress(b"left by another worker"), "text/html"))
    assert warming.warm(prime=True)
    content, _ = cache.get(key)
    assert b"left by another worker" not in zlib.decompress(content)


def test_no_reader_can_ask_for_a_page_to_be_rendered_anew(db, client):
    from alliance.public.caching import RENDER_ANEW

    client.get("/meetings/")
    response = client.get("/meetings/", headers={RENDER_ANEW: "1"})  # becomes HTTP_ALLIANCE.RENDER_ANEW
    assert response["X-Cache"] == "hit"


def test_a_round_cut_short_gives_its_version_back_and_a_failing_page_is_skipped(db, warming, monkeypatch):
    assert warming.warm(prime=True, deadline=time.monotonic() - 1) == []  # out of time before the first page
    assert "/meetings/" in warming.warm(), "the next round renders what the cut one did not"
    call_command("flush", interactive=False, verbosity=0)  # a new version
    monkeypatch.setattr(warming, "default_urls", lambda: ["/no-such-list/", "/meetings/"])
    assert warming.warm() == ["/meetings/"]  # the 404 is logged and skipped


def test_priming_counts_and_facets_in_this_process_even_when_the_cache_has_them(synth, warming):
    warming.warm(prime=True)  # everything cached now, as a shared cache would hold it
    with CaptureQueriesContext(connection) as queries:
        warming.warm(prime=True)
    grouped = [q["sql"] for q in queries.captured_queries if "alliance_meeting" in q["sql"] and "GROUP BY" in q["sql"]]
    assert grouped, "the count and facets of the meeting pages ran here"


def test_warming_is_off_when_turned_off(db, settings, warming):
    settings.WARM_PAGES = False
    assert warming.start() is None
    assert warming._warmer is None


def test_one_process_warms_a_version_once(db, warming):
    assert warming.warm()  # rendered
    assert warming.warm() == []  # the version is taken: not again


def test_a_selected_facet_reuses_the_counts_the_list_without_it_cached(synth, client, rf):
    from alliance.public.views import PublicListView

    body = Meeting.objects.published().filter(body__status="published").values_list("body__slug", flat=True).first()
    assert client.get("/meetings/").status_code == 200  # as the warmer renders it after an edit
    entity = LISTS["meeting"]
    state = entity.read(QueryDict(f"body={body}"))
    with CaptureQueriesContext(connection) as queries:
        summary = PublicListView.summary(rf.get(f"/meetings/?body={body}"), entity, state)
    grouped = [q["sql"] for q in queries.captured_queries if "alliance_meeting" in q["sql"] and "GROUP BY" in q["sql"]]
    assert len(grouped) == 1, grouped  # the count and the kind facet of this body; the body facet reused
    assert plain(summary["facets"]) == plain(state.summary()["facets"]) == old_facets(state)
    assert summary["count"] == state.count()


# --- a period, read from the sort index --------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["from=2010&to=2012&sort=date", "from=2010&to=2012", "kind=2plus2&from=2000&to=2010", "from=2015&sort=name", "to=1990&sort=-date"],
)
def test_a_page_with_a_period_has_the_rows_of_the_plain_query_in_order(synth, query):
    entity = LISTS["meeting"]
    state = entity.read(QueryDict(query))
    expected = list(state.queryset().values_list("pk", flat=True)[:51])
    rows, next_cursor, _ = state.page()
    assert [row.pk for row in rows] == expected[:50]
    if next_cursor:  # and the next page, by its cursor
        following = entity.read(QueryDict(f"{query}&after={next_cursor}"))
        assert [row.pk for row in following.page()[0]] == list(state.queryset().values_list("pk", flat=True)[50:100])


def test_with_a_period_a_page_chooses_its_ids_first_then_reads_only_its_rows(synth):
    """In date order a period may start deep into the table: the page's ids are chosen by a
    subquery that needs only what the sort indexes hold (the date and its precision), so
    the rows before the period are skipped in the index, never read (at 100,000 meetings
    "from=2010&to=2012&sort=date" went from 60 to 18 ms; bench/README.md)."""
    entity = LISTS["meeting"]
    for query in ("from=2010&to=2012&sort=date", "kind=2plus2&from=2000&to=2010"):
        state = entity.read(QueryDict(query))
        with CaptureQueriesContext(connection) as queries:
            state.page()
        (page_sql,) = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith('SELECT "alliance_meeting"."id"')]
        subquery = page_sql[page_sql.index('IN (SELECT U0."id" AS "pk"') :]
        assert "LIMIT 51" in subquery and "JOIN" not in subquery.split("LIMIT 51")[0], page_sql
