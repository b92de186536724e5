"""The default pages rendered into the cache before a reader asks for them.

Every cached page, count and facet is keyed by the data version, so after an edit (or
an import, a publication, a raw SQL write: anything that bumps the version) the first
reader of each list would pay the whole page, its count and its facets; after a deploy
a fresh worker would pay its templates, translations and connections as well. So each
worker runs two daemon threads, started by gunicorn's ``post_worker_init`` hook
(gunicorn.conf.py), never by ``manage.py`` commands or the tests:

- a **listener** holds one connection of its own and ``LISTEN``s on
  ``alliance_registry_version``, which a trigger on the version row notifies at the
  commit of every bump (models/versioning.py), whoever wrote;
- a **warmer** renders the first page of every public list in every language, with its
  count and facets, through the ordinary request path into the cache — once at worker
  start and once after each notification (notifications that arrive while it works are
  folded into one more round).

A shared-cache lock (``cache.add`` on the version) lets only one process warm a given
version when the cache is shared; with a per-process cache each process warms its own.
Warming never runs in a request, every error is logged and swallowed, and
``DJANGO_WARM_PAGES=0`` turns it off.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connections

logger = logging.getLogger("alliance.warming")

CHANNEL = "alliance_registry_version"
LOCK_SECONDS = 300
REPLICA_WAIT_SECONDS = 5.0


def enabled() -> bool:
    return bool(getattr(settings, "WARM_PAGES", False))


def default_urls() -> list[str]:
    """The first page of every public list, in every language."""
    from django.urls import reverse
    from django.utils import translation

    from .entities import LISTS

    urls = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            urls += [reverse(f"alliance:{entity.name}-list") for entity in LISTS.values()]
    return urls


# At worker start only, after the default pages: one searched and filtered page of each
# list, so that a fresh process has run the search, filter and facet code (and compiled
# its templates and SQL paths) before its first reader does. Their answers are cached
# under their own URLs like any page.
PRIMER_QUERY = "?q=%E6%97%A5%E7%B1%B3&from=2000&to=2010"


def primer_urls() -> list[str]:
    return [url + PRIMER_QUERY for url in default_urls()]


def targets() -> list[tuple[str, bool]]:
    """(host, over https) for which pages are rendered (a page is cached per scheme and
    host): WARM_HOSTS, else the host of SITE_URL, else every concrete ALLOWED_HOSTS name."""
    secure = getattr(settings, "WARM_SCHEME", "http") == "https"
    named = list(getattr(settings, "WARM_HOSTS", None) or [])
    if not named and getattr(settings, "SITE_URL", ""):
        site = urlsplit(settings.SITE_URL)
        return [(site.netloc, site.scheme == "https")]
    if not named:
        named = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
    return [(host, secure) for host in named or ["localhost"]]


def current_version(expected: int | None = None) -> str:
    """The version the public pages read (a replica's, when one serves them); when a
    notification named a newer version, wait a little for a lagging replica to reach it."""
    from .caching import registry_version

    deadline = time.monotonic() + REPLICA_WAIT_SECONDS
    while True:
        version = registry_version()
        if expected is None or int(version.split(".")[0]) >= expected or time.monotonic() > deadline:
            return version
        time.sleep(0.05)


def warm(expected: int | None = None, prime: bool = False) -> list[str]:
    """Render the default pages of the current version into the cache, unless another
    process (or an earlier round) has taken this version (``prime``: and the primer pages,
    at worker start). Returns the URLs rendered."""
    from django.test import Client

    version = current_version(expected)
    urls = default_urls()
    if not cache.add(f"warm:{settings.RELEASE_ID}:{version}", os.getpid(), LOCK_SECONDS):
        if not prime:
            return []
        urls = []  # taken by another process: this one still runs its code paths once
    urls += primer_urls() if prime else []
    done = []
    for host, secure in targets():
        client = Client(HTTP_HOST=host, raise_request_exception=False)
        for url in urls:
            response = client.get(url, secure=secure)
            if response.status_code == 200:
                done.append(url)
            else:
                logger.warning("warming %s%s answered %s", host, url, response.status_code)
    logger.info("warmed %d pages for version %s", len(done), version)
    return done


class Warmer:
    """The two threads of one process (see the module docstring)."""

    def __init__(self):
        self.wake = threading.Event()
        self.idle = threading.Event()
        self.stopping = threading.Event()
        self.expected = None
        self.prime = True  # the first round, at worker start
        self.threads = []

    def start(self, listen=True):
        self.request()  # worker start: warm the current version
        self.threads = [threading.Thread(target=self._warm_loop, name="alliance-warmer", daemon=True)]
        if listen:
            self.threads.append(threading.Thread(target=self._listen_loop, name="alliance-warm-listener", daemon=True))
        for thread in self.threads:
            thread.start()

    def request(self, version: int | None = None):
        if version is not None:
            self.expected = max(version, self.expected or 0)
        self.idle.clear()
        self.wake.set()

    def stop(self, timeout=5.0):
        self.stopping.set()
        self.wake.set()
        for thread in self.threads:
            thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        return self.idle.wait(timeout)

    def _warm_loop(self):
        while not self.stopping.is_set():
            self.wake.wait()
            if self.stopping.is_set():
                break
            self.wake.clear()
            expected, self.expected = self.expected, None
            prime, self.prime = self.prime, False
            try:
                warm(expected, prime=prime)
            except Exception:  # never let a warming error end the thread or the worker
                logger.exception("warming the default pages failed")
            finally:
                connections.close_all()  # this thread's own connections (back to the pool)
            if not self.wake.is_set():
                self.idle.set()

    def _listen_loop(self):
        delay = 1.0
        while not self.stopping.is_set():
            try:
                self._listen()
                delay = 1.0
            except Exception as error:
                logger.warning("listening for registry changes failed, again in %.0f s: %s", delay, error)
                self.stopping.wait(delay)
                delay = min(delay * 2, 60.0)

    def _listen(self):
        wrapper = connections["default"]
        params = wrapper.get_connection_params()
        params.pop("prepare_threshold", None)
        conn = wrapper.Database.connect(**params, autocommit=True)
        try:
            conn.execute(f"LISTEN {CHANNEL}")
            # A bump missed while this connection was being made is caught by this round.
            self.request()
            while not self.stopping.is_set():
                for notice in conn.notifies(timeout=1.0):
                    try:
                        self.request(int(notice.payload))
                    except ValueError:
                        self.request()
        finally:
            conn.close()


_warmer: Warmer | None = None
_lock = threading.Lock()


def start(listen=True) -> Warmer | None:
    """Start this process's warmer (once); called by gunicorn's post_worker_init hook."""
    global _warmer
    if not enabled():
        return None
    with _lock:
        if _warmer is None:
            _warmer = Warmer()
            _warmer.start(listen=listen)
    return _warmer


def stop():
    global _warmer
    with _lock:
        if _warmer is not None:
            _warmer.stop()
            _warmer = None
