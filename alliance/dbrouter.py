"""Read replicas: public reads from a PostgreSQL streaming replica, everything else from the primary.

``DATABASE_REPLICA_URLS`` adds one database per replica (``replica1``, ``replica2`` …, see
config/settings.py). Which database a request reads is decided once, at its start, by
``ReplicaMiddleware``, and ``ReplicaRouter`` answers every read of that request with it:

- Every write goes to the primary, whatever the request (``db_for_write``).
- The primary also serves every read of: a request that is not GET/HEAD, the admin (and
  so every import, which runs in the admin or in a management command), and a browser
  that carries the stickiness cookie: a value signed by the registry (``alliance_primary``,
  valid for ``DATABASE_REPLICA_STICKY_SECONDS``), set only on the response to a signed-in
  user's request that wrote (a write was routed, and the answer was no error): an editor
  reads what they just wrote. No cookie a reader can make up (a ``sessionid``, an unsigned
  value) and no request that wrote nothing (a POST answered 403, 404 or 405) moves a reader
  to the primary. Code outside a request (commands, imports, the shell) reads the primary.
- A public GET or HEAD reads a replica, taken in turn, if it is up and not behind: the
  replica's data version (the counter every write bumps, see models/versioning.py) must
  be at least the primary's, read at most every ``DATABASE_REPLICA_MAX_STALENESS``
  seconds per process. The version read from the replica is the one the page's ETag and
  cache keys carry, so a cached page always names the data it was built from.
- A replica that cannot be reached, that does not answer within its deadlines, or that
  fails during the request, is passed over for ``DATABASE_REPLICA_RETRY_SECONDS`` (its
  breaker, alliance/resilience.py; a background probe brings it back); the request is
  answered from the primary (a failed read is run again there), never with a 500. The
  version checks run under ``DATABASE_CHECK_TIMEOUT``. While the primary cannot be reached
  (or is passed over), a replica still answers public pages.

Every public read goes through the router, the exports included (a streamed one reads the
database chosen when it started), so ``X-Database`` names the database that answered.
"""

import contextvars
import itertools
import logging
import threading
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections

from . import resilience

logger = logging.getLogger("alliance.replicas")

_read_alias: contextvars.ContextVar[str] = contextvars.ContextVar("alliance_read_alias", default=DEFAULT_DB_ALIAS)
# Set when the request routes a write (a save, an update, a delete, a session saved).
_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("alliance_wrote", default=False)

STICKY_COOKIE = "alliance_primary"
STICKY_SALT = "alliance.dbrouter.sticky"
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
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every database holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class _State:
    """Per process: the primary's last-read version, and whose turn it is (which replicas
    are passed over after a failure is their breakers': alliance/resilience.py)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.primary_version: int | None = None
        self.primary_read_at = 0.0
        self.turn = itertools.count()

    def reset(self):
        self.__init__()


state = _State()


def _setting(name, default):
    return getattr(settings, name, default)


def _breaker(alias: str):
    wrapper = connections[alias]
    if hasattr(wrapper, "breaker") and wrapper.guards:
        return wrapper.breaker()
    if alias not in _fallback_breakers:
        params = wrapper.get_connection_params()
        params.pop("prepare_threshold", None)

        def probe():
            wrapper.Database.connect(**params).close()

        _fallback_breakers[alias] = resilience.Breaker(
            f"database {alias}", _setting("DATABASE_REPLICA_RETRY_SECONDS", 5.0), probe
        )
    return _fallback_breakers[alias]


# Where the backend brings no breaker of its own (outside the web application's settings).
_fallback_breakers: dict = {}


def mark_down(alias: str, error: Exception) -> None:
    _breaker(alias).fail(error)
    try:
        connections[alias].close()
    except Exception:  # a broken connection may fail to close; it is dropped either way
        pass


def _version(alias: str):
    with resilience.quick(_setting("DATABASE_CHECK_TIMEOUT", 0.5)), connections[alias].cursor() as cursor:
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
    """Writes, the admin and a browser whose signed-in user has just written read the primary."""
    if request.method not in SAFE_METHODS:
        return True
    if request.path_info.startswith("/admin/"):
        return True
    if STICKY_COOKIE not in request.COOKIES:
        return False
    sticky = request.get_signed_cookie(
        STICKY_COOKIE, default=None, salt=STICKY_SALT, max_age=_setting("DATABASE_REPLICA_STICKY_SECONDS", 60)
    )
    return sticky is not None


def choose(request) -> str:
    """The database this request reads, and its data version noted on the request."""
    replicas = replica_aliases()
    if not replicas or wants_primary(request):
        return DEFAULT_DB_ALIAS
    start = next(state.turn)
    for i in range(len(replicas)):
        alias = replicas[(start + i) % len(replicas)]
        if not _breaker(alias).allows():
            continue
        try:
            row = _version(alias)
        except (OperationalError, InterfaceError, DatabaseError) as error:
            mark_down(alias, error)
            continue
        try:
            with resilience.quick(_setting("DATABASE_CHECK_TIMEOUT", 0.5)):
                behind = (row[0] if row else 0) < primary_version()
        except (OperationalError, InterfaceError):
            behind = False  # the primary cannot be reached: the replica still answers readers
        if behind:
            continue  # another replica, or the primary
        from .public.caching import format_version

        request._registry_version = format_version(row)
        return alias
    return DEFAULT_DB_ALIAS


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    try:
        return bool(user is not None and user.is_authenticated)
    except (OperationalError, InterfaceError):
        return False


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
        wrote = _wrote.set(False)
        try:
            response = self.get_response(request)
            made_a_write = _wrote.get()
        finally:
            _read_alias.reset(token)
            _wrote.reset(wrote)
        if made_a_write and response.status_code < 400 and _signed_in(request):
            # Read-your-writes: this editor's browser reads the primary for a while.
            response.set_signed_cookie(
                STICKY_COOKIE,
                "1",
                salt=STICKY_SALT,
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
