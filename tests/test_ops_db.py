"""Operating on a real server (issue 10, findings 10 and 12): the pool after a restart,
restores on older PostgreSQL, passwords with URL characters, the C ctype, the container."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent


def settings_of(env: dict, expression: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "POSTGRES_"))}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_postgres_password_with_url_characters_reaches_the_driver_unchanged():
    password = "p@ss/w#rd%41:x?y z"
    env = {"POSTGRES_HOST": "db", "POSTGRES_USER": "alli:ance", "POSTGRES_PASSWORD": password, "POSTGRES_DB": "registry"}
    out = settings_of(env, "'|'.join(str(settings.DATABASES['default'][k]) for k in ('HOST', 'PORT', 'USER', 'PASSWORD', 'NAME'))")
    assert out == f"db|5432|alli:ance|{password}|registry"


# --- the container -------------------------------------------------------------------


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_publishes_gunicorn_on_loopback_only_and_trusts_only_the_proxy():
    web = compose()["services"]["web"]
    for port in web["ports"]:
        assert str(port).startswith("127.0.0.1:"), port
    env = web["environment"]
    assert env["FORWARDED_ALLOW_IPS"] == "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
    assert env["AXES_PROXY_COUNT"] == "${AXES_PROXY_COUNT:-1}"
    # The password goes by parts, percent-encoded by the settings, never pasted into a URL.
    assert "DATABASE_URL" not in env and env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")


def test_the_web_service_has_a_health_check_that_needs_no_curl():
    check = compose()["services"]["web"]["healthcheck"]
    command = check["test"]
    assert command[0] == "CMD" and command[1] == "python" and "curl" not in " ".join(command)
    assert "http://127.0.0.1:8000/healthz" in command[-1]
    # The one-liner itself is valid Python.
    compile(command[-1], "healthcheck", "exec")


def test_static_files_are_collected_when_the_image_is_built_not_at_each_start():
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    commands = [line for line in entrypoint.splitlines() if not line.lstrip().startswith("#")]
    assert not any("collectstatic" in line for line in commands)
    dockerfile = (ROOT / "Dockerfile").read_text()
    run = next(block for block in dockerfile.split("RUN ")[1:] if "collectstatic" in block)
    assert "DJANGO_ENV=production" in run
    assert dockerfile.index("collectstatic") > dockerfile.index("COPY . .")


def test_the_build_time_collectstatic_works_without_a_database(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "POSTGRES_"))}
    env = {
        **base, "DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "collectstatic-at-build-only",
        "DATABASE_URL": "postgres://build@build.invalid/build", "DJANGO_STATIC_ROOT": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").is_file()


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["registry.example.org"])
def test_healthz_answers_ok_from_inside_the_container(client):
    # Plain HTTP, Host 127.0.0.1: what the health check sends, past the redirect and host check.
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400, "other paths still check the host"


# --- restoring a backup on an older PostgreSQL -------------------------------------------

PG15 = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A throw-away PostgreSQL cluster in a temporary folder, on a free port."""

    def __init__(self, bin_dir: Path, folder: Path):
        from config import localdb

        self.bin_dir, self.folder, self.port = bin_dir, folder, free_port()
        self.run_as = localdb._run_as()
        folder.mkdir(mode=0o700)
        localdb._chown_for_server(folder)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "LC_"))} | {"LANG": "C.UTF-8"}
        result = self.pg("initdb", "-D", str(folder / "cluster"), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                         "--lc-ctype=C.UTF-8", "--lc-collate=C", "--lc-messages=C")
        assert result.returncode == 0, result.stderr

    def pg(self, name, *args):
        return subprocess.run(
            [str(self.bin_dir / name), *args], env=self.env, cwd="/", capture_output=True, text=True, timeout=120,
            check=False, stdin=subprocess.DEVNULL, **self.run_as,
        )

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        result = self.pg("pg_ctl", "-D", str(self.folder / "cluster"), "-o", options, "-l", str(self.folder / "log"), "-w", "start")
        assert result.returncode == 0, result.stderr

    def stop(self):
        self.pg("pg_ctl", "-D", str(self.folder / "cluster"), "-m", "fast", "-w", "stop")

    def url(self, database="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def postgres15(tmp_path):
    """A PostgreSQL 15 server of Debian's packages (.ci/run installs them), on a free port."""
    if not (PG15 / "initdb").exists():
        pytest.skip("PostgreSQL 15 binaries are not installed (apt-get install postgresql-15, as .ci/run does)")
    server = Server(PG15, tmp_path / "pg15")
    server.start()
    try:
        subprocess.run([str(PG15 / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "restored"], check=True, env=server.env)
        yield server.url("restored")
    finally:
        server.stop()


def manage(*args, url):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "POSTGRES_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, "DATABASE_URL": url},
        capture_output=True, text=True, timeout=300, check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_postgresql_15(postgres15, tmp_path):
    import psycopg
    from django.core.management import call_command

    from alliance.models import Agreement, Citation

    call_command("seed", verbosity=0)
    dump = tmp_path / "registry.dump"
    call_command("backup", str(dump))
    expected = (Agreement.objects.count(), Citation.objects.count(), Agreement.objects.get(slug="sofa").name_ja)

    result = manage("restore", str(dump), "--yes", url=postgres15)
    assert result.returncode == 0, result.stdout + result.stderr
    with psycopg.connect(postgres15) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        restored = (
            conn.execute("SELECT count(*) FROM alliance_agreement").fetchone()[0],
            conn.execute("SELECT count(*) FROM alliance_citation").fetchone()[0],
            conn.execute("SELECT name_ja FROM alliance_agreement WHERE slug = 'sofa'").fetchone()[0],
        )
        trigrams = conn.execute("SELECT cardinality(show_trgm('同盟調整メカニズム'))").fetchone()[0]
        found = conn.execute("SELECT count(*) FROM alliance_body WHERE search_text LIKE '%%同盟調整%%'").fetchone()[0]
    assert version.startswith("15")
    assert restored == expected
    assert trigrams > 0 and found > 0, "trigram search works on the restored database"
    # Restoring again over the restored data (--clean) works too, and the registry runs on it.
    assert manage("restore", str(dump), "--yes", url=postgres15).returncode == 0
    check = manage("check", "--database", "default", url=postgres15)
    assert check.returncode == 0, check.stdout + check.stderr
    assert manage("migrate", "--check", url=postgres15).returncode == 0


# --- restoring where another role owns pg_trgm (issue 20, finding 9) ----------------------


@pytest.fixture
def managed_postgres15(tmp_path):
    """PostgreSQL 15 set up as managed services are: the registry's role is no superuser
    and owns its database, and pg_trgm was created in it by the provider's superuser.
    Yields (server, url of that database as the registry's role)."""
    if not (PG15 / "initdb").exists():
        pytest.skip("PostgreSQL 15 binaries are not installed (apt-get install postgresql-15, as .ci/run does)")
    import psycopg

    server = Server(PG15, tmp_path / "pg15")
    server.start()
    try:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE ROLE registry LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
            conn.execute("CREATE DATABASE managed OWNER registry")
        with psycopg.connect(server.url("managed"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_trgm")
        yield server, f"postgres://registry@127.0.0.1:{server.port}/managed"
    finally:
        server.stop()


def small_backup(tmp_path):
    from django.core.management import call_command

    from .factories import make_body

    make_body(slug="acm", name_ja="同盟調整メカニズム")
    dump = tmp_path / "registry.dump"
    call_command("backup", str(dump))
    return dump


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_where_another_role_owns_pg_trgm(managed_postgres15, tmp_path):
    import psycopg

    server, url = managed_postgres15
    dump = small_backup(tmp_path)
    with psycopg.connect(url) as conn:
        owner = conn.execute("SELECT r.rolname FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner WHERE extname = 'pg_trgm'").fetchone()
        assert owner == ("postgres",) and conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)

    result = manage("restore", str(dump), "--yes", url=url)
    assert result.returncode == 0, result.stdout + result.stderr
    # Again, over what it restored (--clean), and the registry runs on it.
    again = manage("restore", str(dump), "--yes", url=url)
    assert again.returncode == 0, again.stdout + again.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM alliance_body WHERE search_text LIKE '%%同盟調整%%'").fetchone()[0] == 1
        owner = conn.execute("SELECT r.rolname FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner WHERE extname = 'pg_trgm'").fetchone()
    assert owner == ("postgres",), "the provider's extension is left as it was"
    assert manage("migrate", "--check", url=url).returncode == 0


@pytest.mark.django_db(transaction=True)
def test_a_restore_that_needs_an_extension_it_may_not_create_says_what_to_do_before_starting(managed_postgres15, tmp_path):
    import psycopg

    server, _url = managed_postgres15
    # A database the registry's role may use but not create extensions in, and no pg_trgm yet.
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE bare")
    with psycopg.connect(server.url("bare"), autocommit=True) as conn:
        conn.execute("GRANT ALL ON SCHEMA public TO registry")
        conn.execute("CREATE TABLE public.kept (id int)")  # something the restore must not touch
    url = f"postgres://registry@127.0.0.1:{server.port}/bare"
    dump = small_backup(tmp_path)

    result = manage("restore", str(dump), "--yes", url=url)
    assert result.returncode != 0
    message = result.stderr
    assert "pg_trgm" in message and "CREATE EXTENSION pg_trgm" in message and "Nothing was changed" in message, message
    with psycopg.connect(server.url("bare")) as conn:
        assert conn.execute("SELECT to_regclass('public.alliance_body')").fetchone() == (None,)
        assert conn.execute("SELECT to_regclass('public.kept')").fetchone() != (None,)

    # Once the administrator has done what it says, the restore goes through.
    with psycopg.connect(server.url("bare"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_trgm")
    result = manage("restore", str(dump), "--yes", url=url)
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_settings_the_server_does_not_know_are_left_out_and_copy_data_is_untouched():
    from alliance.dbtools import filter_dump

    dump = [
        "SET statement_timeout = 0;\n",
        "SET transaction_timeout = 0;\n",
        "SELECT pg_catalog.set_config('search_path', '', false);\n",
        "SELECT pg_catalog.set_config('made_up.setting', '', false);\n",
        "COPY public.alliance_body (id, note) FROM stdin;\n",
        "1\tSET transaction_timeout = 0;\n",
        "\\.\n",
        "SET transaction_timeout = 0;\n",
    ]
    out = list(filter_dump(dump, {"statement_timeout", "search_path"}))
    kept = [line for line in out if not line.startswith("--")]
    assert kept == [dump[0], dump[2], dump[4], dump[5], dump[6]]


def test_an_extension_is_created_if_missing_but_never_dropped_or_commented_on():
    from alliance.dbtools import filter_dump, needed_extensions

    dump = [
        "DROP EXTENSION IF EXISTS pg_trgm;\n",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;\n",
        "COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';\n",
        "COPY public.alliance_body (id, note) FROM stdin;\n",
        "1\tDROP EXTENSION pg_trgm;\n",
        "2\tCREATE EXTENSION made_up;\n",
        "\\.\n",
    ]
    kept = [line for line in filter_dump(dump, set()) if not line.startswith("--")]
    assert kept == dump[1:2] + dump[3:]
    assert needed_extensions(dump) == ["pg_trgm"]


# --- a database with the C ctype -------------------------------------------------------


@pytest.fixture
def c_ctype_database(django_db_setup, django_db_blocker):
    """A database on the test server created with LC_CTYPE 'C', as a careless set-up makes it."""
    from django.db import connection

    name = "alliance_c_ctype_check"
    with django_db_blocker.unblock():
        params = connection.get_connection_params()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
            cursor.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE 'C' LC_COLLATE 'C'")
    url = f"postgres://{params.get('user', 'postgres')}@{params['host']}:{params['port']}/{name}"
    if params.get("password"):
        url = url.replace("@", f":{params['password']}@", 1)
    yield url
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_check_and_migrate_fail_loudly_on_a_database_with_the_c_ctype(c_ctype_database):
    import psycopg

    # Before the first migration (no pg_trgm yet): the ctype alone says it.
    migrate = manage("migrate", "--noinput", url=c_ctype_database)
    assert migrate.returncode != 0 and "alliance.E002" in migrate.stderr and "trigram" in migrate.stderr
    with psycopg.connect(c_ctype_database, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0] is None, "nothing migrated"
        # With pg_trgm installed, the check asks it.
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        assert conn.execute("SELECT cardinality(show_trgm('日米'))").fetchone()[0] == 0, "the premise"
    check = manage("check", "--database", "default", url=c_ctype_database)
    assert check.returncode != 0
    assert "alliance.E003" in check.stderr and "trigram" in check.stderr


@pytest.mark.django_db
def test_the_check_passes_on_the_registry_database():
    from django.core.checks import run_checks

    assert [e for e in run_checks(databases=["default"]) if e.id.startswith("alliance.")] == []


# --- the connection pool after a restart of PostgreSQL -----------------------------------

POOLED_WORKER = """
import sys, django
django.setup()
from django.db import connection
from django.test import Client

client = Client()
for line in sys.stdin:
    if line.strip() == "request":  # a request through the whole middleware chain
        print(client.get("/healthz").status_code, flush=True)
    else:  # a query through Django's connection, then the connection back to the pool
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 41 + 1")
                print(cursor.fetchone()[0], bool(connection.pool), flush=True)
        except Exception as error:
            print(type(error).__name__, error, flush=True)
        finally:
            connection.close()
"""


def test_the_first_request_after_postgresql_restarts_gets_a_working_pooled_connection(tmp_path):
    from config import localdb

    server = Server(Path(localdb._bin("initdb")).parent, tmp_path / "pg")
    server.start()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "POSTGRES_"))}
    env = {**base, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": server.url(), "DATABASE_POOL": "true"}
    worker = subprocess.Popen(
        [sys.executable, "-c", POOLED_WORKER], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )

    def ask(what):
        worker.stdin.write(what + "\n")
        worker.stdin.flush()
        return worker.stdout.readline().strip()

    try:
        assert ask("request") == "200"
        assert ask("query") == "42 True"
        server.stop()
        # Requests while the database is down get the 503 page; the pool keeps trying to
        # reconnect, backing off longer each time.
        assert [ask("request") for _ in range(4)] == ["503"] * 4
        server.start()
        assert ask("request") == "200", "the first request after the database is back"
        assert ask("query") == "42 True"
        assert [ask("request") for _ in range(5)] == ["200"] * 5
    finally:
        worker.stdin.close()
        worker.wait(timeout=60)
        server.stop()
