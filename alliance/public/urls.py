"""The public site's URLs, generated from the entity declarations (entities.py).

Each entity with a list answers at ``/<path>/``, ``/<path>/export.csv`` and
``/<path>/<slug>/`` (named ``<name>-list``, ``-csv`` and ``-detail``); a detail-only
entity at ``/<path>/<slug>/``. An entity's earlier paths redirect permanently.
"""

from django.urls import path
from django.views.generic import RedirectView

from . import views
from .entities import ENTITIES

app_name = "alliance"


def entity_patterns(entity):
    patterns = []
    if entity.listed:
        patterns += [
            path(f"{entity.path}/", views.PublicListView.as_view(entity=entity.name), name=f"{entity.name}-list"),
            path(f"{entity.path}/export.csv", views.PublicCsvView.as_view(entity=entity.name), name=f"{entity.name}-csv"),
        ]
    patterns.append(
        path(f"{entity.path}/<slug:slug>/", views.PublicDetailView.as_view(entity=entity.name), name=f"{entity.name}-detail")
    )
    for old in entity.old_paths:
        for suffix, target in [("", "list"), ("export.csv", "csv"), ("<slug:slug>/", "detail")]:
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
]
