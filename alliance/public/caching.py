"""What version of the registry a response shows: for ETags and for cached counts and facets."""

import hashlib

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, router
from django.utils.translation import get_language

# A request whose WSGI environ has this key renders its page even when the cache has it
# (and stores it): the warmer's, at worker start, runs the code a reader's request would.
# No reader can set it: a client's headers reach the environ only as HTTP_* keys.
RENDER_ANEW = "alliance.render_anew"


def format_version(row) -> str:
    return f"{row[0]}.{row[1].timestamp():.6f}" if row else "0"


# The last version this process read from each database: while that database cannot be
# reached, a reader is still served what the cache holds under it (a primary that is
# down takes no write, so the version it had is the version it has).
_last_read: dict[str, str] = {}


def registry_version(request=None) -> str:
    """The registry's change counter and time, read once per request (one query), from the
    database the request reads (a replica's version when a replica serves it). For a
    request, when that database cannot answer, the last version read from it here: a page
    cached under it is served, and anything else fails as it would have (a 503)."""
    if request is not None and hasattr(request, "_registry_version"):
        return request._registry_version
    from ..models import RegistryVersion

    alias = router.db_for_read(RegistryVersion)
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT version, changed_at FROM alliance_registry_version WHERE id = 1")
            row = cursor.fetchone()
    except (OperationalError, InterfaceError):
        if request is None or alias not in _last_read:
            raise
        value = _last_read[alias]
    else:
        value = _last_read[alias] = format_version(row)
    if request is not None:
        request._registry_version = value
    return value


def page_etag(request, *args, **kwargs) -> str:
    """Changes when the data changes (any edit, import or publication), when the code is
    released anew, and between languages, URLs and hosts: a page rendered for one Host
    (links in it may name that host) is never served to a request for another."""
    host = f"{request.scheme}://{request.get_host()}"
    key = f"{settings.RELEASE_ID}|{registry_version(request)}|{get_language()}|{host}|{request.get_full_path()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]
