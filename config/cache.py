"""The shared cache: Django's built-in Redis backend, with an unreachable server read as a miss.

Everything the registry caches (rendered public pages, list counts and facets) is keyed
by the data version and can be computed again from the database, so when the cache
server is down or slow a request renders the page itself instead of failing; the error
is logged once a minute per process, not once a request.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("alliance.cache")
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class SharedCache(RedisCache):
    _last_warning = 0.0

    def _unreachable(self, error):
        now = time.monotonic()
        if now - SharedCache._last_warning > 60:
            SharedCache._last_warning = now
            logger.warning("cache server unreachable, serving without it: %s", error)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return {}

    def set(self, key, value, timeout=None, version=None):
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE as error:
            self._unreachable(error)

    def set_many(self, data, timeout=None, version=None):
        try:
            return super().set_many(data, timeout, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return list(data)

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return False
