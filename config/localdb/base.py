"""Django database backend: PostgreSQL, started on demand from the embedded server."""

from django.db.backends.postgresql import base

from config import localdb
from config.pgbackend.base import PoolRecoveryMixin, ResilientMixin


class DatabaseWrapper(ResilientMixin, PoolRecoveryMixin, base.DatabaseWrapper):
    def get_connection_params(self):
        # Resolved at connect time, not at settings import: commands that never touch
        # the database do not start it, and a restarted server on a new port is found.
        params = super().get_connection_params()
        params["host"] = "127.0.0.1"
        params["port"] = localdb.ensure_running()
        return params
