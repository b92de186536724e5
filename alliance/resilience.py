"""A server that hangs or dies costs one bounded wait, not one per request.

Every server a request may wait on (the primary, each replica, the shared cache) has, per
process:

- a **breaker** that remembers a failure: for ``retry`` seconds the server is passed over
  without being asked (a replica: the primary answers instead; the primary: what needs it
  answers 503 at once, and a page the cache holds is still served; the cache: a miss).
  When the window has passed, the next request that would use the server starts a
  **probe** in the background — never in a reader's request — and the breaker closes when
  the probe gets an answer; until then the window starts again.
- a **deadline** on every query (``Watchdog``): PostgreSQL's statement_timeout cancels a
  slow query on a server that runs, but a frozen server (SIGSTOP, a hung host whose kernel
  still acknowledges packets) answers nothing, not even that, and TCP keepalives see
  nothing wrong. The watchdog shuts the socket of a query that outlives its deadline:
  psycopg raises OperationalError at once, and the breaker opens.

The timeouts and windows are settings (config/settings.py, the README's Configuration).
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import time
from contextlib import contextmanager

logger = logging.getLogger("alliance.resilience")


class Breaker:
    """The memory of one server's failure, in this process."""

    def __init__(self, name: str, retry: float, probe):
        self.name = name
        self.retry = retry
        self.probe = probe  # a callable that raises unless the server answers, in bounded time
        self.open = False
        self.opened_at = 0.0
        self.lock = threading.Lock()

    @property
    def closed(self) -> bool:
        return not self.open

    def allows(self) -> bool:
        """Whether to use the server now: not while it is passed over after a failure."""
        return not self.open

    def remaining(self) -> float:
        """Seconds until the next probe (at most ``retry``), for a Retry-After."""
        if not self.open:
            return 0.0
        return self.retry - (time.monotonic() - self.opened_at) % self.retry

    def fail(self, error) -> None:
        with self.lock:
            if self.open:
                return
            self.open, self.opened_at = True, time.monotonic()
        logger.warning("%s failed, passed over (probed every %.0f s in the background): %s", self.name, self.retry, error)
        threading.Thread(target=self._probe_until_it_answers, name=f"probe {self.name}", daemon=True).start()

    def succeed(self) -> None:
        with self.lock:
            was_open, self.open = self.open, False
        if was_open:
            logger.warning("%s answers again", self.name)

    def _probe_until_it_answers(self) -> None:
        while self.open:
            time.sleep(self.retry)
            try:
                self.probe()
            except Exception as error:  # still failing: another window
                logger.info("%s still fails: %s", self.name, error)
            else:
                self.succeed()


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker(name: str, retry: float, probe) -> Breaker:
    """This process's breaker for ``name``, made on first use."""
    found = _breakers.get(name)
    if found is None:
        with _breakers_lock:
            found = _breakers.setdefault(name, Breaker(name, retry, probe))
    return found


def reset() -> None:
    """Forget every failure (tests)."""
    with _breakers_lock:
        _breakers.clear()


# --- deadlines ---------------------------------------------------------------------------


class Deadline:
    __slots__ = ("at", "fd", "fired", "seconds")

    def __init__(self, seconds: float, fd: int):
        self.seconds, self.fd, self.fired = seconds, fd, False
        self.at = time.monotonic() + seconds

    def renew(self) -> None:
        """The wait has made progress (a chunk came): its deadline starts again."""
        self.at = time.monotonic() + self.seconds


class Watchdog:
    """One daemon thread per process that shuts the socket of any wait past its deadline."""

    def __init__(self):
        self.condition = threading.Condition()
        self.waits: dict[int, Deadline] = {}
        self.thread = None
        self.pid = None

    @contextmanager
    def deadline(self, fd: int, seconds: float):
        """While the block runs, a socket ``fd`` that has not answered within ``seconds`` is
        shut (the block then fails); ``.fired`` says whether it was."""
        wait = Deadline(seconds, fd)
        with self.condition:
            if self.thread is None or self.pid != os.getpid():  # a forked worker starts its own
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self._run, name="alliance-watchdog", daemon=True)
                self.thread.start()
            self.waits[id(wait)] = wait
            self.condition.notify()
        try:
            yield wait
        finally:
            with self.condition:
                self.waits.pop(id(wait), None)

    def _run(self):
        with self.condition:
            while True:
                if not self.waits:
                    self.condition.wait()
                    continue
                now = time.monotonic()
                for wait in list(self.waits.values()):
                    if wait.at <= now and not wait.fired:
                        # Under the lock: the wait is still registered, so the socket is still
                        # the one its query waits on (it is unregistered before it is closed).
                        wait.fired = True
                        shut(wait.fd)
                pending = [w.at for w in self.waits.values() if not w.fired]
                self.condition.wait(max(min(pending) - now, 0.005) if pending else None)


def shut(fd: int) -> None:
    """Shut a socket both ways without closing its descriptor: whoever waits on it wakes up
    to an error, and its owner closes it as usual."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()


watchdog = Watchdog()

# A shorter deadline for the queries that decide where a request reads (the versions of
# the replica and of the primary, a pooled connection's check): set by ``quick()``.
_quick: contextvars.ContextVar[float | None] = contextvars.ContextVar("alliance_quick_deadline", default=None)


@contextmanager
def quick(seconds: float):
    token = _quick.set(seconds)
    try:
        yield
    finally:
        _quick.reset(token)


def quick_seconds() -> float | None:
    """The ``quick()`` deadline in force, if any."""
    return _quick.get()


def query_deadline(seconds: float) -> float:
    """The deadline of the query about to run: ``seconds``, or a ``quick()`` one if shorter."""
    short = _quick.get()
    return min(seconds, short) if short is not None else seconds
