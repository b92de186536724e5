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
    """The same page in the other language, for the switch in the header."""
    current = (get_language() or settings.LANGUAGE_CODE)[:2]
    other = "en" if current == "ja" else "ja"
    path = request.get_full_path()
    alternates = [(code, absolute_url(request, translate_url(path, code))) for code, _ in settings.LANGUAGES]
    return {
        "switch_language_code": other,
        "switch_language_label": "English" if other == "en" else "日本語",
        "switch_language_url": translate_url(path, other),
        "alternate_urls": alternates,
        "page_url": absolute_url(request, request.path),
        "canonical_url": canonical_url(request),
    }


# What does not change which records a page shows: the page of a list (its cursors) and
# its order. A canonical link leaves them out and keeps the rest (filters, search, date).
NOT_CANONICAL = {"after", "before", "sort"}


def canonical_url(request) -> str:
    """The page's one address for search engines and citations: absolute, from the
    configured site URL, without the cursor or the sort."""
    kept = [(key, value) for key, value in request.GET.items() if key not in NOT_CANONICAL and value]
    query = urlencode(kept)
    return absolute_url(request, request.path) + (f"?{query}" if query else "")
