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
    assert out == ["django.db.backends.postgresql", "db", "5432", "registry", "alliance"]


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
