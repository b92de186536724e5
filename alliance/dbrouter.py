"""Read replicas: public reads from a PostgreSQL streaming replica, everything else from the primary.

``DATABASE_REPLICA_URLS`` adds one database per replica (``replica1``, ``replica2`` …, see
config/settings.py). Which database a request reads is decided once, at its start, by
``ReplicaMiddleware``, and ``ReplicaRouter`` answers every read of that request with it:

- Every write goes to the primary, whatever the request (``db_for_write``).
- The primary also serves every read of: a request that is not GET/HEAD, the admin (and
  so every import, which runs in the admin or in a management command), any request that
  carries a session cookie (a logged-in editor), and any request that carries the cookie
  set after a write (``alliance_primary``, for ``DATABASE_REPLICA_STICKY_SECONDS``): an
  editor reads what they just wrote. Code outside a request (commands, imports, the
  shell) reads the primary.
- A public GET or HEAD reads a replica, taken in turn, if it is up and not behind: the
  replica's data version (the counter every write bumps, see models/versioning.py) must
  be at least the primary's, read at most every ``DATABASE_REPLICA_MAX_STALENESS``
  seconds per process. The version read from the replica is the one the page's ETag and
  cache keys carry, so a cached page always names the data it was built from.
- A replica that cannot be reached, or that fails during the request, is left out for
  ``DATABASE_REPLICA_RETRY_SECONDS``; the request is answered from the primary (a failed
  read is run again there), never with a 500. While the primary cannot be reached, a
  replica still answers public pages.

The CSV export still reads the primary: it streams after the request's routing has
ended, through the default connection.
"""

import contextvars
import itertools
import logging
import threading
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger("alliance.replicas")

_read_alias: contextvars.ContextVar[str] = contextvars.ContextVar("alliance_read_alias", default=DEFAULT_DB_ALIAS)

STICKY_COOKIE = "alliance_primary"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
VERSION_SQL = "SELECT version, changed_at FROM alliance_registry_version WHERE id = 1"


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


class ReplicaRouter:
    """Reads follow the request's choice (the primary outside requests); writes and
    migrations only ever touch the primary."""

    def db_for_read(self, model, **hints):
        return _read_alias.get()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every database holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class _State:
    """Per process: which replicas are resting after a failure, the primary's last-read
    version, and whose turn it is."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_until: dict[str, float] = {}
        self.primary_version: int | None = None
        self.primary_read_at = 0.0
        self.turn = itertools.count()

    def reset(self):
        self.__init__()


state = _State()


def _setting(name, default):
    return getattr(settings, name, default)


def mark_down(alias: str, error: Exception) -> None:
    retry = _setting("DATABASE_REPLICA_RETRY_SECONDS", 5.0)
    with state.lock:
        first = state.down_until.get(alias, 0) < time.monotonic()
        state.down_until[alias] = time.monotonic() + retry
    if first:
        logger.warning("replica %s left out for %.0f s: %s", alias, retry, error)
    try:
        connections[alias].close()
    except Exception:  # a broken connection may fail to close; it is dropped either way
        pass


def _version(alias: str):
    with connections[alias].cursor() as cursor:
        cursor.execute(VERSION_SQL)
        return cursor.fetchone()


def primary_version() -> int:
    """The primary's version counter, read again when older than the allowed staleness."""
    staleness = _setting("DATABASE_REPLICA_MAX_STALENESS", 1.0)
    now = time.monotonic()
    if state.primary_version is None or now - state.primary_read_at >= staleness:
        row = _version(DEFAULT_DB_ALIAS)
        state.primary_version, state.primary_read_at = (row[0] if row else 0), now
    return state.primary_version


def wants_primary(request) -> bool:
    """Editors, writes, the admin and anyone who has just written read the primary."""
    if request.method not in SAFE_METHODS:
        return True
    if request.path_info.startswith("/admin/"):
        return True
    return settings.SESSION_COOKIE_NAME in request.COOKIES or STICKY_COOKIE in request.COOKIES


def choose(request) -> str:
    """The database this request reads, and its data version noted on the request."""
    replicas = replica_aliases()
    if not replicas or wants_primary(request):
        return DEFAULT_DB_ALIAS
    start = next(state.turn)
    for i in range(len(replicas)):
        alias = replicas[(start + i) % len(replicas)]
        if state.down_until.get(alias, 0) > time.monotonic():
            continue
        try:
            row = _version(alias)
        except (OperationalError, InterfaceError, DatabaseError) as error:
            mark_down(alias, error)
            continue
        try:
            behind = (row[0] if row else 0) < primary_version()
        except (OperationalError, InterfaceError):
            behind = False  # the primary cannot be reached: the replica still answers readers
        if behind:
            continue  # another replica, or the primary
        from .public.caching import format_version

        request._registry_version = format_version(row)
        return alias
    return DEFAULT_DB_ALIAS


class ReplicaMiddleware:
    """Decides the request's read database (see the module's docstring). With replicas
    configured, ``X-Database: primary`` or ``replica`` says which one answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            alias = choose(request)
        except (OperationalError, InterfaceError):
            alias = DEFAULT_DB_ALIAS  # the primary is unreachable: its own 503 follows
        request.read_database = alias
        token = _read_alias.set(alias)
        try:
            response = self.get_response(request)
        finally:
            _read_alias.reset(token)
        if request.method not in SAFE_METHODS:
            # Read-your-writes: this browser reads the primary for a while after writing.
            response.set_cookie(
                STICKY_COOKIE,
                "1",
                max_age=_setting("DATABASE_REPLICA_STICKY_SECONDS", 60),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        if replica_aliases():
            response["X-Database"] = "primary" if request.read_database == DEFAULT_DB_ALIAS else "replica"
        return response

    def process_exception(self, request, exception):
        """A replica that fails mid-request: leave it out and run the view on the primary."""
        alias = getattr(request, "read_database", DEFAULT_DB_ALIAS)
        if alias == DEFAULT_DB_ALIAS or not isinstance(exception, OperationalError | InterfaceError):
            return None
        mark_down(alias, exception)
        request.read_database = DEFAULT_DB_ALIAS
        _read_alias.set(DEFAULT_DB_ALIAS)
        match = request.resolver_match
        if match is None:
            return None
        try:
            response = match.func(request, *match.args, **match.kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response = response.render()
            return response
        except (OperationalError, InterfaceError):
            return None  # the primary fails too: DatabaseUnavailableMiddleware answers 503
