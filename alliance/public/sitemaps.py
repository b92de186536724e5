"""The sitemap: every published detail page, in Japanese and in English, each with its
other language and the default as ``hreflang`` alternates (Django's sitemap framework).

``/sitemap.xml`` is an index of one section per kind of record (each paginated at the
framework's 50,000 addresses), so the registry can grow past one file's limit. The
addresses come from the configured site URL (``DJANGO_SITE_URL``) when there is one, as
every other absolute link does.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap

from .entities import ENTITIES


class RecordSitemap(Sitemap):
    """The detail pages of one entity: its published records, by slug."""

    i18n = True
    alternates = True
    x_default = True

    def __init__(self, entity):
        self.entity = entity

    def items(self):
        # Only the slug: get_absolute_url reads nothing else.
        return self.entity.public().order_by("slug").only("pk", "slug")

    def get_domain(self, site=None):
        if settings.SITE_URL:
            return urlsplit(settings.SITE_URL).netloc
        return super().get_domain(site)

    def get_protocol(self, protocol=None):
        if settings.SITE_URL:
            return urlsplit(settings.SITE_URL).scheme
        return super().get_protocol(protocol)


SITEMAPS = {entity.path: RecordSitemap(entity) for entity in ENTITIES.values() if entity.detailed}
