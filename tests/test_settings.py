"""Production settings pass Django's deployment checks; secrets come from the environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "x" * 20 + "-a-long-random-secret-key-for-the-check-" + "y" * 20,
    "DJANGO_ALLOWED_HOSTS": "registry.example.org",
    "DATABASE_URL": "postgres://alliance:secret@db.invalid:5432/alliance",
}


def run_manage(*args, env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "POSTGRES_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120, check=False
    )


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_postgres_variables_configure_the_database():
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup(); from django.conf import settings; d=settings.DATABASES['default']; print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'], d['USER'])"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"POSTGRES_HOST": "db", "POSTGRES_DB": "registry", "POSTGRES_USER": "alliance", "POSTGRES_PASSWORD": "pw"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["config.pgbackend", "db", "5432", "registry", "alliance"]


def test_the_pooled_production_configuration_connects(django_db_setup, django_db_blocker):
    """DATABASE_POOL=true builds psycopg's pool (the production setting) and queries through it."""
    from django.db import connection

    with django_db_blocker.unblock():
        params = connection.get_connection_params()
    url = f"postgres://{params.get('user', 'postgres')}@{params['host']}:{params['port']}/{connection.settings_dict['NAME']}"
    if params.get("password"):
        url = url.replace("@", f":{params['password']}@", 1)
    code = (
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('select 41 + 1'); print(cursor.fetchone()[0], bool(connection.pool))"
    )
    env = {**PRODUCTION_ENV, "DATABASE_URL": url, "DATABASE_POOL": "true", "DJANGO_SETTINGS_MODULE": "config.settings"}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "POSTGRES_"))}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60, check=False)
    assert result.stdout.split() == ["42", "True"], result.stderr[-2000:]


def database_settings(env):
    code = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup(); "
        "from django.conf import settings; print(json.dumps({k: {'OPTIONS': v['OPTIONS'], 'RESILIENCE': v.get('RESILIENCE'), "
        "'CONN_HEALTH_CHECKS': v['CONN_HEALTH_CHECKS'], 'ENGINE': v['ENGINE']} for k, v in settings.DATABASES.items()}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "POSTGRES_", "ALLIANCE_"))}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, check=True)
    import json

    return json.loads(result.stdout)


def test_every_database_connection_has_its_timeouts_pooled_or_not():
    replicas = {"DATABASE_REPLICA_URLS": "postgres://u@r1/alliance", "DATABASE_URL": "postgres://u@p/alliance"}
    for pooled in ("false", "true"):
        serving = database_settings({**replicas, "DATABASE_POOL": pooled, "ALLIANCE_SERVING": "1",
                                     "DATABASE_REPLICA_CONNECT_TIMEOUT": "3", "DATABASE_STATEMENT_TIMEOUT": "20"})
        for alias in ("default", "replica1"):
            options = serving[alias]["OPTIONS"]
            assert options["connect_timeout"] == (3 if alias == "replica1" else 2)
            assert options["keepalives"] == 1 and options["keepalives_idle"] and options["keepalives_count"]
            assert "statement_timeout=20000" in options["options"] and "idle_in_transaction_session_timeout=60000" in options["options"]
            guards = serving[alias]["RESILIENCE"]
            assert guards["check"] == 0.5 and guards["retry"] == 5
            assert guards["query"] == (2 if alias == "replica1" else 22)
            assert serving[alias]["ENGINE"] == "config.pgbackend"
            if pooled == "true":
                # DATABASE_REPLICA_CONNECT_TIMEOUT bounds the wait for a pooled connection too.
                assert options["pool"]["timeout"] == (3 if alias == "replica1" else 2)
                assert serving[alias]["CONN_HEALTH_CHECKS"] is False  # the backend checks, under a deadline
    # Management commands (migrate, imports, backups) are not cut short.
    command = database_settings({**replicas, "DATABASE_POOL": "true"})
    assert "options" not in command["default"]["OPTIONS"] and command["default"]["RESILIENCE"] is None
    assert command["default"]["OPTIONS"]["connect_timeout"] == 2 and command["default"]["CONN_HEALTH_CHECKS"]


def test_the_release_id_comes_from_what_was_deployed(tmp_path, monkeypatch):
    import shutil

    from config.release import git_commit, release_id

    monkeypatch.delenv("RELEASE_ID", raising=False)
    clones = []
    for name in ("one", "two"):
        clone = tmp_path / name
        for top in ("alliance", "config"):
            shutil.copytree(ROOT / top, clone / top, ignore=shutil.ignore_patterns("__pycache__"))
        clones.append(clone)
    # Two clones of one commit, copied at different times: the same release.
    os.utime(clones[1] / "alliance" / "models" / "__init__.py", (1, 1))
    assert release_id(clones[0]) == release_id(clones[1])
    # Writing bytecode changes nothing; changing the code does.
    (clones[1] / "alliance" / "__pycache__").mkdir(exist_ok=True)
    (clones[1] / "alliance" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"x")
    assert release_id(clones[0]) == release_id(clones[1])
    (clones[1] / "alliance" / "urls_extra.py").write_text("# a change\n")
    assert release_id(clones[0]) != release_id(clones[1])
    # A checkout: its commit (a branch, packed, detached; a worktree's .git file).
    git = clones[0] / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text("a" * 40 + "\n")
    assert git_commit(clones[0]) == "a" * 40 and release_id(clones[0]) == "a" * 12
    (git / "refs" / "heads" / "main").unlink()
    (git / "packed-refs").write_text("# pack-refs\n" + "b" * 40 + " refs/heads/main\n")
    assert release_id(clones[0]) == "b" * 12
    (git / "HEAD").write_text("c" * 40 + "\n")
    assert release_id(clones[0]) == "c" * 12
    worktree = tmp_path / "worktree"
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {git}\n")
    assert git_commit(worktree) == "c" * 40
    # An image's build wrote RELEASE; the environment wins over all.
    (clones[0] / "RELEASE").write_text("v1.2.3\n")
    assert release_id(clones[0]) == "v1.2.3"
    monkeypatch.setenv("RELEASE_ID", "deploy-7")
    assert release_id(clones[0]) == "deploy-7"


def test_two_gunicorn_instances_on_one_host_have_their_own_control_sockets():
    import importlib.util

    from gunicorn.config import Config

    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    paths = []
    for bind in (["127.0.0.1:8000"], ["127.0.0.1:8001"], ["unix:/run/registry.sock"]):
        cfg = Config()
        cfg.set("bind", bind)
        server = type("Arbiter", (), {"cfg": cfg})()
        conf.on_starting(server)
        paths.append(cfg.control_socket)
    assert len(set(paths)) == 3 and all(p.endswith(".ctl") for p in paths), paths
    assert all(os.path.dirname(p) == os.path.dirname(Config().control_socket) for p in paths)
    # One chosen on the command line, or none, is left alone.
    cfg = Config()
    cfg.set("control_socket", "/tmp/mine.ctl")
    conf.on_starting(type("Arbiter", (), {"cfg": cfg})())
    assert cfg.control_socket == "/tmp/mine.ctl"
