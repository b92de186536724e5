"""Login throttling behind a proxy and the trusted proxy of gunicorn (issue 10, finding 11)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PROXY = "10.0.0.2"  # what REMOTE_ADDR is for every request that came through the proxy


def attempt(client, forwarded_for, password="wrong"):
    return client.post(
        reverse("admin:login"),
        {"username": "hanako", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
@override_settings(PROXY_COUNT=1)
def test_behind_one_proxy_each_forwarded_client_is_throttled_on_its_own(client, editor_only):
    # The attacker's own X-Forwarded-For entry is left of the one the proxy adds.
    for i in range(5):
        attempt(client, f"6.6.6.{i}, 203.0.113.9")
    assert attempt(client, "203.0.113.9").status_code == 429, "the same client is locked after the limit"
    # The editor, from another address, through the same proxy, still logs in.
    response = attempt(client, "198.51.100.7", password="a-long-test-password")
    assert response.status_code == 302
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


@pytest.mark.django_db
@override_settings(PROXY_COUNT=1)
def test_a_forged_left_most_address_does_not_escape_the_lockout(client, editor_only):
    for i in range(5):
        attempt(client, f"192.0.2.{i}, 203.0.113.9")
    assert attempt(client, "192.0.2.99, 203.0.113.9").status_code == 429


@pytest.mark.django_db
@override_settings(PROXY_COUNT=0)
def test_without_a_proxy_the_forwarded_header_is_ignored(client, editor_only):
    for i in range(5):
        attempt(client, f"192.0.2.{i}")
    assert attempt(client, "192.0.2.200").status_code == 429, "REMOTE_ADDR is the client: the header is a forgery"


def test_the_proxy_count_comes_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings; from django.test import RequestFactory; "
        "from axes.helpers import get_client_ip_address; "
        "r = RequestFactory().get('/', REMOTE_ADDR='10.0.0.2', HTTP_X_FORWARDED_FOR='1.2.3.4, 203.0.113.9'); "
        "print(get_client_ip_address(r))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("AXES_")}
    env = {**base, "DJANGO_SETTINGS_MODULE": "config.settings", "AXES_PROXY_COUNT": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "203.0.113.9"
    env["AXES_PROXY_COUNT"] = "2"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1.2.3.4"


def test_gunicorn_trusts_forwarded_headers_only_from_the_proxy():
    script = (ROOT / "docker" / "entrypoint.sh").read_text()
    assert '--forwarded-allow-ips "*"' not in script and ":-*}" not in script
    assert '--forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"' in script


