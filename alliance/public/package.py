"""The whole published registry as one Frictionless data package.

``datapackage.json`` describes every export (the lists, the attendees, the citations
and the sources) from the same declarations as the exports themselves: each column's
type, label and code list, each resource's primary key, and a foreign key for every
slug column that names a record of another export. The zip holds that descriptor and
every CSV, each exactly as its ``export.csv`` writes it, written through a temporary
file so that memory stays bounded however large the registry grows.
"""

import json
import tempfile
import zipfile

from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Source
from ..models.base import english_active
from . import export, licence
from .codebook import column_description, column_label
from .entities import EXPORTS

# As openapi.PARTIAL_DATE: 1996, 2009-11, 2017-04-25, FY2022, 2025-03 end.
PARTIAL_DATE = r"(FY)?\d{4}(-\d{2}(-\d{2})?)?( (early|mid|late|end))?"


def field(entity, column) -> dict:
    out = {
        "name": column.header,
        "title": str(column_label(entity, column)),
        "description": str(column_description(entity, column)),
    }
    if column.type == "integer":
        out["type"] = "integer"
    elif column.type == "boolean":
        out.update(type="boolean", trueValues=["true"], falseValues=["false"])
    elif column.type == "date":
        out["type"] = "date"
    elif column.type == "partial_date":
        out.update(type="string", constraints={"pattern": PARTIAL_DATE})
    elif column.type == "url":
        out.update(type="string", format="uri")
    else:
        out["type"] = "string"
    if column.codes:
        out.setdefault("constraints", {})["enum"] = [code for code, _label in column.codes]
    return out


def primary_key(entity) -> list[str]:
    for header in ("slug", "key"):
        if header in entity.headers:
            return [header]
    return []


def resource(entity, path) -> dict:
    schema = {"fields": [field(entity, c) for c in entity.columns], "missingValues": [""]}
    if key := primary_key(entity):
        schema["primaryKey"] = key
    foreign_keys = [
        {
            "fields": [c.header],
            # A reference within the same resource is written with an empty name.
            # Joined on the other export's primary key: its slug, or the key of a record
            # without one (an attendee, a relation between agreements, a meeting's document).
            "reference": {
                "resource": "" if c.references == entity.name else EXPORTS[c.references].path,
                "fields": primary_key(EXPORTS[c.references]),
            },
        }
        for c in entity.columns
        if c.references
    ]
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {
        "name": entity.path,
        "title": str(entity.verbose_name_plural),
        "path": path,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig",
        "schema": schema,
    }


def descriptor(paths: dict) -> dict:
    """The datapackage.json, with each export at ``paths[entity name]``."""
    return {
        "name": "alliance-registry",
        "title": _("日米同盟レジストリ"),
        "description": _("日米同盟の制度（協定、協議体、構成員、会議、出席者）と、その出典（資料・箇所・引用）。公開された記録のみ。"),
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "licenses": [{"name": licence.ID, "title": licence.TITLE, "path": licence.URL}],
        # Each source under its own terms (the licence above covers the compilation).
        "sources": [
            {
                "title": " — ".join(p for p in (
                    source.title_en if english_active() and source.title_en else source.title_ja,
                    source.part_en if english_active() and source.part_en else source.part,
                ) if p),
                **({"path": source.url} if source.url else {}),
                "licence": (source.licence_en if english_active() and source.licence_en else source.licence),
            }
            for source in Source.objects.published().defer("text").order_by("year", "slug")
        ],
        "resources": [resource(entity, paths[entity.name]) for entity in EXPORTS.values()],
    }


def write_zip(fileobj, request):
    """The descriptor and every export's CSV, into ``fileobj``."""
    paths = {name: f"data/{entity.path}.csv" for name, entity in EXPORTS.items()}
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", json.dumps(descriptor(paths), ensure_ascii=False, indent=2))
        for name, entity in EXPORTS.items():
            with archive.open(paths[name], "w") as out:
                for chunk in export.stream(entity.read({}).queryset(), entity, entity.url_prefix(request)):
                    out.write(chunk)


def zip_file(request):
    """The package as a temporary file, rewound, for a FileResponse."""
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    write_zip(spool, request)
    spool.seek(0)
    return spool
