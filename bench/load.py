"""Load and fault test of the production configuration, on loopback only, bounded in time.

Run with `make load` after `make bench` (it uses the 100,000-meeting benchmark database).

`make load` (``--shape scaled``, the default) runs the scaled-out shape: two gunicorn
instances sharing one Redis-compatible cache (Debian's redis-server or valkey-server,
started on a free loopback port, in memory only), writing the embedded PostgreSQL and
reading a streaming replica of it (pg_basebackup -R into a temporary folder). Readers are
spread over both instances; 1 and 16 users, with and without pauses; it reports
requests/s, p50/p95 as the readers saw them and as the servers logged them, errors, and
how many answers came from the cache and the replica. Target: zero errors, p95 at 16
pausing users <= 2x p95 at one pausing user (the first LOAD_SINGLE_PAUSED requests, 120 by
default: one reader at a page a second takes two minutes). A reader who never pauses keeps
every process and core awake, which a pausing one does not (on this VM a request to an idle
server costs 2-3x one to a busy one); that comparison is printed for reference.

Then (``LOAD_FAULTS=0`` skips them) each part in turn fails under LOAD_FAULT_READERS (6)
pausing readers and an editor saving every 3 s: the replica frozen (SIGSTOP) 20 s, the
primary stopped 10 s, the replica stopped 30 s, the cache frozen 20 s; for each it prints
the readers' errors, p95 and slowest answer while the part was out, the editor's answers
(a 503 must say nothing was saved), and the seconds from the part's return until the site
used it again (issue 22's table; targets in the README's "When a part hangs or dies").

`make load SHAPE=single` (``--shape single``) serves the registry with one gunicorn
(DJANGO_ENV=production, DEBUG off, pooled connections) against the embedded PostgreSQL, then:

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
DATABASE = os.environ.get("LOAD_DATABASE", "bench_100000")
# A reader's pause between pages, in seconds (uniformly random in this range).
THINK = tuple(float(x) for x in os.environ.get("LOAD_THINK", "0.2,1.5").split(","))
# How many of the requests the single pausing reader sends (at ~0.85 s a page: ~2 minutes).
SINGLE_PAUSED = int(os.environ.get("LOAD_SINGLE_PAUSED", "120"))

URLS = [
    (5, "/meetings/"),
    (3, "/meetings/?kind=summit"),
    (2, "/meetings/?from=2010&to=2012&sort=date"),
    (3, "/meetings/?q=" + quote("嘉手納")),
    (1, "/meetings/?q=" + quote("呉")),
    (2, "/agreements/"),
    (2, "/bodies/"),
    (2, "/seats/?as_needed=yes"),
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

    def __init__(self, n, urls=None, seconds=None, seed=1, think=(0.0, 0.0), ports=None):
        self.n, self.seed, self.think = n, seed, think
        # Several instances behind one address, as a load balancer would spread readers.
        self.ports = ports or [PORT]
        self.headers = {}  # (header, value) -> count, for X-Cache and X-Database
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
        port = self.ports[i % len(self.ports)]
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
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
                seen = [(name, response.getheader(name)) for name in ("X-Cache", "X-Database") if response.getheader(name)]
            except (OSError, http.client.HTTPException):
                status = 0  # connection refused or reset: an error
                seen = []
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            with self.lock:
                self.results.append((start, time.monotonic() - start, status))
                for pair in seen:
                    self.headers[pair] = self.headers.get(pair, 0) + 1
            if self.think[1]:
                time.sleep(rng.uniform(*self.think))  # a reader looks at the page
        conn.close()


def server_times(logs, offsets, expected, wait=5.0):
    """p50 and p95 of the request times the servers logged after ``offsets`` (gunicorn's
    access log, %(D)s: microseconds), once ``expected`` lines are there (or after ``wait``)."""
    deadline = time.monotonic() + wait
    while True:
        times = []
        for port, log in logs.items():
            with open(log) as lines:
                lines.seek(offsets[port])
                times += [int(line) / 1e6 for line in lines if line.strip().isdigit()]
        if len(times) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    times.sort()
    if not times:
        return {"p50": float("nan"), "p95": float("nan")}
    return {"p50": statistics.median(times), "p95": times[max(int(len(times) * 0.95) - 1, 0)]}


def summarise(results, seconds):
    latencies = sorted(r[1] for r in results)
    errors = sum(1 for r in results if r[2] == 0 or r[2] >= 500)
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    return {"requests": len(results), "rps": len(results) / seconds, "p50": p50, "p95": p95, "errors": errors}


def wait_until_up(timeout=60, port=PORT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/", headers={"Host": "localhost"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not come up")


def main_single():
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


# --- the scaled-out shape: two instances, a shared cache, a primary and a replica ----------


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_cache_server():
    import shutil

    binary = shutil.which("valkey-server") or shutil.which("redis-server")
    if binary is None:
        raise SystemExit("no valkey-server or redis-server: install Debian's redis-server (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
         "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    return process, f"redis://{HOST}:{port}/0"


def start_replica(primary_port):
    """A streaming replica of the embedded server (pg_basebackup -R from the same wheel),
    in a temporary folder, on a free port. Returns (data directory, port)."""
    sys.path.insert(0, str(ROOT))
    from config import localdb as ldb

    top = Path(tempfile.mkdtemp(prefix="alliance-load-replica-"))
    top.chmod(0o711)
    work = top / "pg"
    work.mkdir(mode=0o700)
    ldb._chown_for_server(work)
    data = work / "replica"
    print("  pg_basebackup of the embedded server …", flush=True)
    result = ldb._pg("pg_basebackup", "-h", HOST, "-p", str(primary_port), "-U", "postgres", "-D", str(data),
                     "-R", "-X", "stream", "-c", "fast", timeout=1800)
    if result.returncode != 0:
        raise SystemExit(f"pg_basebackup failed: {result.stderr}")
    port = free_port()
    options = f"-c listen_addresses={HOST} -c port={port} -c unix_socket_directories=''"
    result = ldb._pg("pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-o", options, "-w", "-t", "120", "start")
    if result.returncode != 0:
        raise SystemExit(f"the replica did not start: {result.stderr}")
    return top, data, port


def stop_replica(top, data):
    import shutil

    sys.path.insert(0, str(ROOT))
    from config import localdb as ldb

    ldb._pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "-t", "60", "stop")
    shutil.rmtree(top, ignore_errors=True)


def main_scaled():
    """Two gunicorn instances sharing a Redis-compatible cache, reading a streaming replica
    and writing the primary; readers spread over both instances."""
    was_running = db_port() is not None
    localdb("start")
    port = db_port()
    static = tempfile.mkdtemp(prefix="alliance-static-")
    cache, cache_url = start_cache_server()
    replica_top = replica_data = None
    servers = []
    try:
        replica_top, replica_data, replica_port = start_replica(port)
        workers = os.environ.get("LOAD_WORKERS", "2")
        env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
            "DATABASE_URL": f"postgres://postgres@{HOST}:{port}/{DATABASE}",
            "DATABASE_REPLICA_URLS": f"postgres://postgres@{HOST}:{replica_port}/{DATABASE}",
            "DATABASE_POOL": "true",
            "CACHE_URL": cache_url,
            "DJANGO_STATIC_ROOT": static,
            "RELEASE_ID": "load",  # the same on both instances: they share pages
        }
        env.pop("DJANGO_DEBUG", None)
        subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        ports = [PORT, PORT + 1]
        # Each request's time as the server measured it (microseconds), beside the readers'.
        logs = {p: Path(tempfile.mkdtemp(prefix="alliance-access-")) / "access.log" for p in ports}
        for instance_port in ports:
            servers.append(subprocess.Popen(
                [str(Path(PY).parent / "gunicorn"), "config.wsgi:application", "--bind", f"{HOST}:{instance_port}",
                 "--workers", workers, "--worker-class", "gthread", "--threads", "4", "--timeout", "60",
                 "--log-level", "warning", "--access-logfile", str(logs[instance_port]), "--access-logformat", "%(D)s"],
                cwd=ROOT, env=env, start_new_session=True,
            ))
        for instance_port in ports:
            wait_until_up(port=instance_port)
        rng = random.Random(42)
        workload = [pick(rng) for _ in range(REQUESTS)]
        Users(4, workload, ports=ports).run()  # warm both instances and the shared cache
        print(f"Two gunicorn instances ({workers} workers x 4 threads each), DEBUG off, pooled connections;")
        print(f"one shared cache ({Path(cache.args[0]).name}), the primary and one streaming replica; database {DATABASE}")
        print(f"The same {REQUESTS} requests each time (lists, filters, searches, record pages, CSV), spread over both instances.")
        print(f"A single pausing reader sends the first {SINGLE_PAUSED} of them (at about a page a second).")
        # LOAD_JUDGED=0: the faults alone.
        if os.environ.get("LOAD_JUDGED", "1") != "0":
            stress_one = judged = None
            for title, think, target in (
                (f"Readers pausing {THINK[0]}-{THINK[1]} s between pages (judged)", THINK, 2.0),
                ("Stress: no pause between requests (for reference; 2 cores)", (0.0, 0.0), None),
            ):
                print(f"\n{title}")
                print(f"{'users':>5} {'requests':>9} {'req/s':>8} {'p50':>9} {'p95':>9} {'errors':>7}  "
                      f"{'server p50':>10} {'server p95':>10}  served by")
                table = {}
                for users in (1, 16):
                    # One pausing reader is compared with sixteen pausing readers: the same
                    # behaviour, one or many (a reader who never pauses keeps the server hot,
                    # and is the stress run's).
                    requests = workload[:SINGLE_PAUSED] if users == 1 and think != (0.0, 0.0) else workload
                    offsets = {p: logs[p].stat().st_size if logs[p].exists() else 0 for p in ports}
                    run = Users(users, requests, think=think, ports=ports)
                    table[users] = summarise(run.run(), run.elapsed)
                    server = server_times(logs, offsets, len(requests))
                    t = table[users]
                    served = ", ".join(f"{name} {value}: {count}" for (name, value), count in sorted(run.headers.items()))
                    print(f"{users:>5} {t['requests']:>9} {t['rps']:>8.1f} {t['p50'] * 1000:>7.1f}ms {t['p95'] * 1000:>7.1f}ms {t['errors']:>7}  "
                          f"{server['p50'] * 1000:>8.1f}ms {server['p95'] * 1000:>8.1f}ms  {served}")
                ratio = table[16]["p95"] / table[1]["p95"]
                errors = table[1]["errors"] + table[16]["errors"]
                if target:
                    judged = table
                    print(f"p95 at 16 users / p95 at 1 user = {ratio:.2f} (target <= {target}): {'PASS' if ratio <= target else 'MISS'}")
                else:
                    stress_one = table[1]
                    print(f"p95 at 16 users / p95 at 1 user = {ratio:.2f}")
                print(f"errors: {errors} (target 0): {'PASS' if errors == 0 else 'MISS'}")
            print(f"\n(p95 of 16 pausing readers / p95 of one reader who never pauses, the comparison this "
                  f"harness made before: {judged[16]['p95'] / stress_one['p95']:.2f})")
        if os.environ.get("LOAD_FAULTS", "1") != "0":
            run_faults(env, ports, replica_data, replica_port, cache)
    finally:
        thaw(list(frozen_processes))  # a fault interrupted: nothing stays frozen
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)
        os.killpg(cache.pid, signal.SIGTERM)
        cache.wait(timeout=30)
        if replica_data is not None:
            stop_replica(replica_top, replica_data)
        if not was_running:
            localdb("stop")
    return 0


# --- faults of the scaled-out shape --------------------------------------------------------
#
# Each part in turn frozen (SIGSTOP: it holds its sockets and answers nothing, as a hung
# host does) or stopped, under LOAD_FAULT_READERS readers on (mostly) unique URLs pausing
# as readers do and an editor saving every 3 s; for each: the readers' errors, their p95
# and slowest answer while the part was out, the editor's answers, and the seconds from
# the part's return until the site used it again.

FAULT_READERS = int(os.environ.get("LOAD_FAULT_READERS", "6"))
frozen_processes: list[int] = []


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def cluster_pids(data):
    import psutil

    postmaster = psutil.Process(int((Path(data) / "postmaster.pid").read_text().split()[0]))
    return [postmaster.pid, *(child.pid for child in postmaster.children(recursive=True))]


def freeze(pids):
    frozen_processes.extend(pids)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)


def thaw(pids):
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGCONT)
        if pid in frozen_processes:
            frozen_processes.remove(pid)


class Editor:
    """A signed-in editor who unpublishes and republishes one meeting every ``every`` seconds
    through the admin (an action on the changelist, as in the browser); each answer is
    kept as (started, seconds, status, body)."""

    def __init__(self, port, username, password, pk, every=3.0):
        import http.cookiejar
        import urllib.request

        self.base = f"http://{HOST}:{port}"
        self.every = every
        self.answers = []
        self.stopping = threading.Event()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        class BehindTheProxy(http.cookiejar.DefaultCookiePolicy):
            # The production settings mark cookies Secure; here the TLS proxy is left out.
            def return_ok_secure(self, cookie, request):
                return True

        jar = http.cookiejar.CookieJar(policy=BehindTheProxy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
        status, page = self.request("/admin/login/")
        self.request("/admin/login/?next=/admin/", {"csrfmiddlewaretoken": self.token(page), "username": username,
                                                     "password": password, "next": "/admin/"})
        self.pk = pk

    @staticmethod
    def token(page):
        import re

        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        return found.group(1) if found else ""

    def request(self, path, data=None):
        import urllib.error
        import urllib.parse
        import urllib.request

        body = urllib.parse.urlencode(data).encode() if data is not None else None
        # As the TLS proxy forwards it (the settings trust X-Forwarded-Proto behind a proxy).
        headers = {"Host": "localhost", "X-Forwarded-Proto": "https", "Origin": "https://localhost",
                   "Referer": f"https://localhost{path}"}
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except OSError:
            return 0, ""

    def run(self):
        token, action = "", "unpublish"
        while not self.stopping.wait(self.every):
            started = time.monotonic()
            if not token:
                status, page = self.request("/admin/alliance/meeting/")
                token = self.token(page)
            status, page = self.request("/admin/alliance/meeting/", {
                "csrfmiddlewaretoken": token, "action": action, "_selected_action": self.pk, "index": "0", "select_across": "0"})
            self.answers.append((started, time.monotonic() - started, status, page))
            if status == 302:
                action = "publish" if action == "unpublish" else "unpublish"


def probe_until(check, timeout=90.0):
    """Seconds until ``check()`` holds (asked every 0.2 s), or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def get(port, path):
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        conn.request("GET", path, headers={"Host": "localhost"})
        response = conn.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    except (OSError, http.client.HTTPException):
        return 0, {}


def run_faults(env, ports, replica_data, replica_port, cache):
    """The four faults of issue 22's table, one after the other (see the comment above)."""
    made = subprocess.run(
        [PY, "manage.py", "shell", "-v", "0", "-c",
         "from django.contrib.auth import get_user_model as g; U = g(); "
         "U.objects.filter(username='load-editor').exists() or U.objects.create_superuser('load-editor', password='load-editor-password'); "
         "from alliance.models import Meeting; print(Meeting.objects.get(slug='synth-meeting-7').pk)"],
        cwd=ROOT, env={k: v for k, v in env.items() if k != "DATABASE_REPLICA_URLS"}, check=True, capture_output=True, text=True,
    )
    meeting = made.stdout.split()[-1]
    primary_port = db_port()

    def replica_used():
        return get(ports[0], "/agreements/?sort=name")[1].get("X-Database") == "replica"

    def cache_used():
        get(ports[0], "/bodies/")
        return get(ports[0], "/bodies/")[1].get("X-Cache") == "hit"

    def editor_saves(editor):
        return lambda: editor.request("/admin/")[0] == 200

    replica_pids = []
    faults = [
        ("replica frozen (SIGSTOP) 20 s", 20,
         lambda: (replica_pids.clear(), replica_pids.extend(cluster_pids(replica_data)), freeze(replica_pids)),
         lambda: thaw(replica_pids), lambda editor: replica_used),
        ("primary stopped 10 s", 10, lambda: localdb("stop"),
         lambda: localdb("start", env={**os.environ, "EMBEDDED_PG_PORT": str(primary_port)}), editor_saves),
        ("replica stopped 30 s", 30, lambda: stop_cluster(replica_data),
         lambda: start_cluster(replica_data, replica_port), lambda editor: replica_used),
        ("cache frozen (SIGSTOP) 20 s", 20, lambda: freeze([cache.pid]), lambda: thaw([cache.pid]), lambda editor: cache_used),
    ]
    print(f"\nFaults: {FAULT_READERS} readers pausing {THINK[0]}-{THINK[1]} s on unique pages, one editor saving every 3 s;")
    print("defaults of every timeout and retry setting (README: Configuration)")
    print(f"{'fault':<30} {'answers':>7} {'errors':>6} {'p95 out':>8} {'max out':>8} {'>0.4s':>6} {'p95 after':>9} "
          f"{'editor (status: n)':<26} {'recover':>8}")
    for title, seconds, fault, restore, recovered in faults:
        editor = Editor(ports[0], "load-editor", "load-editor-password", meeting)
        users = Users(FAULT_READERS, seconds=seconds + 20, seed=len(title), think=THINK, ports=ports)
        runner = threading.Thread(target=users.run)
        saver = threading.Thread(target=editor.run)
        runner.start()
        saver.start()
        time.sleep(5)
        out_at = time.monotonic()
        fault()
        time.sleep(seconds)
        back_at = time.monotonic()
        restore()
        recovery = probe_until(recovered(editor))
        runner.join()
        editor.stopping.set()
        saver.join()
        during = [r for r in users.results if out_at <= r[0] < back_at]
        after = [r for r in users.results if r[0] >= back_at]
        errors = sum(1 for r in users.results if r[2] == 0 or r[2] >= 500)
        out = summarise(during, seconds) if during else {"p95": float("nan")}
        later = summarise(after, 1) if after else {"p95": float("nan")}
        edits = {}
        for answer in editor.answers:
            edits[answer[2]] = edits.get(answer[2], 0) + 1
        clear_503 = all("保存されていません" in a[3] for a in editor.answers if a[2] == 503)
        editor_text = ", ".join(f"{k}: {v}" for k, v in sorted(edits.items())) + ("" if clear_503 else " (503 unclear)")
        slowest = max((r[1] for r in during), default=float("nan"))
        waited = sum(1 for r in during if r[1] > 0.4)  # the answers that waited for the part
        print(f"{title:<30} {len(users.results):>7} {errors:>6} {out['p95']:>7.2f}s {slowest:>7.2f}s {waited:>6} {later['p95']:>8.2f}s "
              f"{editor_text:<26} {recovery if recovery is None else f'{recovery:.1f}s':>8}", flush=True)


def stop_cluster(data):
    sys.path.insert(0, str(ROOT))
    from config import localdb as ldb

    ldb._pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "-t", "60", "stop")


def start_cluster(data, port):
    sys.path.insert(0, str(ROOT))
    from config import localdb as ldb

    options = f"-c listen_addresses={HOST} -c port={port} -c unix_socket_directories=''"
    ldb._pg("pg_ctl", "-D", str(data), "-l", str(Path(data) / "server.log"), "-o", options, "-w", "-t", "120", "start")


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="Load test on loopback (see the module's docstring).")
    parser.add_argument("--shape", choices=("scaled", "single"), default=os.environ.get("LOAD_SHAPE", "scaled"),
                        help="scaled: two instances, shared cache, primary + replica (default); "
                             "single: one instance, its own cache, the database stopped mid-run")
    args = parser.parse_args(argv)
    return main_scaled() if args.shape == "scaled" else main_single()


if __name__ == "__main__":
    sys.exit(main())
