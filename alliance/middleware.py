from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


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
