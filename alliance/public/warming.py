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
  count and facets, through the ordinary request path into the cache — after each
  notification (notifications that arrive while it works are folded into one more round).

At worker start the worker serves at once: a reader who arrives while it starts waits
for nothing but the request itself. The first round runs in the background and also
*primes* the process: after the default pages it follows from each what a reader follows
(the next page, the first link of each facet, the first sort, a search over a period)
and renders each anew, its count and facets included, even where the cache has them (a
shared cache outlives the worker), so templates, translations, code paths and the pooled
connection's catalog caches are warm for the readers who come next.

Every round **yields to readers**: before each page (and before its garbage collection)
it waits while a reader's request is in flight in this process (``ReaderCount``, the
WSGI application's wrapper in config/wsgi.py), at most ``YIELD_SECONDS`` a page, so a
reader does not share the worker's CPU with the warmer and a worker that is never idle
still warms. ``DJANGO_WARM_START_SECONDS`` above 0 brings back the older shape: the hook
waits for the first round (in a thread of its own, within that budget and gunicorn's
worker timeout, the worker's heartbeat kept) before the worker takes a request.

A shared-cache lock (``cache.add`` on the version) lets only one process warm a given
version when the cache is shared; with a per-process cache each process warms its own.
Warming never runs in a request, every error is logged and swallowed, and
``DJANGO_WARM_PAGES=0`` turns it off.
"""

from __future__ import annotations

import gc
import html
import logging
import os
import re
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connections

logger = logging.getLogger("alliance.warming")

CHANNEL = "alliance_registry_version"
# How long a round waits, before each page, for this process's readers to be answered.
YIELD_SECONDS = 1.0
# How long after a notification a round begins.
SETTLE_SECONDS = 0.1


class ReaderCount:
    """A WSGI application's wrapper that counts the requests in flight in this process,
    from the call until the server closes the response (a streamed CSV is in flight until
    its last byte): the warmer waits while any is (``wait_for_readers``). Requests the
    warmer makes itself go through Django's test client, not through this wrapper."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        _readers_begin()
        try:
            response = self.application(environ, start_response)
        except BaseException:
            _readers_end()
            raise
        return _Closing(response)


class _Closing:
    def __init__(self, response):
        self.response = response
        self.closed = False

    def __iter__(self):
        return iter(self.response)

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            close = getattr(self.response, "close", None)
            if close is not None:
                close()
        finally:
            _readers_end()


_readers = 0
_no_readers = threading.Condition()


def _readers_begin():
    global _readers
    with _no_readers:
        _readers += 1


def _readers_end():
    global _readers
    with _no_readers:
        _readers -= 1
        if _readers == 0:
            _no_readers.notify_all()


def readers_in_flight() -> int:
    return _readers


def wait_for_readers(timeout: float = YIELD_SECONDS) -> bool:
    """Wait until no reader's request is in flight in this process, at most ``timeout``
    seconds; True when none is."""
    with _no_readers:
        return _no_readers.wait_for(lambda: _readers == 0, timeout)
LOCK_SECONDS = 300
REPLICA_WAIT_SECONDS = 5.0
# How long past its budget a worker waits for its first round to finish its last page.
START_GRACE_SECONDS = 2.0


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


# At worker start only: a search over a period on each list, besides the links below.
PRIMER_QUERY = "?q=%E6%97%A5%E7%B1%B3&from=2000&to=2010"

# A list page's own links: "?body=…", "?kind=…", "?sort=…", "?after=…" (the next page).
OWN_LINK = re.compile(r'<a [^>]*href="(\?[^"]*)"')


def followed_links(page: str) -> list[str]:
    """What a reader follows from a list page: the first of its links for each query
    parameter (a facet's first option, a sort, the next page)."""
    seen, links = set(), []
    for match in OWN_LINK.finditer(page):
        query = html.unescape(match.group(1))
        name = query[1:].split("=", 1)[0]
        if name and name not in seen:
            seen.add(name)
            links.append(query)
    return links


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


class RoundEnds(Exception):
    """Out of time, or the database is unavailable: the round stops here."""


def warm(expected: int | None = None, prime: bool = False, deadline: float | None = None, tick=None) -> list[str]:
    """Render the default pages of the current version into the cache, unless another
    process (or an earlier round) has taken this version; with ``prime`` (at worker
    start), then render anew, count and facets included, the pages a reader follows from
    each of them. A page that fails is logged and skipped, but one that says the database
    is unavailable (503) ends the round, as ``deadline`` (time.monotonic()) does; a round
    that ends before its default pages are done gives the version back to the next round.
    Calls ``tick`` after each page. Returns the URLs rendered."""
    from django.test import Client

    from .caching import RENDER_ANEW

    version = current_version(expected)
    lock = f"warm:{settings.RELEASE_ID}:{version}"
    mine = cache.add(lock, os.getpid(), LOCK_SECONDS)
    if not mine and not prime:
        return []  # taken by another process (a priming round runs its code paths all the same)
    done, pages = [], {}

    def get(client, url, secure, anew=False):
        if deadline is not None and time.monotonic() > deadline:
            raise RoundEnds
        wait_for_readers()  # a reader first
        response = client.get(url, secure=secure, **({RENDER_ANEW: True} if anew else {}))
        if response.status_code == 302 and response["Location"].startswith("/"):
            # The primer's period on a list without one: the page without what it does not read.
            url = response["Location"]
            response = client.get(url, secure=secure, **({RENDER_ANEW: True} if anew else {}))
        if tick is not None:
            tick()
        if response.status_code == 503:
            logger.warning("warming %s answered 503: the database is unavailable, this round ends", url)
            raise RoundEnds
        if response.status_code != 200:
            logger.warning("warming %s answered %s", url, response.status_code)
            return None
        done.append(url)
        return response

    defaults_done = False
    try:
        for host, secure in targets():
            client = Client(HTTP_HOST=host, raise_request_exception=False)
            # Every default page first (rendered anew when priming: into the cache, and
            # through this process), then what a reader follows from each.
            for url in default_urls():
                if (response := get(client, url, secure, anew=prime)) is not None:
                    pages[(host, url)] = response.content.decode()
        defaults_done = True
        if prime:
            for host, secure in targets():
                client = Client(HTTP_HOST=host, raise_request_exception=False)
                for url in default_urls():
                    for link in [*followed_links(pages.get((host, url), "")), PRIMER_QUERY]:
                        get(client, url + link, secure, anew=True)
    except RoundEnds:
        if mine and not defaults_done:
            cache.delete(lock)  # the next round renders them
    logger.info("warmed %d pages for version %s", len(done), version)
    return done


def collect_garbage(freeze=False):
    """A round allocates what a dozen requests do; the full collection it makes due would
    otherwise fall in the next reader's request (10 ms and more in a worker's heap), so
    the warmer makes it here. After the worker-start round, ``freeze`` moves everything
    alive (the code, templates and catalogs, loaded for good) out of the collector's way."""
    wait_for_readers()
    gc.collect()
    if freeze:
        gc.freeze()


class Warmer:
    """The two threads of one process (see the module docstring)."""

    def __init__(self):
        self.wake = threading.Event()
        self.idle = threading.Event()
        self.stopping = threading.Event()
        self.expected = None
        self.prime = True  # the first round, at worker start
        self.threads = []

    def start(self, listen=True, budget: float = 0.0, tick=None):
        if budget > 0:
            # The worker-start round, before the worker takes a request: in a thread of its
            # own (its connections are its own, and go back to the pool), waited for with a
            # heartbeat of this thread's own, at most a few seconds past the budget (the
            # round itself stops at the budget, after the page it is rendering).
            self.prime = False
            deadline = time.monotonic() + budget
            first = threading.Thread(target=self._first_round, args=(deadline, tick), name="alliance-warm-start", daemon=True)
            first.start()
            self.threads.append(first)
            while first.is_alive() and time.monotonic() < deadline + START_GRACE_SECONDS:
                first.join(0.5)
                if tick is not None:
                    tick()
        self.request()  # the current version, in the background (priming too, unless done above)
        background = [threading.Thread(target=self._warm_loop, name="alliance-warmer", daemon=True)]
        if listen:
            background.append(threading.Thread(target=self._listen_loop, name="alliance-warm-listener", daemon=True))
        for thread in background:
            thread.start()
        self.threads += background

    def _first_round(self, deadline, tick):
        try:
            warm(prime=True, deadline=deadline, tick=tick)
        except Exception:  # never keep a worker from serving
            logger.exception("warming at worker start failed")
        finally:
            connections.close_all()
            collect_garbage(freeze=True)

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
            prime = self.prime
            if not prime:
                # A reader who asked at the instant of the commit is let in first (the round
                # yields to requests in flight), and a burst of edits makes one round.
                self.stopping.wait(SETTLE_SECONDS)
            expected, self.expected = self.expected, None
            self.prime = False
            try:
                warm(expected, prime=prime)
            except Exception:  # never let a warming error end the thread or the worker
                logger.exception("warming the default pages failed")
            finally:
                connections.close_all()  # this thread's own connections (back to the pool)
                collect_garbage(freeze=prime)  # after the worker-start round: what it loaded is kept
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


def start(listen=True, budget: float = 0.0, tick=None) -> Warmer | None:
    """Start this process's warmer (once); called by gunicorn's post_worker_init hook.
    With ``budget`` 0 (the default) the worker-start round runs in the background and the
    worker serves at once; above 0 the hook waits for that round, at most ``budget``
    seconds, calling ``tick`` (the worker's heartbeat) meanwhile."""
    global _warmer
    if not enabled():
        return None
    with _lock:
        if _warmer is None:
            _warmer = Warmer()
            _warmer.start(listen=listen, budget=budget, tick=tick)
    return _warmer


def stop():
    global _warmer
    with _lock:
        if _warmer is not None:
            _warmer.stop()
            _warmer = None
