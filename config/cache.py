"""The shared cache: Django's built-in Redis backend, with an unreachable server read as a
miss, and remembered as unreachable for a while.

Everything the registry caches (rendered public pages, list counts and facets) is keyed
by the data version and can be computed again from the database, so when the cache
server is down or slow a request renders the page itself instead of failing. A server
that refuses connections or does not answer within ``CACHE_SOCKET_TIMEOUT`` (one that
is frozen, or accepts connections and never answers) costs that one wait: its breaker
(alliance/resilience.py) then passes it over for ``CACHE_RETRY_SECONDS`` — every read a
miss, every write dropped, at once — while a background probe asks it again (PING), and
the first answer brings it back. The error is logged when the server is first passed
over, not once a request.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from alliance import resilience

logger = logging.getLogger("alliance.cache")
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class SharedCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._retry = float(params.get("RETRY_SECONDS", 10))
        self._name = f"cache {server}"

    @property
    def breaker(self) -> resilience.Breaker:
        return resilience.breaker(self._name, self._retry, self._probe)

    def _probe(self):
        self._cache.get_client(write=True).ping()

    def _call(self, method, default, *args):
        breaker = self.breaker
        if not breaker.allows():
            return default
        try:
            return method(*args)
        except UNREACHABLE as error:
            breaker.fail(error)
            return default

    def get(self, key, default=None, version=None):
        return self._call(super().get, default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, {}, keys, version)

    def set(self, key, value, timeout=None, version=None):
        self._call(super().set, None, key, value, timeout, version)

    def set_many(self, data, timeout=None, version=None):
        return self._call(super().set_many, list(data), data, timeout, version)

    def add(self, key, value, timeout=None, version=None):
        return self._call(super().add, False, key, value, timeout, version)

    def delete(self, key, version=None):
        return self._call(super().delete, False, key, version)
