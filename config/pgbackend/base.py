"""Django's PostgreSQL backend, with a connection pool that recovers as soon as the
server is back after a restart.

psycopg's pool replaces broken connections (Django has it check each one before handing
it out), but while the server is down its reconnection attempts back off: 1, 2, 4, 8, 16
seconds… So for a while after the server has returned, the pool is still waiting out
its delay and every request times out with a 503. When the pool gives no connection in
time, this backend tries one direct connection: if the server answers, the pool is
stale, so it is closed and a fresh one is opened for this request.
"""

import logging

from django.db.backends.postgresql import base

logger = logging.getLogger(__name__)


class PoolRecoveryMixin:
    def get_new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except self.Database.OperationalError:
            if not self.pool or not self._server_answers(conn_params):
                raise
        logger.warning("database %r is back: replacing its connection pool", self.alias)
        self.close_pool()
        return super().get_new_connection(conn_params)

    def _server_answers(self, conn_params) -> bool:
        params = {**conn_params, "connect_timeout": 2}
        params.pop("prepare_threshold", None)
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


class DatabaseWrapper(PoolRecoveryMixin, base.DatabaseWrapper):
    pass
