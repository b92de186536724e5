"""Django's PostgreSQL backend, with a connection pool that recovers as soon as the
server is back after a restart, and (when the web application serves) a bounded wait
for every server.

psycopg's pool replaces broken connections, but while the server is down its
reconnection attempts back off: 1, 2, 4, 8, 16 seconds… So for a while after the server
has returned, the pool is still waiting out its delay and every request times out with a
503. When the pool gives no connection in time, this backend tries one direct connection:
if the server answers, the pool is stale, so it is closed and a fresh one is opened for
this request.

With ``RESILIENCE`` in a database's settings (config/settings.py sets it for the web
application: config/wsgi.py), every query has a client-side deadline and a server that
fails is passed over for a while (alliance/resilience.py): a request that would connect
to it fails at once, without waiting, until a background probe finds it answering.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

from alliance import resilience

logger = logging.getLogger(__name__)


class PoolRecoveryMixin:
    def get_new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except self.Database.OperationalError:
            # Under a quick() deadline (a reader's routing check) there is no time for a
            # direct connection: the breaker's background probe replaces a stale pool.
            if not self.pool or resilience.quick_seconds() is not None or not self._server_answers(conn_params):
                raise
        logger.warning("database %r is back: replacing its connection pool", self.alias)
        self.close_pool()
        return super().get_new_connection(conn_params)

    def _server_answers(self, conn_params) -> bool:
        params = {**conn_params, "connect_timeout": conn_params.get("connect_timeout", 2)}
        params.pop("prepare_threshold", None)
        params.pop("pool", None)
        try:
            self.Database.connect(**params).close()
        except self.Database.Error:
            return False
        return True

    def close_pool(self):
        pool = self._connection_pools.pop(self.alias, None)
        if pool is not None:
            # Not waiting for the old pool's reconnection attempts to stop. A connection
            # still taken from it goes back to it (Django returns each to its own pool).
            pool.close(timeout=0)


class BoundedWaitPool(ConnectionPool):
    """psycopg's pool, whose wait for a connection is cut to the ``quick()`` deadline when
    one is set: a reader's routing check (the primary's data version) must not wait
    DATABASE_POOL_TIMEOUT for a primary that hangs; it gives up, and the reader is
    answered from a replica."""

    def getconn(self, timeout: float | None = None):
        quick = resilience.quick_seconds()
        if timeout is None and quick is not None:
            timeout = min(self.timeout, quick)
        return super().getconn(timeout)


class ResilientMixin:
    """Deadlines and a breaker per database (see the module's docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(self._within_deadline)

    @property
    def guards(self) -> dict | None:
        return self.settings_dict.get("RESILIENCE")

    @property
    def pool(self):
        pool = super().pool
        if pool is not None and self.guards and type(pool) is ConnectionPool:
            # Django builds the pool itself (and has no option for its class): this one
            # waits as ``quick()`` allows (BoundedWaitPool only adds to getconn).
            pool.__class__ = BoundedWaitPool
        return pool

    def breaker(self) -> resilience.Breaker:
        return resilience.breaker(f"database {self.alias}", self.guards["retry"], self._probe)

    def get_new_connection(self, conn_params):
        if not self.guards:
            return super().get_new_connection(conn_params)
        breaker = self.breaker()
        if not breaker.allows():
            raise self.Database.OperationalError(
                f"database {self.alias} is passed over for {breaker.remaining():.1f} s more after a failure"
            )
        try:
            connection = super().get_new_connection(conn_params)
            if self.pool:
                self._check(connection)
        except self.Database.Error as error:
            breaker.fail(error)
            raise
        return connection

    def _check(self, connection):
        """A pooled connection answers before it is used (the pool's own check has no
        deadline: settings turn it off where this one runs)."""
        with resilience.watchdog.deadline(connection.fileno(), self.guards["check"]) as wait:
            try:
                connection.execute("")
            except self.Database.Error:
                self.pool.putconn(connection)  # broken: the pool drops it and makes another
                if wait.fired:
                    raise self.Database.OperationalError(
                        f"database {self.alias} did not answer within {self.guards['check']} s"
                    ) from None
                raise

    def is_usable(self):
        if not self.guards or self.connection is None:
            return super().is_usable()
        with resilience.watchdog.deadline(self.connection.fileno(), self.guards["check"]):
            return super().is_usable()

    def _within_deadline(self, execute, sql, params, many, context):
        guard = self.guards
        if not guard or self.connection is None:
            return execute(sql, params, many, context)
        seconds = resilience.query_deadline(guard["query"])
        with resilience.watchdog.deadline(self.connection.fileno(), seconds) as wait:
            try:
                return execute(sql, params, many, context)
            except (OperationalError, InterfaceError) as error:
                # A cancelled statement (statement_timeout) comes from a server that runs;
                # a connection that broke, or a query past its deadline, does not.
                if wait.fired or getattr(self.connection, "broken", False) or self.connection.closed:
                    self.breaker().fail(error)
                    if wait.fired:
                        raise OperationalError(f"database {self.alias} did not answer within {seconds} s") from error
                raise

    def copy_deadline(self):
        """The deadline for a COPY read through the raw cursor (exports): the query's."""
        if not self.guards or self.connection is None:
            return None
        return resilience.watchdog.deadline(self.connection.fileno(), self.guards["query"])

    def _probe(self):
        """Does the server answer? A direct connection (not from the pool) and one query,
        both bounded; when it does and the pool is still backing off, a fresh pool."""
        params = self.get_connection_params()
        params.pop("prepare_threshold", None)
        params.pop("pool", None)
        connection = self.Database.connect(**params, autocommit=True)
        try:
            with resilience.watchdog.deadline(connection.fileno(), self.guards["check"]) as wait:
                connection.execute("SELECT 1")
            if wait.fired:
                raise self.Database.OperationalError("no answer")
        finally:
            connection.close()
        if self.pool:
            self.close_pool()


class DatabaseWrapper(ResilientMixin, PoolRecoveryMixin, base.DatabaseWrapper):
    pass
