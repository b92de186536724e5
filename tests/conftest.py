import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def editor(db):
    """A staff superuser, as `ensure_editor` makes locally."""
    return get_user_model().objects.create_superuser(username="editor", password="a-long-test-password")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The seed data, loaded once for a test module and removed after it.

    Tests in the module still run inside their own rolled-back transactions; the
    seed rows stay underneath them until the module ends.
    """
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("seed", verbosity=0)
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def japanese_by_default():
    """Each test starts in Japanese: a request in English leaves English active in the
    test's thread, which would otherwise change what reverse() returns."""
    from django.utils import translation

    translation.activate("ja")
    yield
    translation.activate("ja")


@pytest.fixture
def roles(db):
    """The editorial groups (a flush by an earlier test would have removed them)."""
    from django.apps import apps

    from alliance.editorial.roles import sync_roles

    sync_roles(apps)


def _staff_user(username, groups):
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username=username, password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def editor_only(roles):
    """In the editors group: may edit and import, may not publish."""
    return _staff_user("hanako", ["editors"])


@pytest.fixture
def publisher(roles):
    return _staff_user("taro", ["editors", "publishers"])


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached counts are keyed by the data version, which a rolled-back test can repeat."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def version_bumps_at_each_statement(request):
    """The data version is bumped when a transaction commits (a deferred trigger), and a
    test's transaction never commits: inside a test, fire it at each statement instead,
    as a committed edit would before the next request."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    if (marker is not None and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames:
        return
    request.getfixturevalue("db")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS alliance_registry_pending_commit IMMEDIATE")


def forget_pages():
    """Drop the rendered pages from the (per-process, in-memory) test cache, keeping the
    cached counts and facets: the next request renders its page again."""
    from django.core.cache import cache

    for key in [key for key in cache._cache if ":page:" in key]:
        cache.delete(key.split(":", 2)[2])
