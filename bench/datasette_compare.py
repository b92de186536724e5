"""The registry side by side with Datasette on the same published meetings.

Run with `make datasette-compare` (SIZE=10000 by default) after `make bench` has built
the benchmark database of that size. On loopback only:

1. Datasette is installed into bench/.venv-datasette from bench/requirements-datasette.txt
   (never into the app's virtualenv, never in requirements.txt).
2. The registry is served by gunicorn (production settings, one worker x 4 threads,
   warming on for ``localhost``) on the benchmark database; its own CSV of every published
   meeting is loaded into SQLite with matching indexes (start date; kind and body with the
   start date) and an FTS5 trigram table, and Datasette serves that file (suggested facets
   off, 50 rows a page).
3. Like with like: every Datasette page asks for the columns the registry's list shows
   (``_col=`` start, title_ja, body, place_ja: its date, title, body and place) and for
   the two facets the registry computes on every list page (kind and body), and every
   row prints the bytes of each answer beside its time.

Every row is ``--runs`` samples (11 by default) per server, the two servers interleaved
sample by sample (which goes first alternates), and prints each server's median, the
ratio registry ÷ Datasette (or ÷ COPY) of the medians, each server's min–max, the target
and PASS/MISS. The six pages are: the first page, filtered (a kind and a period) with
facets, a deep page (a cursor 90% in), one body, a search of 3 characters (嘉手納; FTS5
in Datasette) and of 1 character (呉; in Datasette one ``instr()`` per column joined by
OR, as FTS5 trigrams need three characters). For each page:

- **warm (registry: cache hit; Datasette: computed)** — the page's fixed URL asked again
  and again. The registry answers from its rendered-page cache; Datasette computes it
  every time. Not like with like: for reference beside the uncached row.
- **uncached (count and facets computed)** — each sample a URL neither server was asked
  before: a period (``from``/``to`` years in the registry; ``start__gte``/``start__lt`` in
  Datasette) that no earlier request named, so the registry's rendered-page cache *and*
  its count-and-facet cache miss, and both servers compute rows, count and facets. For
  the first page, the deep page, one body and the searches, the period covers every
  meeting (from 1800–1959 to 2025–2100), so rows and counts are those of the page
  without it; the filtered page has a kind and a period of 5–15 years.
- **at the instant of an edit** — a new URL as above (outside the warm set: warming.py
  renders only the first page of each list in each language after an edit, and at worker
  start the links its primer follows from them), asked the moment the edit commits: for
  Datasette a write in SQLite, then at once its page; for the registry the data version
  bumped (committed), then at once its page, while its warmer re-renders the default
  pages on the same cores. Before each sample the machine is left ``--quiet`` seconds (2)
  with nothing asked, so each sample times one edit, not a backlog of rounds.

Then:

- **reader arriving while a worker starts** — the clock starts at the launch of the
  server process (Popen) and stops when the complete body of the first request has
  arrived: a filtered page with facets (new each time, outside the warm set), sent at
  once and retried every 20 ms while nothing listens. For the registry this includes
  gunicorn's boot, Django's start and the worker-start warming round, during which the
  socket accepts but nobody is served; for Datasette its start. One server process
  started per sample and server, after ``--quiet`` seconds with nothing running.
- **CSV of every published meeting: registry ÷ Datasette** — the registry's
  /meetings/export.csv through gunicorn against Datasette's streamed CSV of every row and
  column.
- **CSV ÷ COPY of the bare table** — the same export against ``COPY (SELECT * FROM
  alliance_meeting) TO STDOUT (FORMAT csv)`` from the same database, over the wire
  (psycopg 3 ``cursor.copy``, every byte read), and **÷ COPY of the export's own SQL**
  (its query, the same rows and cells, without Django, HTTP or gunicorn).
- **throughput (req/s)** — 4 client processes (started before the clock; one connection
  per request) walk between them ``--urls`` unique URLs per round (200) once, in 3 rounds
  per server, the servers alternating; req/s = answers ÷ wall time of the round. The URLs
  mix the first page over a new period, kind and period, one body (of all of them) over a
  period, a deep page at another depth, a search of 3+ characters over a period and a
  1-character search over a period; every URL new to both servers. Ratio: Datasette ÷
  registry (so ≤ 1.0 is the registry ahead). (``wrk`` with a Lua script walking the list
  was tried: Debian's wrk 4.1.0 did not stop at ``wrk.thread:stop()`` and ran its whole
  duration, re-asking the list, so it is left unused in ``run_wrk``.)

The targets (issue 24): the page at the instant of an edit ≤ 1.0; the reader arriving
while a worker starts ≤ 1.5; the uncached first page with count and facets ≤ 0.8; CSV ÷
bare COPY ≤ 1.3. The CSV ÷ the export's own COPY is judged ≤ 2.0 as in bench/run.py; the
other rows ≤ 1.0 (warm is not like with like, so its PASS says little).

``--cache redis`` (``make datasette-compare CACHE=redis``) gives the registry a shared
redis-server (Debian's), as in the scaled-out shape: a worker's restart then keeps the
rendered pages, counts and facets of the current data version.
"""

import argparse
import csv
import datetime
import http.client
import io
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = "127.0.0.1"
DS_VENV = ROOT / "bench" / ".venv-datasette"
DS_REQUIREMENTS = ROOT / "bench" / "requirements-datasette.txt"
PAGE_SIZE = 50
# What the registry's meeting list shows (meeting_list.html): date, title, body, place.
LIST_COLUMNS = ("start", "title_ja", "body", "place_ja")
# The facets the registry computes on every meeting list page.
FACETS = ("kind", "body")
KINDS = ("2plus2", "summit", "defense", "foreign", "officials", "working", "call")
# Search terms of 3+ characters (FTS5 trigrams in Datasette) from the synthetic data.
SEARCH_TERMS = ("嘉手納", "普天間", "横須賀", "佐世保", "ホノルル", "安全保障", "サイバー", "拡大抑止", "情報保全", "意見交換")
WRK = shutil.which("wrk") or "/usr/bin/wrk"


# --- HTTP -------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port, url, timeout=120):
    """(seconds, bytes of the body) of one GET on a new connection, body read to the end."""
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

    def launch(self):
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self):
        self.launch()
        try:
            wait_until_up(self.port, self.probe)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)

    def launch_to_answer(self, url, timeout=180):
        """Seconds from Popen to the complete body of the first request, sent at once and
        retried every 20 ms while nothing listens (or the connection is dropped)."""
        self.stop()  # (stopped already by the caller: nothing of it runs on the clock)
        start = time.perf_counter()
        self.launch()
        while True:
            try:
                _, size = get(self.port, url, timeout=timeout)
                return time.perf_counter() - start, size
            except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
                if time.perf_counter() - start > timeout or self.process.poll() is not None:
                    raise SystemExit(f"{self.args[0]} did not answer {url} within {timeout} s of its launch") from None
                time.sleep(0.02)


def ensure_datasette():
    binary = DS_VENV / "bin" / "datasette"
    if not binary.exists():
        print("Installing Datasette into bench/.venv-datasette …", flush=True)
        subprocess.run([PY, "-m", "venv", str(DS_VENV)], check=True)
        subprocess.run([str(DS_VENV / "bin" / "pip"), "install", "--quiet", "-r", str(DS_REQUIREMENTS)], check=True)
    return binary


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
    return Server(args, env, port, "/meetings/")  # (an unknown parameter is redirected away: 302)


def datasette_server(binary, path, metadata):
    port = free_port()
    args = [str(binary), "serve", str(path), "--host", HOST, "--port", str(port), "--metadata", str(metadata),
            "--setting", "suggest_facets", "off", "--setting", "default_page_size", str(PAGE_SIZE),
            "--setting", "sql_time_limit_ms", "30000", "--setting", "facet_time_limit_ms", "30000"]
    return Server(args, {**os.environ}, port, "/registry/meetings?_probe=1")


# --- the SQLite copy ------------------------------------------------------------------


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
    db.close()
    return header, searchable


def touch_sqlite(path):
    """What an edit does to Datasette's database: a committed write."""
    db = sqlite3.connect(path)
    db.execute("UPDATE meetings SET slug = slug WHERE rowid = 1")
    db.commit()
    db.close()


# --- the URLs -------------------------------------------------------------------------


class Periods:
    """Periods never named before, in a fixed shuffled order, each given out once: wide
    ones (from 1800–1959 to 2025–2100: every meeting, dated 1960–2025) and narrow ones (a
    kind and 5–15 years). The registry's ``from``/``to`` years; Datasette's start__gte /
    start__lt on the partial-date text (a year's dates sort between "Y" and "Y+1")."""

    def __init__(self, seed=24):
        rng = random.Random(seed)
        self.wide = [(a, b) for a in range(1800, 1960) for b in range(2025, 2101)]
        self.narrow = [(k, a, a + w) for k in KINDS for a in range(1960, 2020) for w in range(5, 16)]
        rng.shuffle(self.wide)
        rng.shuffle(self.narrow)

    def next_wide(self):
        a, b = self.wide.pop()
        return {"from": a, "to": b}, {"start__gte": str(a), "start__lt": str(b + 1)}

    def next_narrow(self):
        kind, a, b = self.narrow.pop()
        return ({"kind": kind, "from": a, "to": b},
                {"kind": kind, "start__gte": str(a), "start__lt": str(b + 1)})


class Urls:
    """The registry's and Datasette's URL for the same page."""

    def __init__(self, searchable, registry_order, sqlite_order, bodies):
        self.searchable = searchable
        self.registry_order, self.sqlite_order = registry_order, sqlite_order
        self.bodies = bodies  # [(slug, name_ja)], most meetings first
        self.periods = Periods()

    def datasette(self, params, extra=()):
        """A Datasette table URL: the filters, newest first, the list's columns, its facets."""
        query = [*params.items(), *extra, ("_sort_desc", "start"),
                 *[("_col", c) for c in LIST_COLUMNS], *[("_facet", f) for f in FACETS]]
        return "/registry/meetings?" + urlencode(query)

    def one_char(self, term):
        """Datasette's fastest form of a 1-character search: one instr() per column, OR'd."""
        return ("_where", " OR ".join(f"instr(\"{c}\", '{term}') > 0" for c in self.searchable))

    def deep(self, fraction):
        from alliance.public.engine import encode_cursor

        start_date, pk = self.registry_order[int(len(self.registry_order) * fraction)]
        start, rowid = self.sqlite_order[int(len(self.sqlite_order) * fraction)]
        return {"after": encode_cursor(start_date, pk)}, [("_next", f"{start or ''},{rowid}")]

    def page(self, kind, period=None, fraction=0.9, term=None, body=None):
        """(registry URL, Datasette URL) of one of the pages; with ``period`` (a pair from
        Periods) the page over that period."""
        r, d = period if period else ({}, {})
        r, d, extra = dict(r), dict(d), []
        if kind == "deep page (90%)":
            r_cursor, extra = self.deep(fraction)
            r.update(r_cursor)
        elif kind == "one body":
            slug, name = body or self.bodies[0]
            r["body"], d["body"] = slug, name
        elif kind.startswith("search"):
            term = term or ("呉" if "1 char" in kind else "嘉手納")
            r["q"] = term
            extra.append(self.one_char(term) if len(term) < 3 else ("_search", term))
        elif kind == "filtered, with facets" and not period:
            r.update({"kind": "2plus2", "from": 2000, "to": 2010})
            d.update({"kind": "2plus2", "start__gte": "2000", "start__lt": "2011"})
        return "/meetings/" + (("?" + urlencode(r)) if r else ""), self.datasette(d, extra)

    def new(self, kind, **options):
        """The page over a period never named before (count and facets computed)."""
        period = self.periods.next_narrow() if kind == "filtered, with facets" else self.periods.next_wide()
        return self.page(kind, period, **options)

    def mix(self, n, rng):
        """n new URLs of each server over filters, periods, bodies, search terms, depths."""
        out = []
        for i in range(n):
            choice = i % 6
            if choice == 0:
                out.append(self.new("first page"))
            elif choice == 1:
                out.append(self.new("filtered, with facets"))
            elif choice == 2:
                out.append(self.new("one body", body=rng.choice(self.bodies)))
            elif choice == 3:
                out.append(self.new("deep page (90%)", fraction=rng.uniform(0.05, 0.95)))
            elif choice == 4:
                out.append(self.new("search (3+ chars)", term=rng.choice(SEARCH_TERMS)))
            else:
                out.append(self.new("search (1 char)", term=rng.choice("呉日米東京港")))
        return out


PAGES = ("first page", "filtered, with facets", "deep page (90%)", "one body", "search 嘉手納 (3 chars)", "search 呉 (1 char)")


# --- samples and rows -----------------------------------------------------------------


class Row:
    def __init__(self, measure, registry, other, target, unit="ms", inverse=False, issue=False):
        self.measure, self.registry, self.other = measure, registry, other  # [(value, bytes)]
        self.target, self.unit, self.inverse, self.issue = target, unit, inverse, issue

    @staticmethod
    def median(samples):
        return statistics.median(v for v, _ in samples)

    def ratio(self):
        r, o = self.median(self.registry), self.median(self.other)
        return r / o if not self.inverse else o / r


def interleaved(runs, registry, other, order=None):
    """``runs`` samples of each side, sample by sample; ``registry`` and ``other`` take the
    sample's index and return (value, bytes). Which side goes first alternates, unless
    ``order`` says (``"other first"``)."""
    r_samples, o_samples = [], []
    for i in range(runs):
        pair = [(registry, r_samples), (other, o_samples)]
        if order == "other first" or (order is None and i % 2):
            pair.reverse()
        for fn, samples in pair:
            samples.append(fn(i))
    return r_samples, o_samples


def fmt_value(value, unit):
    if unit == "ms":
        return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.2f} s"
    return f"{value:.1f}"


def fmt_bytes(samples):
    size = statistics.median(b for _, b in samples)
    if size is None or size == 0:
        return ""
    if size >= 1e6:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e3:.0f} KB"


def fmt_spread(samples, unit):
    values = sorted(v for v, _ in samples)
    scale = 1000 if unit == "ms" else 1
    return f"{values[0] * scale:.1f}–{values[-1] * scale:.1f}"


def print_table(rows):
    width = max(len(r.measure) for r in rows)
    head = (f"{'measure':<{width}} {'registry':>10} {'bytes':>8} {'Datasette/COPY':>14} {'bytes':>8} {'ratio':>6}  "
            f"{'registry min–max':>17} {'other min–max':>17}  target  result")
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = r.ratio()
        unit_note = " ms" if r.unit == "ms" else ""
        print(f"{r.measure:<{width}} {fmt_value(Row.median(r.registry), r.unit):>10} {fmt_bytes(r.registry):>8} "
              f"{fmt_value(Row.median(r.other), r.unit):>14} {fmt_bytes(r.other):>8} {ratio:6.2f}  "
              f"{fmt_spread(r.registry, r.unit) + unit_note:>17} {fmt_spread(r.other, r.unit) + unit_note:>17}  "
              f"<= {r.target:<4} {'PASS' if ratio <= r.target else 'MISS'}{'  (issue 24)' if r.issue else ''}")


# --- the measures ---------------------------------------------------------------------


class Edits:
    """Commits an edit's effect on each side: the registry's data version bumped (its
    trigger notifies every worker's listener at commit), a write in SQLite."""

    def __init__(self, db_port, database, sqlite_path):
        import psycopg

        self.conn = psycopg.connect(host=HOST, port=db_port, user="postgres", dbname=database, autocommit=True)
        self.sqlite_path = sqlite_path

    def registry(self):
        self.conn.execute("UPDATE alliance_registry_version SET version = version + 1, "
                          "changed_at = clock_timestamp() WHERE id = 1")

    def datasette(self):
        touch_sqlite(self.sqlite_path)

    def close(self):
        self.conn.close()


def measure_pages(registry, datasette, urls, edits, runs, quiet):
    rows = []
    for page in PAGES:
        print(f"  {page} …", flush=True)
        r_url, d_url = urls.page(page)
        fixed = [(r_url, d_url)] * runs
        get(registry.port, r_url)
        get(datasette.port, d_url)
        r, d = paired(registry, datasette, fixed)
        rows.append(Row(f"{page}: warm (registry: cache hit; Datasette: computed)", r, d, 1.0))

        r, d = paired(registry, datasette, [urls.new(page) for _ in range(runs)])
        rows.append(Row(f"{page}: uncached (count and facets computed)", r, d,
                        0.8 if page == "first page" else 1.0, issue=page == "first page"))

        r, d = paired(registry, datasette, [urls.new(page) for _ in range(runs)], edits=edits, quiet=quiet)
        rows.append(Row(f"{page}: at the instant of an edit", r, d, 1.0, issue=True))
    return rows


def paired(registry, datasette, pairs, edits=None, quiet=0.0):
    """Each (registry URL, Datasette URL) asked of its server, interleaved. With ``edits``,
    each sample is: ``quiet`` seconds with nothing asked (the registry's last warming round
    is over), a write in SQLite and at once Datasette's page, then the registry's edit and
    at once its page (Datasette does nothing in the background to compete with it)."""

    def ask(i, server, edit):
        if edit is not None:
            if server is datasette:
                time.sleep(quiet)
            edit()
        return get(server.port, pairs[i][0 if server is registry else 1])

    return interleaved(
        len(pairs),
        lambda i: ask(i, registry, edits and edits.registry),
        lambda i: ask(i, datasette, edits and edits.datasette),
        order="other first" if edits else None,
    )


def measure_start(registry, datasette, urls, runs, quiet):
    print("  a reader arriving while a worker starts …", flush=True)
    new = [urls.new("filtered, with facets") for _ in range(runs)]

    def launch(i, server):
        server.stop()
        time.sleep(quiet)  # nothing running but the other server, idle
        return server.launch_to_answer(new[i][0 if server is registry else 1])

    r, d = interleaved(runs, lambda i: launch(i, registry), lambda i: launch(i, datasette))
    return [Row("reader arriving while a worker starts (launch→complete answer)", r, d, 1.5, issue=True)]


def copy_bytes(db_port, database, sql, params=None):
    """A COPY … TO STDOUT over the wire, every byte read: (seconds, bytes)."""
    import psycopg

    with psycopg.connect(host=HOST, port=db_port, user="postgres", dbname=database) as conn:
        with conn.cursor() as cursor:
            start = time.perf_counter()
            total = 0
            with cursor.copy(sql, params) as copy:
                for chunk in copy:
                    total += len(chunk)
            return time.perf_counter() - start, total


def export_copy_sql():
    """The export's own SQL (as bench/run.py's ``copy_same_query``), as a COPY."""
    from alliance.public.entities import LISTS
    from alliance.public.export import export_sql

    entity = LISTS["meeting"]
    sql, params = export_sql(entity.read({}).queryset(), entity, "http://localhost/meetings/")
    return f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params


def measure_csv(registry, datasette, db_port, database, runs):
    print("  CSV …", flush=True)
    bare = "COPY (SELECT * FROM alliance_meeting) TO STDOUT (FORMAT csv)"
    own_sql, own_params = export_copy_sql()
    d_url = "/registry/meetings.csv?_stream=on&_size=max&_sort_desc=start"
    samples = {"registry": [], "datasette": [], "bare": [], "own": []}
    steps = [
        ("registry", lambda: get(registry.port, "/meetings/export.csv", timeout=600)),
        ("datasette", lambda: get(datasette.port, d_url, timeout=600)),
        ("bare", lambda: copy_bytes(db_port, database, bare)),
        ("own", lambda: copy_bytes(db_port, database, own_sql, own_params)),
    ]
    for _name, fn in steps:
        fn()  # one of each first: the same buffers warm for all
    for i in range(runs):
        for name, fn in steps[i % 4:] + steps[:i % 4]:
            samples[name].append(fn())
    return [
        Row("CSV of every published meeting: registry ÷ Datasette", samples["registry"], samples["datasette"], 1.0),
        Row("CSV ÷ COPY (SELECT * FROM alliance_meeting)", samples["registry"], samples["bare"], 1.3, issue=True),
        Row("CSV ÷ COPY of the export's own SQL", samples["registry"], samples["own"], 2.0),
    ]


WRK_SCRIPT = """
-- Walks the URL list named after "--" (its first line: how many answers to count; then
-- one path a line) and stops at that many answers. The list holds a few more paths than
-- that, so the requests still in flight at the end are new URLs too (never counted).
local paths, i, answered, count = {}, 0, 0, 0
function init(args)
  local listing
  for _, value in pairs(args) do
    if tostring(value):match("%.txt$") then listing = value end
  end
  for line in io.lines(listing) do
    if count == 0 then count = tonumber(line) else paths[#paths + 1] = line end
  end
end
function request()
  i = i + 1
  return wrk.format(nil, paths[((i - 1) % #paths) + 1])
end
function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then io.stderr:write("status " .. status .. "\\n") end
  if answered == count then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SUMMARY %d %d %d %d\\n", summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def run_wrk(port, paths, work, name, count, connections=4):
    """Requests per second of wrk walking ``paths`` (``count`` of them counted, the rest
    for the requests in flight at the end) with ``connections`` connections, and the
    average bytes of an answer. (Unused: Debian's wrk 4.1.0 did not stop at
    ``wrk.thread:stop()`` from ``response()``, so it ran its whole ``-d``; see
    ``run_clients``.)"""
    listing = work / f"{name}.txt"
    listing.write_text(f"{count}\n" + "\n".join(paths) + "\n")
    script = work / "walk.lua"
    script.write_text(WRK_SCRIPT)
    result = subprocess.run(
        [WRK, "-t1", f"-c{connections}", "-d600s", "--timeout", "120s", "-H", "Host: localhost",
         "-s", str(script), f"http://{HOST}:{port}/", "--", str(listing)],
        capture_output=True, text=True, check=True,
    )
    match = re.search(r"SUMMARY (\d+) (\d+) (\d+) (\d+)", result.stdout)
    if not match:
        raise SystemExit(f"wrk said:\n{result.stdout}\n{result.stderr}")
    requests, duration_us, size, errors = (int(g) for g in match.groups())
    if errors or "status" in result.stderr:
        raise SystemExit(f"wrk: {errors} errors\n{result.stderr}")
    return requests / (duration_us / 1e6), size / max(requests, 1)


def _walk(args):
    port, paths = args
    sizes = [get(port, path)[1] for path in paths]
    return len(sizes), sum(sizes)


def run_clients(pool, port, paths, clients=4):
    """Requests per second of ``clients`` processes (already started) walking ``paths``
    once between them (one connection per request, as get() does), and the average bytes."""
    start = time.perf_counter()
    done = list(pool.map(_walk, [(port, paths[k::clients]) for k in range(clients)]))
    elapsed = time.perf_counter() - start
    requests = sum(n for n, _ in done)
    return requests / elapsed, sum(b for _, b in done) / max(requests, 1)


def measure_throughput(registry, datasette, urls, work, n, rounds=3, clients=4):
    from concurrent.futures import ProcessPoolExecutor

    print(f"  throughput: {clients} client processes, {rounds} rounds of {n} new URLs each …", flush=True)
    rng = random.Random(24)
    lists = [urls.mix(n, rng) for _ in range(rounds)]
    with ProcessPoolExecutor(clients) as pool:
        list(pool.map(time.sleep, [0] * clients))  # the processes started before the clock
        r, d = interleaved(rounds, lambda i: run_clients(pool, registry.port, [u for u, _ in lists[i]], clients),
                           lambda i: run_clients(pool, datasette.port, [u for _, u in lists[i]], clients))
    return [Row(f"throughput (req/s; ratio Datasette ÷ registry), {n} new URLs a round", r, d, 1.0,
                unit="req/s", inverse=True)]


# --- the run --------------------------------------------------------------------------


def machine(db_port, database):
    import psycopg

    cpu = memory = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
        kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    with psycopg.connect(host=HOST, port=db_port, user="postgres", dbname=database) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return (f"{platform.platform()}; {os.cpu_count()} cores {cpu}; {memory}; Python {platform.python_version()}; "
            f"PostgreSQL {pg}; SQLite {sqlite3.sqlite_version}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="The registry against Datasette (see the docstring).")
    parser.add_argument("--size", type=int, default=int(os.environ.get("SIZE", "10000")))
    parser.add_argument("--runs", type=int, default=11, help="samples per row and server (11)")
    parser.add_argument("--quiet", type=float, default=2.0,
                        help="seconds with nothing asked before each edit and each launch, so that each sample "
                             "times one edit or one start on an idle machine (both servers alike)")
    parser.add_argument("--urls", type=int, default=200, help="new URLs per throughput round (200)")
    parser.add_argument("--cache", choices=["local", "redis"], default=os.environ.get("CACHE", "local"),
                        help="the registry's cache: per process (LocMem, the default) or a shared redis-server, "
                             "as in the scaled-out shape (then a worker's restart keeps the cache)")
    args = parser.parse_args(argv)
    database = f"{os.environ.get('BENCH_DB_PREFIX', 'bench')}_{args.size}"
    started = time.monotonic()

    sys.path.insert(0, str(ROOT))
    os.environ["EMBEDDED_PG_DATABASE"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count

    from alliance.models import Meeting
    from alliance.public.entities import LISTS
    from config import localdb

    db_port = localdb.ensure_running()
    if not Meeting.objects.filter(slug__startswith="synth-").exists():
        raise SystemExit(f"{database} is empty: run `make bench SIZES=1000,{args.size}` first")
    entity = LISTS["meeting"]
    ordered = Meeting.objects.published().order_by(*entity.sorts[entity.default_sort].order())
    total = ordered.count()
    all_rows = Meeting.objects.count()
    registry_order = list(ordered.values_list("start_date", "pk"))
    bodies = list(
        Meeting.objects.published().filter(body__status="published").values_list("body__slug", "body__name_ja")
        .order_by().annotate(n=Count("id")).order_by("-n")
    )
    bodies = [(slug, name) for slug, name, _ in bodies]
    connection.close()

    print(f"Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M:%S} UTC; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    print(f"Machine: {machine(db_port, database)}")
    print(f"Size: database {database}: {total:,} published meetings of {all_rows:,}; {len(bodies)} bodies with meetings")
    print(f"Samples: {args.runs} per row and server, interleaved; quiet gap {args.quiet} s before each edit and launch")

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
    datasette = edits = None
    try:
        print(f"Loading the registry's CSV of {total:,} published meetings into SQLite …", flush=True)
        conn = http.client.HTTPConnection(HOST, registry.port, timeout=600)
        conn.request("GET", "/meetings/export.csv", headers={"Host": "localhost"})
        csv_bytes = conn.getresponse().read()
        conn.close()
        sqlite_path = work / "registry.db"
        header, searchable = build_sqlite(csv_bytes, sqlite_path)
        missing = [c for c in (*LIST_COLUMNS, *FACETS) if c not in header]
        if missing:
            raise SystemExit(f"the registry's CSV has no column {', '.join(missing)}")
        metadata = work / "metadata.json"
        metadata.write_text(json.dumps({"databases": {"registry": {"tables": {"meetings": {
            "fts_table": "meetings_fts", "fts_pk": "rowid", "sort_desc": "start", "size": PAGE_SIZE}}}}}))
        db = sqlite3.connect(sqlite_path)
        sqlite_order = db.execute("SELECT start, rowid FROM meetings ORDER BY start DESC, rowid DESC").fetchall()
        db.close()
        urls = Urls(searchable, registry_order, sqlite_order, bodies)
        datasette = datasette_server(binary, sqlite_path, metadata)
        datasette.start()
        edits = Edits(db_port, database, sqlite_path)

        rows = measure_pages(registry, datasette, urls, edits, args.runs, args.quiet)
        rows += measure_start(registry, datasette, urls, args.runs, args.quiet)
        rows += measure_csv(registry, datasette, db_port, database, args.runs)
        rows += measure_throughput(registry, datasette, urls, work, args.urls)
    finally:
        if edits is not None:
            edits.close()
        if datasette is not None:
            datasette.stop()
        registry.stop()
        if cache_process is not None:
            cache_process.terminate()
            cache_process.wait(timeout=30)

    print()
    print_table(rows)
    print()
    print("Ratio: registry ÷ Datasette (or ÷ COPY) of the medians; throughput Datasette ÷ registry. "
          "(issue 24) marks the issue's targets.")
    print(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"the run took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
