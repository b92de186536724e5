"""Benchmark the registry at several sizes and print how each measure grows.

Run with `make bench` (not part of the test suite), or `bench/run.py --sizes 1000,10000`.
It builds synthetic registries of each size (meetings; the default is 1,000, 10,000 and
100,000; 1,000,000 works but takes long) in their own databases on the same server (the
embedded one, or DATABASE_URL's), plus two tiny ones for query counts, then measures in
one process, at every size:

- list pages: first, filtered (with its facets), deep (90% in), agreements, each rendered
  anew, and the first page cold (every cache emptied)
- search pages and search counts with 1, 2 and 3+ characters, and each search's SQL
  against a forced sequential scan (what the index saves)
- the CSV export of every meeting, a raw COPY of the bare meeting table, peak memory;
  the NDJSON export, a COPY of the bare table as JSON objects, peak memory
- the admin changelist

and prints each figure at each size with its ratio to the smallest size, so a reader sees
whether a cost is constant, logarithmic or linear in the registry's size. The targets of
the earlier issues are judged at the largest size against the smallest:

- list pages and the admin changelist          <= 2x
- the CSV export against a COPY of its own query <= 2x, its peak memory <= 1.5x
- the CSV against a COPY of the bare meeting table, and the NDJSON against a COPY of the
  bare table as JSON: <= 1.3x (issue 15)
- searches of 1, 2 and 3 characters against a forced sequential scan <= 0.25x
- SQL queries per list page and per CSV at 5 and at 500 rows: equal

Times are medians of several runs after a warm-up, each page rendered anew (the cache of
rendered pages is bypassed; counts and facets come from theirs).
"""

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from alliance.models import Meeting  # noqa: E402
from alliance.public.caching import page_etag  # noqa: E402
from alliance.public.engine import encode_cursor  # noqa: E402
from alliance.public.entities import LISTS  # noqa: E402
from alliance.public.export import VERBATIM, export_sql  # noqa: E402
from alliance.public.search import normalize_query, search_q, strpos_q  # noqa: E402

DEFAULT_SIZES = "1000,10000,100000"
QUERY_COUNT_SIZES = {"tiny": 5, "medium": 500}
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
PREFIX = os.environ.get("BENCH_DB_PREFIX", "bench")
rows = []


def database_for(size):
    """bench_tiny, bench_medium, bench_1000, bench_10000 …"""
    return f"{PREFIX}_{size}"


_page_keys = {}


def use_database(name):
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    cache.clear()
    _page_keys.clear()  # they name the database's version


def ensure_database(name, meetings):
    use_database(name)
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    use_database(name)
    call_command("migrate", verbosity=0)
    have = Meeting.objects.filter(slug__startswith="synth-").count()
    if have != meetings:
        print(f"  building {name}: {meetings:,} meetings …", flush=True)
        call_command("synth", meetings=meetings, replace=True, seed=1, verbosity=0)
    User = get_user_model()
    if not User.objects.filter(username="bench").exists():
        User.objects.create_superuser("bench", password="bench-password-not-used")


def client():
    c = Client(HTTP_HOST="localhost")
    c.force_login(get_user_model().objects.get(username="bench"))
    return c


def page_key(url):
    """The rendered-page cache's key for ``url`` (as cached_page computes it). A parameter
    no entity reads used to make it miss; such a URL is now redirected to its canonical
    form, so the page's own entry is deleted instead."""
    if url not in _page_keys:
        request = RequestFactory(HTTP_HOST="localhost").get(url)
        with translation.override("en" if url.startswith("/en/") else "ja"):
            _page_keys[url] = "page:" + page_etag(request)
    return _page_keys[url]


def fetch(c, url):
    # The rendered page is dropped from the cache, so every timing includes rendering;
    # counts and facets still come from their cache.
    if not url.startswith("/admin/"):  # the admin caches no pages
        cache.delete(page_key(url))
    response = c.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert url.startswith("/admin/") or response.get("X-Cache") in ("miss", None), (url, "served from the page cache")
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def timed(fn, runs=RUNS):
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def cold(fn):
    cache.clear()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def deep_cursor(fraction=0.9):
    entity = LISTS["meeting"]
    sort = entity.sorts[entity.default_sort]
    qs = Meeting.objects.published().order_by(*sort.order())
    n = qs.count()
    row = qs.values_list("start_date", "pk")[int(n * fraction)]
    return encode_cursor(*row)


SEARCHES = {"1 char": "呉", "2 chars": "岩国", "3 chars": "嘉手納", "4 chars": "日米同盟"}

LIST_URLS = {
    "list: first page": "/meetings/",
    "list: filtered, with facets": "/meetings/?kind=2plus2&from=2000&to=2010",
    "list: deep page (90%)": None,  # a cursor 90% in, found per database
    "list: agreements": "/agreements/",
}


def measure_lists(c):
    out = {}
    urls = dict(LIST_URLS)
    urls["list: deep page (90%)"] = "/meetings/?after=" + deep_cursor()
    for label, url in urls.items():
        out[label] = timed(lambda url=url: fetch(c, url))
    out["list: first page, cold"] = statistics.median(cold(lambda: fetch(c, "/meetings/")) for _ in range(3))
    out["list: filtered, cold"] = statistics.median(cold(lambda: fetch(c, urls["list: filtered, with facets"])) for _ in range(3))
    return out


def measure_searches(c):
    out = {}
    for label, term in SEARCHES.items():
        out[f"search page {term} ({label})"] = timed(lambda term=term: fetch(c, f"/meetings/?q={term}"))
        out[f"search page {term} ({label}), cold"] = statistics.median(
            cold(lambda term=term: fetch(c, f"/meetings/?q={term}")) for _ in range(3)
        )
        out[f"search SQL {term} ({label})"] = search_time(term)
        out[f"search SQL {term} ({label}), seq scan"] = search_time(term, seqscan=True)
    return out


def copy_size(sql, params=None):
    """Run a COPY … TO STDOUT and read all of it: the bytes it wrote."""
    total = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql, params) as copy:
            for chunk in copy:
                total += len(chunk)
    return total


BARE_MEETINGS = "alliance_meeting m WHERE status = 'published' ORDER BY start_date DESC NULLS LAST, id DESC"


def copy_raw():
    return copy_size(f"COPY (SELECT * FROM {BARE_MEETINGS}) TO STDOUT WITH (FORMAT csv, HEADER)")


def copy_raw_json():
    """The NDJSON's baseline: a COPY of the bare meeting table, each row as its JSON object."""
    return copy_size(f"COPY (SELECT row_to_json(m)::text FROM {BARE_MEETINGS}) TO STDOUT WITH ({VERBATIM})")


def copy_same_query():
    """COPY of exactly the rows and columns the export writes, straight from PostgreSQL."""
    entity = LISTS["meeting"]
    sql, params = export_sql(entity.read({}).queryset(), entity, "http://localhost/meetings/")
    return copy_size(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params)


def copy_same_json():
    """COPY of exactly the JSON objects the NDJSON export writes, straight from PostgreSQL."""
    entity = LISTS["meeting"]
    sql, params = export_sql(entity.read({}).queryset(), entity, "http://localhost/meetings/", body=entity.json_sql())
    return copy_size(f"COPY ({sql}) TO STDOUT WITH ({VERBATIM})", params)


def measure_ndjson(c):
    export = timed(lambda: fetch(c, "/meetings/export.ndjson"), runs=3)
    raw = timed(copy_raw_json, runs=3)
    same = timed(copy_same_json, runs=3)
    tracemalloc.start()
    fetch(c, "/meetings/export.ndjson")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return export, raw, same, peak


def measure_csv(c):
    export = timed(lambda: fetch(c, "/meetings/export.csv"), runs=3)
    raw = timed(copy_raw, runs=3)
    same = timed(copy_same_query, runs=3)
    tracemalloc.start()
    fetch(c, "/meetings/export.csv")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return export, raw, same, peak


def scan_q(terms):
    """The search as a sequential scan does it: strpos for 1-2 characters, LIKE for more."""
    q = Q()
    for term in terms:
        q &= Q(search_text__contains=term) if len(term) >= 3 else strpos_q(term, "search_text")
    return q


def search_time(term, seqscan=False):
    """The search's count of published meetings; with seqscan, the scanning predicate with
    every index switched off (what a search costs without its index)."""
    terms = normalize_query(term)
    qs = Meeting.objects.published().filter(scan_q(terms) if seqscan else search_q(terms)).order_by()

    def run():
        with transaction.atomic():
            with connection.cursor() as cursor:
                if seqscan:
                    cursor.execute("SET LOCAL enable_indexscan = off")
                    cursor.execute("SET LOCAL enable_bitmapscan = off")
                    cursor.execute("SET LOCAL enable_indexonlyscan = off")
            return qs.count()

    return timed(run)


def query_counts(c):
    counts = {}
    for name in LISTS:
        for url in [reverse(f"alliance:{name}-{kind}") for kind in ("list", "csv", "json", "ndjson")]:
            cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                fetch(c, url)
            counts[url] = len(ctx)
    return counts


def add(label, base, measured, ratio, target, unit="ms"):
    ok = ratio <= target
    rows.append((label, base, measured, ratio, target, "PASS" if ok else "MISS", unit))


def fmt(value, unit):
    if unit == "ms":
        return f"{value * 1000:9.1f} ms"
    if unit == "MB":
        return f"{value / 1e6:9.2f} MB"
    return f"{value:12}"


def machine():
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return f"{platform.platform()}; {os.cpu_count()} cores {cpu}; {memory}; Python {platform.python_version()}; PostgreSQL {pg}"


def measure(size):
    use_database(database_for(size))
    c = client()
    print(f"Measuring {size:,} meetings …", flush=True)
    f = measure_lists(c)
    f.update(measure_searches(c))
    f["CSV export of every meeting"], f["COPY of the bare meeting table"], f["COPY of the export's own query"], f["CSV peak memory"] = measure_csv(c)
    f["NDJSON export of every meeting"], f["COPY of the bare table as JSON"], f["COPY of the same JSON"], f["NDJSON peak memory"] = measure_ndjson(c)
    f["admin changelist"] = timed(lambda: fetch(c, "/admin/alliance/meeting/"))
    f["admin changelist, search 呉"] = timed(lambda: fetch(c, "/admin/alliance/meeting/?q=%E5%91%89"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM alliance_meeting WHERE status = 'published'")
        f["published meetings"] = cursor.fetchone()[0]
    f["machine"] = machine()
    return f


def growth_table(sizes, figures):
    """Each measure at each size, and its ratio to the smallest size."""
    smallest = sizes[0]
    labels = [k for k in figures[smallest] if k not in ("machine", "published meetings")]
    head = f"{'measure':<44}" + "".join(f"{size:>14,}" for size in sizes) + "".join(f"{'x' + format(size, ','):>12}" for size in sizes[1:])
    print(head)
    for label in labels:
        unit = "MB" if "memory" in label else "ms"
        line = f"{label:<44}" + "".join(f"{fmt(figures[size][label], unit):>14}" for size in sizes)
        for size in sizes[1:]:
            base = figures[smallest][label]
            line += f"{(figures[size][label] / base if base else float('nan')):12.2f}"
        print(line)
    print(f"{'published meetings':<44}" + "".join(f"{figures[size]['published meetings']:>14,}" for size in sizes))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", DEFAULT_SIZES),
                        help=f"comma-separated numbers of meetings (default {DEFAULT_SIZES}; 1000000 is optional)")
    parser.add_argument("--no-query-counts", action="store_true", help="skip the SQL query counts at 5 and 500 rows")
    args = parser.parse_args(argv)
    sizes = sorted({int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()})
    if len(sizes) < 2:
        parser.error("give at least two sizes")

    print("Preparing the databases …", flush=True)
    for size in sizes:
        ensure_database(database_for(size), size)
    if not args.no_query_counts:
        for name, size in QUERY_COUNT_SIZES.items():
            ensure_database(database_for(name), size)

    figures = {size: measure(size) for size in sizes}
    small, large = figures[sizes[0]], figures[sizes[-1]]
    S, L = f"{sizes[0]:,}", f"{sizes[-1]:,}"
    for label in ("list: first page", "list: filtered, with facets", "list: deep page (90%)", "list: agreements", "admin changelist"):
        add(f"{label}: {L} vs {S} rows", small[label], large[label], large[label] / small[label], 2.0)
    add(f"CSV export of {L} meetings vs COPY of the same query", large["COPY of the export's own query"], large["CSV export of every meeting"], large["CSV export of every meeting"] / large["COPY of the export's own query"], 2.0)
    add(f"CSV export of {L} meetings vs COPY of the bare table", large["COPY of the bare meeting table"], large["CSV export of every meeting"], large["CSV export of every meeting"] / large["COPY of the bare meeting table"], 1.3)
    add(f"CSV peak memory: {L} vs {S} rows", small["CSV peak memory"], large["CSV peak memory"], large["CSV peak memory"] / small["CSV peak memory"], 1.5, "MB")
    add(f"NDJSON export of {L} meetings vs COPY of the same JSON", large["COPY of the same JSON"], large["NDJSON export of every meeting"], large["NDJSON export of every meeting"] / large["COPY of the same JSON"], 2.0)
    add(f"NDJSON export of {L} meetings vs COPY of the bare table as JSON", large["COPY of the bare table as JSON"], large["NDJSON export of every meeting"], large["NDJSON export of every meeting"] / large["COPY of the bare table as JSON"], 1.3)
    add(f"NDJSON peak memory: {L} vs {S} rows", small["NDJSON peak memory"], large["NDJSON peak memory"], large["NDJSON peak memory"] / small["NDJSON peak memory"], 1.5, "MB")
    for label, term in SEARCHES.items():
        key = f"search SQL {term} ({label})"
        add(f"search {term} ({label}) with index vs seq scan, {L}", large[key + ", seq scan"], large[key], large[key] / large[key + ", seq scan"], 0.25)

    tiny = medium = None
    if not args.no_query_counts:
        use_database(database_for("tiny"))
        tiny = query_counts(client())
        use_database(database_for("medium"))
        medium = query_counts(client())

    print()
    print(f"Machine: {large['machine']}")
    print(f"Median of {RUNS} runs after a warm-up (CSV: 3 runs; cold: 3 runs, every cache emptied before each).")
    print()
    print("Growth: each measure at each size (meetings), and its ratio to the smallest size")
    growth_table(sizes, figures)
    print()
    print(f"{'target':<62} {'baseline':>14} {'measured':>14} {'ratio':>8} {'target':>8}  result")
    for label, base, measured, ratio, target, result, unit in rows:
        print(f"{label:<62} {fmt(base, unit):>14} {fmt(measured, unit):>14} {ratio:8.2f} {'<= ' + str(target):>8}  {result}")
    missed = [r for r in rows if r[5] != "PASS"]
    if tiny is not None:
        print()
        print(f"{'SQL queries':<40} {QUERY_COUNT_SIZES['tiny']:>8} rows {QUERY_COUNT_SIZES['medium']:>8} rows  result")
        for url in tiny:
            print(f"  {url:<38} {tiny[url]:>8}      {medium[url]:>8}       {'PASS' if tiny[url] == medium[url] else 'MISS'}")
        missed += [u for u in tiny if tiny[u] != medium[u]]
    print()
    print("All targets met." if not missed else f"{len(missed)} target(s) missed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
