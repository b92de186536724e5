from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


def language_switch(request):
    """The same page in the other language, for the switch in the header."""
    current = (get_language() or settings.LANGUAGE_CODE)[:2]
    other = "en" if current == "ja" else "ja"
    path = request.get_full_path()
    alternates = [(code, request.build_absolute_uri(translate_url(path, code))) for code, _ in settings.LANGUAGES]
    return {
        "switch_language_code": other,
        "switch_language_label": "English" if other == "en" else "日本語",
        "switch_language_url": translate_url(path, other),
        "alternate_urls": alternates,
    }
