from urllib.parse import urlencode

from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


def absolute_url(request, path: str) -> str:
    """An absolute URL for ``path``: from the configured site URL (``DJANGO_SITE_URL``) when
    there is one, so that no request header decides the links a cached page carries;
    otherwise from the request's validated host."""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


def language_switch(request):
    """The same page in the other language, for the switch in the header; the page's
    canonical address and its address in each language (``hreflang``)."""
    current = (get_language() or settings.LANGUAGE_CODE)[:2]
    other = "en" if current == "ja" else "ja"
    path = _with_query(request.path, _kept(request))
    canonical = _with_query(request.path, _kept(request, drop=NOT_CANONICAL))
    alternates = [(code, absolute_url(request, translate_url(canonical, code))) for code, _ in settings.LANGUAGES]
    return {
        "switch_language_code": other,
        "switch_language_label": "English" if other == "en" else "日本語",
        "switch_language_url": translate_url(path, other),
        "alternate_urls": alternates,
        "page_url": absolute_url(request, request.path),
        "canonical_url": absolute_url(request, canonical),
    }


# What does not change which records a page shows: the page of a list (its cursors) and
# its order. A canonical link leaves them out and keeps the rest (filters, search, date).
NOT_CANONICAL = {"after", "before", "sort"}


def _kept(request, drop=()) -> list[tuple[str, str]]:
    """The query's parameters a link to the page carries: nothing a page uses is as long
    as a hostile value, which is not echoed back."""
    return [
        (key, value)
        for key, value in request.GET.items()
        if key not in drop and value and len(key) <= 40 and len(value) <= 200
    ]


def _with_query(path, params) -> str:
    return f"{path}?{urlencode(params)}" if params else path
