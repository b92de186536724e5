"""Benchmark the registry at scale and print each figure with the ratio it is judged by.

Run with `make bench` (not part of the test suite). It builds synthetic registries of
5, 500, 1,000 and 100,000 meetings in their own databases on the same server (the
embedded one, or DATABASE_URL's), then measures in one process:

- list pages (first, filtered, deep) at 100,000 rows against 1,000 rows   target <= 2x
- the CSV export of 100,000 rows against a raw COPY of the same rows      target <= 2x
  (the same export query, and for context the meeting table's bare rows)
  and the export's peak memory at 100,000 rows against 1,000 rows         target <= 1.5x
- the NDJSON export of 100,000 rows against a COPY of the same JSON rows  target <= 2x
  produced by PostgreSQL itself, and its peak memory as the CSV's         target <= 1.5x
- a three-character search with its index against a forced seq scan      target <= 0.25x
  and one- and two-character searches against a seq scan                 target <= 1.2x
- the admin changelist at 100,000 rows against 1,000 rows                 target <= 2x
- SQL queries per list page, CSV, JSON and NDJSON at 5 and at 500 rows   target equal

Times are medians of several runs after a warm-up, each page rendered anew (the cache of
rendered pages is bypassed; counts and facets come from theirs). "Cold" list figures
(the first request after every cache is emptied) are printed beside them.
"""

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
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from alliance.models import Meeting  # noqa: E402
from alliance.public.engine import encode_cursor  # noqa: E402
from alliance.public.entities import LISTS  # noqa: E402
from alliance.public.export import VERBATIM, export_sql  # noqa: E402
from alliance.public.search import normalize_query, search_q  # noqa: E402

SIZES = {"tiny": 5, "medium": 500, "small": 1000, "large": int(os.environ.get("BENCH_LARGE", "100000"))}
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
PREFIX = os.environ.get("BENCH_DB_PREFIX", "bench")
rows = []


def database_for(size_name):
    return f"{PREFIX}_{size_name}"


def use_database(name):
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    cache.clear()


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


_request_counter = iter(range(10**9))


def fetch(c, url):
    # A parameter no entity reads: the rendered-page cache (keyed by the full URL) misses,
    # so every timing includes rendering; counts and facets still come from their cache.
    if not url.startswith("/admin/"):  # the admin caches no pages (and refuses unknown parameters)
        url += ("&" if "?" in url else "?") + f"_bench={next(_request_counter)}"
    response = c.get(url)
    assert response.status_code == 200, (url, response.status_code)
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


def measure_lists(c):
    out = {}
    urls = {
        "list: first page": "/meetings/",
        "list: filtered": "/meetings/?kind=2plus2&from=2000&to=2010",
        "list: deep page (90%)": "/meetings/?after=" + deep_cursor(),
        "list: agreements": "/agreements/",
    }
    for label, url in urls.items():
        out[label] = timed(lambda url=url: fetch(c, url))
        out[label + " (cold)"] = cold(lambda url=url: fetch(c, url))
    return out


def copy_raw():
    sql = (
        "COPY (SELECT * FROM alliance_meeting WHERE status = 'published' "
        "ORDER BY start_date DESC NULLS LAST, id DESC) TO STDOUT WITH (FORMAT csv, HEADER)"
    )
    total = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql) as copy:
            for chunk in copy:
                total += len(chunk)
    return total


def copy_same_query():
    """COPY of exactly the rows and columns the export writes, straight from PostgreSQL."""
    entity = LISTS["meeting"]
    sql, params = export_sql(entity.read({}).queryset(), entity, "http://localhost/meetings/")
    total = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for chunk in copy:
                total += len(chunk)
    return total


def copy_same_json():
    """COPY of exactly the JSON objects the NDJSON export writes, straight from PostgreSQL."""
    entity = LISTS["meeting"]
    sql, params = export_sql(entity.read({}).queryset(), entity, "http://localhost/meetings/", body=entity.json_sql())
    total = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH ({VERBATIM})", params) as copy:
            for chunk in copy:
                total += len(chunk)
    return total


def measure_ndjson(c):
    export = timed(lambda: fetch(c, "/meetings/export.ndjson"), runs=3)
    same = timed(copy_same_json, runs=3)
    tracemalloc.start()
    fetch(c, "/meetings/export.ndjson")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return export, same, peak


def measure_csv(c):
    export = timed(lambda: fetch(c, "/meetings/export.csv"), runs=3)
    raw = timed(copy_raw, runs=3)
    same = timed(copy_same_query, runs=3)
    tracemalloc.start()
    fetch(c, "/meetings/export.csv")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return export, raw, same, peak


def search_time(term, seqscan=False):
    qs = Meeting.objects.published().filter(search_q(normalize_query(term))).order_by()

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
        base = {"agreement": "/agreements/", "body": "/bodies/", "seat": "/seats/", "person": "/people/", "meeting": "/meetings/"}[name]
        for url in (base, base + "export.csv", base + "export.json", base + "export.ndjson"):
            cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                fetch(c, url)
            counts[url] = len(ctx)
    return counts


def add(label, small, large, ratio, target, unit="ms"):
    ok = ratio <= target
    rows.append((label, small, large, ratio, target, "PASS" if ok else "MISS", unit))


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


def main():
    print("Preparing the databases …", flush=True)
    for size_name, meetings in SIZES.items():
        ensure_database(database_for(size_name), meetings)

    figures = {}
    for size_name in ("small", "large"):
        use_database(database_for(size_name))
        c = client()
        print(f"Measuring {SIZES[size_name]:,} meetings …", flush=True)
        f = measure_lists(c)
        f["csv"], f["copy"], f["copy same"], f["csv peak"] = measure_csv(c)
        f["ndjson"], f["copy json"], f["ndjson peak"] = measure_ndjson(c)
        f["search 3 chars"] = search_time("嘉手納")
        f["search 3 chars seqscan"] = search_time("嘉手納", seqscan=True)
        f["search 1 char"] = search_time("呉")
        f["search 1 char seqscan"] = search_time("呉", seqscan=True)
        f["search 2 chars"] = search_time("岩国")
        f["search 2 chars seqscan"] = search_time("岩国", seqscan=True)
        f["admin changelist"] = timed(lambda c=c: fetch(c, "/admin/alliance/meeting/"))
        figures[size_name] = f
        f["machine"] = machine()

    small, large = figures["small"], figures["large"]
    for label in ("list: first page", "list: filtered", "list: deep page (90%)", "list: agreements", "admin changelist"):
        add(f"{label}: {SIZES['large']:,} vs {SIZES['small']:,} rows", small[label], large[label], large[label] / small[label], 2.0)
    add(f"CSV export of {SIZES['large']:,} meetings vs COPY of the same query", large["copy same"], large["csv"], large["csv"] / large["copy same"], 2.0)
    add(f"CSV export of {SIZES['large']:,} meetings vs COPY of the bare table", large["copy"], large["csv"], large["csv"] / large["copy"], 2.0)
    add(f"CSV peak memory: {SIZES['large']:,} vs {SIZES['small']:,} rows", small["csv peak"], large["csv peak"], large["csv peak"] / small["csv peak"], 1.5, "MB")
    add(f"NDJSON export of {SIZES['large']:,} meetings vs COPY of the same JSON", large["copy json"], large["ndjson"], large["ndjson"] / large["copy json"], 2.0)
    add(f"NDJSON peak memory: {SIZES['large']:,} vs {SIZES['small']:,} rows", small["ndjson peak"], large["ndjson peak"], large["ndjson peak"] / small["ndjson peak"], 1.5, "MB")
    add(f"search 嘉手納 (3 chars) with index vs seq scan, {SIZES['large']:,}", large["search 3 chars seqscan"], large["search 3 chars"], large["search 3 chars"] / large["search 3 chars seqscan"], 0.25)
    add(f"search 呉 (1 char) vs seq scan, {SIZES['large']:,}", large["search 1 char seqscan"], large["search 1 char"], large["search 1 char"] / large["search 1 char seqscan"], 1.2)
    add(f"search 岩国 (2 chars) vs seq scan, {SIZES['large']:,}", large["search 2 chars seqscan"], large["search 2 chars"], large["search 2 chars"] / large["search 2 chars seqscan"], 1.2)

    use_database(database_for("tiny"))
    tiny = query_counts(client())
    use_database(database_for("medium"))
    medium = query_counts(client())

    print()
    print(f"Machine: {large['machine']}")
    print(f"Median of {RUNS} runs after a warm-up (CSV: 3 runs).")
    print()
    print(f"{'measure':<62} {'baseline':>14} {'measured':>14} {'ratio':>8} {'target':>8}  result")
    for label, base, measured, ratio, target, result, unit in rows:
        print(f"{label:<62} {fmt(base, unit):>14} {fmt(measured, unit):>14} {ratio:8.2f} {'<= ' + str(target):>8}  {result}")
    print()
    print("Cold list pages (first request after the counts cache is emptied):")
    for label in ("list: first page", "list: filtered", "list: deep page (90%)", "list: agreements"):
        print(f"  {label:<28} {small[label + ' (cold)'] * 1000:8.1f} ms at {SIZES['small']:,}   {large[label + ' (cold)'] * 1000:8.1f} ms at {SIZES['large']:,}")
    print()
    print(f"{'SQL queries':<40} {SIZES['tiny']:>8} rows {SIZES['medium']:>8} rows  result")
    for url in tiny:
        print(f"  {url:<38} {tiny[url]:>8}      {medium[url]:>8}       {'PASS' if tiny[url] == medium[url] else 'MISS'}")
    missed = [r for r in rows if r[5] != "PASS"] + [u for u in tiny if tiny[u] != medium[u]]
    print()
    print("All targets met." if not missed else f"{len(missed)} target(s) missed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
