"""The public site's URLs, generated from the entity declarations (entities.py).

Each entity with a list answers at ``/<path>/`` (named ``<name>-list``); each with
exports at ``/<path>/export.csv``, ``export.json`` (a page, as the list),
``export.ndjson`` and ``export.xlsx`` (the whole list) (``-csv``, ``-json``,
``-ndjson``, ``-xlsx``); each with detail
pages at ``/<path>/<slug>/`` and ``/<path>/<slug>/export.json`` (``-detail``,
``-detail-json``). An entity's earlier paths redirect permanently.
"""

from django.urls import path
from django.views.generic import RedirectView

from . import views
from .entities import ENTITIES
from .feeds import ChangesFeed

app_name = "alliance"


def entity_routes(entity):
    """(path suffix, view class, name suffix) of every URL the entity answers at."""
    routes = []
    if entity.listed:
        routes.append(("", views.PublicListView, "list"))
    if entity.has_exports:
        routes += [
            ("export.csv", views.PublicCsvView, "csv"),
            ("export.json", views.PublicJsonView, "json"),
            ("export.ndjson", views.PublicNdjsonView, "ndjson"),
            ("export.xlsx", views.PublicXlsxView, "xlsx"),
        ]
    if entity.detailed:
        routes += [
            ("<slug:slug>/", views.PublicDetailView, "detail"),
            ("<slug:slug>/export.json", views.PublicDetailJsonView, "detail-json"),
        ]
    return routes


# The routes other sites' scripts may read (CORS): the exports, not the pages.
OPEN = {"csv", "json", "ndjson", "xlsx", "detail-json"}


def entity_patterns(entity):
    routes = entity_routes(entity)
    patterns = []
    for suffix, view, target in routes:
        answer = view.as_view(entity=entity.name)
        if target in OPEN:
            answer = views.open_to_other_sites(answer)
        patterns.append(path(f"{entity.path}/{suffix}", answer, name=f"{entity.name}-{target}"))
    for old in entity.old_paths:
        for suffix, _view, target in routes:
            redirect = RedirectView.as_view(pattern_name=f"alliance:{entity.name}-{target}", permanent=True, query_string=True)
            patterns.append(path(f"{old}/{suffix}", redirect))
    return patterns


urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    *(pattern for entity in ENTITIES.values() for pattern in entity_patterns(entity)),
    path("structure/", views.structure, name="structure"),
    path("structure/<slug:slug>/", views.structure, name="structure-of"),
    path("chronology/", views.chronology, name="chronology"),
    path("data/", views.data, name="data"),
    path("data/datapackage.json", views.open_to_other_sites(views.datapackage), name="datapackage"),
    path("data/alliance-registry.zip", views.open_to_other_sites(views.datapackage_zip), name="datapackage-zip"),
    path("feed/", views.open_to_other_sites(views.public_page(ChangesFeed())), name="feed"),
    path(
        f"{ENTITIES['body'].path}/<slug:slug>/feed/",
        views.open_to_other_sites(views.public_page(ChangesFeed())),
        name="body-feed",
    ),
    path("api/openapi.json", views.open_to_other_sites(views.openapi_document), name="openapi"),
]

# At the root, in no language: what crawlers and browsers ask every site for.
root_urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sitemap.xml", views.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap-section"),
]
