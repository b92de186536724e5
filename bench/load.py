"""Load and fault test of the production configuration, on loopback only, bounded in time.

Run with `make load` after `make bench` (it uses the 100,000-meeting benchmark database).
It serves the registry with gunicorn (DJANGO_ENV=production, DEBUG off, pooled
connections) against the embedded PostgreSQL, then:

1. sends the same LOAD_REQUESTS requests with 1 and with 16 concurrent users (lists, filters,
   searches, record pages, CSV downloads) and reports requests per second, p50/p95
   latency and errors; target: zero errors, p95 at 16 users <= 4x p95 at one. Users
   pause LOAD_THINK seconds between pages, as readers do (judged); the same run without
   pauses (16 request loops on a 2-core machine: a saturation test) is printed too;
2. stops PostgreSQL in the middle of a run and starts it again: every answer while it is
   down must be a 503 (no 500), and the site must answer 200 again within seconds.
"""

import http.client
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST, PORT = "127.0.0.1", int(os.environ.get("LOAD_PORT", "8765"))
REQUESTS = int(os.environ.get("LOAD_REQUESTS", "600"))
DATABASE = os.environ.get("LOAD_DATABASE", "bench_large")
# A reader's pause between pages, in seconds (uniformly random in this range).
THINK = tuple(float(x) for x in os.environ.get("LOAD_THINK", "0.2,1.5").split(","))

URLS = [
    (5, "/meetings/"),
    (3, "/meetings/?kind=summit"),
    (2, "/meetings/?from=2010&to=2012&sort=date"),
    (3, "/meetings/?q=" + quote("嘉手納")),
    (1, "/meetings/?q=" + quote("呉")),
    (2, "/agreements/"),
    (2, "/bodies/"),
    (2, "/members/?as_needed=yes"),
    (2, "/people/?q=" + quote("山田")),
    (6, "MEETING"),
    (2, "AGREEMENT"),
    (1, "/meetings/export.csv?kind=summit&from=2024"),
    (1, "/agreements/export.csv?kind=treaty"),
    (1, "/en/meetings/"),
    (1, "/chronology/"),
]


def localdb(*args, env=None):
    return subprocess.run([PY, "-m", "config.localdb", *args], cwd=ROOT, env=env or os.environ, capture_output=True, text=True, check=False).stdout


def db_port():
    sys.path.insert(0, str(ROOT))
    from config import localdb as ldb

    running = ldb._postmaster()
    return running[1] if running else None


def pick(rng):
    url = rng.choices([u for _w, u in URLS], weights=[w for w, _u in URLS])[0]
    if url == "MEETING":
        return f"/meetings/synth-meeting-{rng.randrange(100000)}/"
    if url == "AGREEMENT":
        return f"/agreements/synth-agreement-{rng.randrange(5000)}/"
    return url


class Users:
    """N simulated readers, each with its own keep-alive connection, working through one
    shared list of requests (so every run sends the same requests), or until a deadline."""

    def __init__(self, n, urls=None, seconds=None, seed=1, think=(0.0, 0.0)):
        self.n, self.seed, self.think = n, seed, think
        self.urls = list(urls) if urls is not None else None
        self.seconds = seconds
        self.results = []  # (start, latency, status)
        self.lock = threading.Lock()

    def run(self):
        started = time.monotonic()
        stop_at = started + self.seconds if self.seconds else None
        threads = [threading.Thread(target=self.user, args=(i, stop_at)) for i in range(self.n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.elapsed = time.monotonic() - started
        return self.results

    def next_url(self, rng):
        if self.urls is None:
            return pick(rng)
        with self.lock:
            return self.urls.pop(0) if self.urls else None

    def user(self, i, stop_at):
        rng = random.Random(self.seed * 1000 + i)
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        while stop_at is None or time.monotonic() < stop_at:
            url = self.next_url(rng)
            if url is None:
                break
            start = time.monotonic()
            try:
                conn.request("GET", url, headers={"Host": "localhost"})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0  # connection refused or reset: an error
                conn.close()
                conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
            with self.lock:
                self.results.append((start, time.monotonic() - start, status))
            if self.think[1]:
                time.sleep(rng.uniform(*self.think))  # a reader looks at the page
        conn.close()


def summarise(results, seconds):
    latencies = sorted(r[1] for r in results)
    errors = sum(1 for r in results if r[2] == 0 or r[2] >= 500)
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    return {"requests": len(results), "rps": len(results) / seconds, "p50": p50, "p95": p95, "errors": errors}


def wait_until_up(timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, PORT, timeout=5)
            conn.request("GET", "/", headers={"Host": "localhost"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not come up")


def main():
    was_running = db_port() is not None
    localdb("start")
    port = db_port()
    static = tempfile.mkdtemp(prefix="alliance-static-")
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/{DATABASE}",
        "DATABASE_POOL": "true",
        "DJANGO_STATIC_ROOT": static,
    }
    env.pop("DJANGO_DEBUG", None)
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    workers = os.environ.get("LOAD_WORKERS", str((os.cpu_count() or 2) + 1))
    server = subprocess.Popen(
        [str(Path(PY).parent / "gunicorn"), "config.wsgi:application", "--bind", f"{HOST}:{PORT}",
         "--workers", workers, "--worker-class", "gthread", "--threads", "4", "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        wait_until_up()
        rng = random.Random(42)
        workload = [pick(rng) for _ in range(REQUESTS)]
        Users(4, workload).run()  # warm the workers and their caches with the same requests
        print(f"gunicorn: {workers} workers x 4 threads, DEBUG off, pooled connections; database {DATABASE}")
        print(f"The same {REQUESTS} requests each time (lists, filters, searches, record pages, CSV).")
        for title, think in (
            (f"Readers pausing {THINK[0]}-{THINK[1]} s between pages (judged)", THINK),
            ("Stress: no pause between requests (for reference; 2 cores)", (0.0, 0.0)),
        ):
            print(f"\n{title}")
            print(f"{'users':>5} {'requests':>9} {'req/s':>8} {'p50':>9} {'p95':>9} {'errors':>7}")
            table = {}
            for users in (1, 16):
                run = Users(users, workload, think=think if users > 1 else (0.0, 0.0))
                table[users] = summarise(run.run(), run.elapsed)
                t = table[users]
                print(f"{users:>5} {t['requests']:>9} {t['rps']:>8.1f} {t['p50'] * 1000:>7.1f}ms {t['p95'] * 1000:>7.1f}ms {t['errors']:>7}")
            ratio = table[16]["p95"] / table[1]["p95"]
            errors = table[1]["errors"] + table[16]["errors"]
            print(f"p95 at 16 users / p95 at 1 user = {ratio:.2f} (target <= 4): {'PASS' if ratio <= 4 else 'MISS'}")
            print(f"errors: {errors} (target 0): {'PASS' if errors == 0 else 'MISS'}")

        print("\nFault: PostgreSQL stopped mid-load, then started again")
        users = Users(4, seconds=24, seed=7)
        runner = threading.Thread(target=users.run)
        t0 = time.monotonic()
        runner.start()
        time.sleep(6)
        localdb("stop")
        stopped = time.monotonic()
        time.sleep(8)
        localdb("start", env={**os.environ, "EMBEDDED_PG_PORT": str(port)})
        restarted = time.monotonic()
        runner.join()
        down = [r for r in users.results if stopped + 0.5 <= r[0] <= restarted]
        after = sorted((r for r in users.results if r[0] >= restarted), key=lambda r: r[0])
        statuses_down = {}
        for r in down:
            statuses_down[r[2]] = statuses_down.get(r[2], 0) + 1
        first_ok = next((r[0] for r in after if r[2] == 200), None)
        bad = [r for r in users.results if r[2] == 0 or (r[2] >= 500 and r[2] != 503)]
        print(f"  answers while the database was down: {dict(sorted(statuses_down.items()))}")
        print(f"  500s or dropped connections during the whole run: {len(bad)} (target 0): {'PASS' if not bad else 'MISS'}")
        if first_ok is None:
            print("  the site did not recover: MISS")
        else:
            print(f"  first 200 after the database came back: {first_ok - restarted:.2f} s: {'PASS' if first_ok - restarted < 5 else 'MISS'}")
        print(f"  (database stopped at {stopped - t0:.1f} s, started at {restarted - t0:.1f} s)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if not was_running:
            localdb("stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
