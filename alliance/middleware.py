import ipaddress

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


class HealthCheckMiddleware:
    """GET /healthz answers "ok" once the database answers, else 503: the container's
    health check. First in the chain, so that neither the HTTPS redirect nor the allowed
    hosts stand in its way (the check asks http://127.0.0.1 from inside the container);
    it reveals nothing and does nothing else."""

    PATH = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != self.PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except (OperationalError, InterfaceError):
            connection.close_if_unusable_or_obsolete()
            return HttpResponse("database unavailable\n", status=503, content_type="text/plain", headers={"Cache-Control": "no-store"})
        return HttpResponse("ok\n", content_type="text/plain", headers={"Cache-Control": "no-store"})


class RejectNulMiddleware:
    """Refuse a query string with a NUL character: PostgreSQL cannot store or compare it,
    and no legitimate link carries one. The reader gets a 400, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(_("不正な文字（NUL）を含む指定は受け付けられません。"), content_type="text/plain; charset=utf-8")
        return self.get_response(request)


UNAVAILABLE = """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>一時的に利用できません / Temporarily unavailable</title></head>
<body style="font-family:sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>一時的に利用できません</h1><p>データベースに接続できません。しばらくしてから再読み込みしてください。</p>
<h1 lang="en">Temporarily unavailable</h1><p lang="en">The database cannot be reached. Please reload in a moment.</p>
{not_saved}</body></html>"""
# Beneath it, for a write (a form sent, an import confirmed, an action): what happened to it.
NOT_SAVED = """<p><strong>送信した内容は保存されていません。</strong>しばらくしてから、もう一度送信してください。</p>
<p lang="en"><strong>Nothing you sent was saved.</strong> Please send it again in a moment.</p>
"""


class DatabaseUnavailableMiddleware:
    """When PostgreSQL cannot be reached, answer a short 503 page (no traceback, no
    database work) and let the next request try again: the site recovers by itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            from django.db import connections

            for conn in connections.all(initialized_only=True):
                conn.close_if_unusable_or_obsolete()
            write = request.method not in ("GET", "HEAD", "OPTIONS")
            page = UNAVAILABLE.format(not_saved=NOT_SAVED if write else "")
            response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
            response["Retry-After"] = str(retry_after())
            response["Cache-Control"] = "no-store"
            return response
        return None


def retry_after() -> int:
    """Seconds until the primary is asked again (its breaker's next probe), at least 1."""
    import math

    from django.db import connections

    primary = connections["default"]
    if getattr(primary, "guards", None):
        return max(math.ceil(primary.breaker().remaining()), 1)
    return 5


class SecurityHeadersMiddleware:
    """A Content-Security-Policy on every HTML page (no inline or foreign scripts), and a
    Permissions-Policy that turns off what the registry never uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        return response


def client_ip_address(request) -> str | None:
    """The client's address for login throttling (django-axes' AXES_CLIENT_IP_CALLABLE).

    With no proxy in front (PROXY_COUNT=0) it is REMOTE_ADDR and X-Forwarded-For is
    ignored: anyone can send that header. Behind PROXY_COUNT trusted proxies, each of
    which appends the address it saw, the client is the PROXY_COUNT-th address from the
    right; what lies further left was written by the client and proves nothing.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = getattr(settings, "PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote  # not through all the proxies: nothing in the header can be trusted
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
