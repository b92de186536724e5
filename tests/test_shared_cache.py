"""The shared cache on a real Redis-compatible server, between two server processes."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings

from config.settings import cache_settings

from .factories import make_agreement
from .processes import Browser, cache_server, database_url, registry_server


def test_cache_url_selects_the_redis_backend_and_locmem_stays_the_default(monkeypatch):
    monkeypatch.delenv("CACHE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert cache_settings()["BACKEND"].endswith("LocMemCache")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/1")
    assert cache_settings()["LOCATION"] == "redis://cache:6379/1"
    monkeypatch.setenv("CACHE_URL", "redis://valkey:6379/0")
    config = cache_settings()
    assert config["BACKEND"] == "config.cache.SharedCache" and config["LOCATION"] == "redis://valkey:6379/0"
    from django.core.cache.backends.redis import RedisCache

    from config.cache import SharedCache

    assert issubclass(SharedCache, RedisCache)


@pytest.mark.django_db
def test_an_unreachable_cache_server_is_a_miss_not_a_500(client):
    from .processes import free_port

    make_agreement(name_ja="キャッシュなしでも表示")
    config = {**cache_settings(), "BACKEND": "config.cache.SharedCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    config["OPTIONS"] = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    with override_settings(CACHES={"default": config}):
        for _ in range(2):
            response = client.get("/agreements/")
            assert response.status_code == 200
            assert response["X-Cache"] == "miss"
            assert "キャッシュなしでも表示" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_server_processes_share_one_rendered_page_and_one_invalidation():
    agreement = make_agreement(name_ja="共有キャッシュ協定")
    get_user_model().objects.create_superuser("cache-editor", password="a-long-test-password")
    with cache_server() as cache_url:
        env = {"CACHE_URL": cache_url, "DATABASE_URL": database_url(connection.settings_dict)}
        with registry_server(env) as first, registry_server(env) as second:
            browser = Browser()
            # The first process renders the page and stores it in the shared cache …
            status, headers, page = browser.get(f"{first}/agreements/")
            assert status == 200 and headers["X-Cache"] == "miss"
            assert "共有キャッシュ協定" in page
            # … and the second process, which never rendered it, serves the same bytes.
            status, headers, again = browser.get(f"{second}/agreements/")
            assert status == 200 and headers["X-Cache"] == "hit"
            assert again == page

            # An edit through the second process (an editor unpublishes the agreement) …
            editor = Browser()
            editor.login(second, "cache-editor", "a-long-test-password")
            editor.admin_action(second, "/admin/alliance/agreement/", "unpublish", agreement.pk)

            # … changes what both serve: the first renders the new page, the second gets it
            # from the cache.
            status, headers, after = browser.get(f"{first}/agreements/")
            assert status == 200 and headers["X-Cache"] == "miss"
            assert "共有キャッシュ協定" not in after
            status, headers, after_second = browser.get(f"{second}/agreements/")
            assert status == 200 and headers["X-Cache"] == "hit"
            assert after_second == after
