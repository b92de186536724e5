"""The registry side by side with Datasette on the same published meetings (a scaffold).

Run with `make datasette-compare` (SIZE=10000 by default) after `make bench` has built
the benchmark database of that size. On loopback only:

1. Datasette is installed into bench/.venv-datasette from bench/requirements-datasette.txt
   (never into the app's virtualenv, never in requirements.txt).
2. The registry is served by gunicorn (production settings, one worker x 4 threads) on
   the benchmark database; its own CSV of every published meeting is loaded into SQLite
   with matching indexes (start date; kind and body with the start date) and an FTS5
   trigram table, and Datasette serves that file (suggested facets off).
3. For each page — first, filtered with facets, deep (90% in), one body, search with 3+
   and with 1 character — it times both, warm (the same URL again), uncached (a new URL
   each time), cold after an edit (the registry's data version bumped; a no-op write in
   SQLite) and cold after a worker start (both servers restarted; the median of the first
   request after each of three restarts), then the CSV and the
   throughput of 4 concurrent readers with unique URLs, and prints registry ÷ Datasette
   for each (target <= 1.0).

The first reader after an edit or a restart is timed ``--settle`` seconds (1 by default)
after it, for both servers alike: a reader does not arrive within the millisecond of a
commit, and the registry warms its default pages in the background meanwhile
(alliance/public/warming.py). ``--settle 0`` times the request made at once.

``--cache redis`` (``make datasette-compare CACHE=redis``) gives the registry a shared
redis-server (Debian's), as in the scaled-out shape: a worker's restart then keeps the
rendered pages, counts and facets of the current data version.
"""

import argparse
import csv
import http.client
import io
import json
import os
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = "127.0.0.1"
DS_VENV = ROOT / "bench" / ".venv-datasette"
DS_REQUIREMENTS = ROOT / "bench" / "requirements-datasette.txt"
PAGE_SIZE = 50


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def ensure_datasette():
    binary = DS_VENV / "bin" / "datasette"
    if not binary.exists():
        print("Installing Datasette into bench/.venv-datasette …", flush=True)
        subprocess.run([PY, "-m", "venv", str(DS_VENV)], check=True)
        subprocess.run([str(DS_VENV / "bin" / "pip"), "install", "--quiet", "-r", str(DS_REQUIREMENTS)], check=True)
    return binary


def get(port, url, timeout=120):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        start = time.perf_counter()
        conn.request("GET", url, headers={"Host": "localhost"})
        response = conn.getresponse()
        size = 0
        while chunk := response.read(65536):
            size += len(chunk)
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise RuntimeError(f"{url} on port {port}: {response.status}")
        return elapsed, size
    finally:
        conn.close()


def wait_until_up(port, url, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            get(port, url, timeout=10)
            return
        except (OSError, RuntimeError, http.client.HTTPException):
            time.sleep(0.3)
    raise SystemExit(f"nothing answers {url} on port {port}")


class Server:
    """A server process we started (and only those are ever stopped)."""

    def __init__(self, args, env, port, probe):
        self.args, self.env, self.port, self.probe = args, env, port, probe
        self.process = None

    def start(self):
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_up(self.port, self.probe)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)

    def restart(self):
        self.stop()
        self.start()


def registry_server(database, db_port, cache_url=None):
    port = free_port()
    static = tempfile.mkdtemp(prefix="alliance-static-")
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://postgres@{HOST}:{db_port}/{database}",
        "DATABASE_POOL": "true",
        "DJANGO_STATIC_ROOT": static,
        # The host the readers below ask for: the one whose pages are warmed.
        "DJANGO_WARM_HOSTS": "localhost",
    }
    env.pop("DJANGO_DEBUG", None)
    env.pop("CACHE_URL", None)
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_REPLICA_URLS", None)
    if cache_url:
        env["CACHE_URL"] = cache_url  # the shared cache: it outlives a worker's restart
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    args = [str(Path(PY).parent / "gunicorn"), "config.wsgi:application", "--bind", f"{HOST}:{port}",
            "--workers", "1", "--worker-class", "gthread", "--threads", "4", "--timeout", "120", "--log-level", "warning"]
    return Server(args, env, port, "/meetings/?_probe=1")


def build_sqlite(csv_bytes, path):
    """The registry's CSV as an SQLite table with matching indexes and an FTS5 trigram table."""
    text = csv_bytes.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    db = sqlite3.connect(path)
    columns = ", ".join(f'"{name}" TEXT' for name in header)
    db.execute(f"CREATE TABLE meetings ({columns})")
    marks = ", ".join("?" for _ in header)
    db.executemany(f"INSERT INTO meetings VALUES ({marks})", reader)
    db.execute('CREATE INDEX meetings_start ON meetings (start DESC)')
    db.execute('CREATE INDEX meetings_kind ON meetings (kind, start DESC)')
    db.execute('CREATE INDEX meetings_body ON meetings (body, start DESC)')
    searchable = [c for c in ("name_ja", "name_en", "place_ja", "summary_ja", "outcomes_ja", "attendees") if c in header]
    db.execute(f"CREATE VIRTUAL TABLE meetings_fts USING fts5({', '.join(searchable)}, content='meetings', "
               "content_rowid='rowid', tokenize='trigram')")
    db.execute("INSERT INTO meetings_fts (meetings_fts) VALUES ('rebuild')")
    db.commit()
    count = db.execute("SELECT count(*) FROM meetings").fetchone()[0]
    db.close()
    return header, count, searchable


def datasette_server(binary, path, metadata):
    port = free_port()
    args = [str(binary), "serve", str(path), "--host", HOST, "--port", str(port), "--metadata", str(metadata),
            "--setting", "suggest_facets", "off", "--setting", "default_page_size", str(PAGE_SIZE),
            "--setting", "sql_time_limit_ms", "30000", "--setting", "facet_time_limit_ms", "30000"]
    return Server(args, {**os.environ}, port, "/registry/meetings?_probe=1")


def median_time(port, url_for, runs):
    return statistics.median(get(port, url_for(i))[0] for i in range(runs))


def main(argv=None):
    parser = argparse.ArgumentParser(description="The registry against Datasette (see the docstring).")
    parser.add_argument("--size", type=int, default=int(os.environ.get("SIZE", "10000")))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--settle", type=float, default=1.0,
                        help="seconds between an edit or a restart and the first reader (both servers)")
    parser.add_argument("--cache", choices=["local", "redis"], default=os.environ.get("CACHE", "local"),
                        help="the registry's cache: per process (LocMem, the default) or a shared redis-server, "
                             "as in the scaled-out shape (then a worker's restart keeps the cache)")
    args = parser.parse_args(argv)
    database = f"{os.environ.get('BENCH_DB_PREFIX', 'bench')}_{args.size}"

    sys.path.insert(0, str(ROOT))
    os.environ["EMBEDDED_PG_DATABASE"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from alliance.models import Meeting
    from alliance.public.engine import encode_cursor
    from alliance.public.entities import LISTS
    from config import localdb

    db_port = localdb.ensure_running()
    if not Meeting.objects.filter(slug__startswith="synth-").exists():
        raise SystemExit(f"{database} is empty: run `make bench SIZES=1000,{args.size}` first")
    entity = LISTS["meeting"]
    ordered = Meeting.objects.published().order_by(*entity.sorts[entity.default_sort].order())
    total = ordered.count()
    deep_row = ordered.values_list("start_date", "pk")[int(total * 0.9)]
    registry_deep = "/meetings/?after=" + encode_cursor(*deep_row)
    body = (
        Meeting.objects.published().values("body__slug", "body__name_ja").order_by().annotate(n=django.db.models.Count("id"))
        .order_by("-n").first()
    )
    connection.close()

    binary = ensure_datasette()
    work = Path(tempfile.mkdtemp(prefix="alliance-datasette-"))
    cache_process = cache_url = None
    if args.cache == "redis":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from load import start_cache_server

        cache_process, cache_url = start_cache_server()
    print(f"Registry cache: {'shared redis-server ' + cache_url if cache_url else 'per process (LocMem)'}", flush=True)
    registry = registry_server(database, db_port, cache_url)
    registry.start()
    try:
        print(f"Loading the registry's CSV of {total:,} published meetings into SQLite …", flush=True)
        conn = http.client.HTTPConnection(HOST, registry.port, timeout=600)
        conn.request("GET", "/meetings/export.csv", headers={"Host": "localhost"})
        csv_bytes = conn.getresponse().read()
        conn.close()
        sqlite_path = work / "registry.db"
        header, count, searchable = build_sqlite(csv_bytes, sqlite_path)
        metadata = work / "metadata.json"
        metadata.write_text(json.dumps({"databases": {"registry": {"tables": {"meetings": {
            "fts_table": "meetings_fts", "fts_pk": "rowid", "sort_desc": "start", "size": PAGE_SIZE}}}}}))
        db = sqlite3.connect(sqlite_path)
        row = db.execute("SELECT start, rowid FROM meetings ORDER BY start DESC, rowid DESC LIMIT 1 OFFSET ?",
                         [int(count * 0.9)]).fetchone()
        db.close()
        datasette = datasette_server(binary, sqlite_path, metadata)
        datasette.start()
        try:
            return compare(registry, datasette, args.runs, registry_deep, row, body, searchable, sqlite_path, database,
                           args.settle)
        finally:
            datasette.stop()
    finally:
        registry.stop()
        if cache_process is not None:
            cache_process.terminate()
            cache_process.wait(timeout=30)


def compare(registry, datasette, runs, registry_deep, deep_row, body, searchable, sqlite_path, database, settle=1.0):
    t = "/registry/meetings"
    concat = " || ' ' || ".join(f'"{c}"' for c in searchable)
    pages = {
        "first page": ("/meetings/", f"{t}?_sort_desc=start"),
        "filtered, with facets": (
            "/meetings/?kind=2plus2&from=2000&to=2010",
            f"{t}?kind=2plus2&start__gte=2000&start__lt=2011&_sort_desc=start&_facet=kind&_facet=body",
        ),
        "deep page (90%)": (registry_deep, f"{t}?_sort_desc=start&_next={quote(deep_row[0] or '')},{deep_row[1]}"),
        "one body": (f"/meetings/?body={quote(body['body__slug'])}", f"{t}?body={quote(body['body__name_ja'])}&_sort_desc=start"),
        "search 嘉手納 (3 chars)": (f"/meetings/?q={quote('嘉手納')}", f"{t}?_search={quote('嘉手納')}&_sort_desc=start"),
        "search 呉 (1 char)": (
            f"/meetings/?q={quote('呉')}",
            f"{t}?" + urlencode({"_where": f"instr({concat}, '呉') > 0", "_sort_desc": "start"}),
        ),
    }

    def unique(url, i, tag):
        return url + ("&" if "?" in url else "?") + f"_bench={tag}{i}"

    results = []  # (page, mode, registry seconds, datasette seconds)
    for page, (r_url, d_url) in pages.items():
        print(f"  {page} …", flush=True)
        get(registry.port, r_url)
        get(datasette.port, d_url)
        results.append((page, "warm", median_time(registry.port, lambda i, u=r_url: u, runs),
                        median_time(datasette.port, lambda i, u=d_url: u, runs)))
        results.append((page, "uncached", median_time(registry.port, lambda i, u=r_url: unique(u, i, "u"), runs),
                        median_time(datasette.port, lambda i, u=d_url: unique(u, i, "u"), runs)))
        r_cold, d_cold = [], []
        for i in range(max(3, runs // 2)):
            bump_registry(database)
            time.sleep(settle)
            r_cold.append(get(registry.port, unique(r_url, i, "e"))[0])
            touch_sqlite(sqlite_path)
            time.sleep(settle)
            d_cold.append(get(datasette.port, unique(d_url, i, "e"))[0])
        results.append((page, "cold after an edit", statistics.median(r_cold), statistics.median(d_cold)))

    print("  cold after a worker start …", flush=True)
    for page, (r_url, d_url) in pages.items():
        # The first request after each of three restarts of each server: the median (one
        # sample moved by ±50% between runs).
        r_first, d_first = [], []
        for i in range(3):
            registry.restart()
            time.sleep(settle)
            r_first.append(get(registry.port, unique(r_url, i, "s"))[0])
            datasette.restart()
            time.sleep(settle)
            d_first.append(get(datasette.port, unique(d_url, i, "s"))[0])
        results.append((page, "cold after a worker start", statistics.median(r_first), statistics.median(d_first)))

    print("  CSV …", flush=True)
    r_csv = statistics.median(get(registry.port, "/meetings/export.csv")[0] for _ in range(3))
    d_csv = statistics.median(
        get(datasette.port, f"{t}.csv?_stream=on&_size=max&_sort_desc=start")[0] for _ in range(3)
    )
    results.append(("CSV of every meeting", "streamed", r_csv, d_csv))

    print("  throughput, 4 readers, unique URLs …", flush=True)
    r_rps = throughput(registry.port, [u for u, _ in pages.values()])
    d_rps = throughput(datasette.port, [u for _, u in pages.values()])

    print()
    print(f"{'page':<26} {'mode':<26} {'registry':>11} {'Datasette':>11} {'ratio':>7}  target <= 1.0")
    for page, mode, r, d in results:
        ratio = r / d
        print(f"{page:<26} {mode:<26} {r * 1000:8.1f} ms {d * 1000:8.1f} ms {ratio:7.2f}  {'PASS' if ratio <= 1.0 else 'MISS'}")
    ratio = d_rps / r_rps
    print(f"{'throughput (req/s)':<26} {'4 readers, unique URLs':<26} {r_rps:11.1f} {d_rps:11.1f} {ratio:7.2f}  "
          f"{'PASS' if ratio <= 1.0 else 'MISS'}  (Datasette ÷ registry)")
    return 0


def bump_registry(database):
    """What an edit does to the caches: the data version moves on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE alliance_registry_version SET version = version + 1, changed_at = clock_timestamp() WHERE id = 1")
    connection.close()


def touch_sqlite(path):
    db = sqlite3.connect(path)
    db.execute("UPDATE meetings SET slug = slug WHERE rowid = 1")
    db.commit()
    db.close()


def throughput(port, urls, seconds=8.0, users=4):
    done = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def user(n):
        i = 0
        while time.monotonic() < stop_at:
            url = urls[(n + i) % len(urls)]
            url += ("&" if "?" in url else "?") + f"_tp={n}-{i}"
            get(port, url)
            i += 1
        with lock:
            done.append(i)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main())
