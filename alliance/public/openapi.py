"""The OpenAPI description of the exports, generated from the entity declarations.

Paths from the generated URLs, parameters from each entity's filters and sorts, the row
schema from its columns (the same headers, types and code lists as the CSV and JSON),
labels from the codebook, in the language of the request.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from . import licence
from .codebook import column_label
from .engine import MAX_PAGE_SIZE, PAGE_SIZE
from .entities import ENTITIES

# ISO 8601 at its precision, FY and the year for a Japanese fiscal year, and the qualifier
# after a space (partial_dates.PartialDate.iso): 1996, 2009-11, 2017-04-25, FY2022, 2025-03 end.
PARTIAL_DATE = r"^(FY)?\d{4}(-\d{2}(-\d{2})?)?( (early|mid|late|end))?$"


def column_schema(entity, column) -> dict:
    schema = {
        "string": {"type": "string"},
        "integer": {"type": "integer"},
        "boolean": {"type": "boolean"},
        "date": {"type": "string", "format": "date"},
        "partial_date": {"type": "string", "pattern": PARTIAL_DATE},
        "url": {"type": "string", "format": "uri"},
    }[column.type]
    schema = {**schema, "type": [schema["type"], "null"], "description": str(column_label(entity, column))}
    if column.codes:
        schema["enum"] = [code for code, _label in column.codes] + [None]
    return schema


def schema_name(entity, suffix) -> str:
    return entity.name.title().replace("_", "") + suffix


def ref(name) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


# Any text but a NUL character, which no query string may hold (RejectNulMiddleware: 400).
NO_NUL = "^[^\\u0000]*$"


def without_nul(parameter: dict) -> dict:
    """A free-text parameter as it is declared: any text without a NUL."""
    schema = parameter["schema"]
    if schema.get("type") == "string" and not {"enum", "format", "pattern"} & schema.keys():
        parameter = {**parameter, "schema": {**schema, "pattern": NO_NUL}}
    return parameter


def list_parameters(entity) -> list[dict]:
    parameters = [
        {"name": "q", "in": "query", "description": _("検索語（空白区切りで、すべてを含む）"), "schema": {"type": "string"}},
        {"name": "sort", "in": "query", "description": _("並べ替え"), "schema": {"type": "string", "enum": list(entity.sorts)}},
    ]
    for flt in entity.filters:
        parameters += flt.parameters()
    return [without_nul(parameter) for parameter in parameters]


OPEN_TO_OTHER_SITES = _(
    "どの書き出しも他のサイトのスクリプトから読めます（CORS: Access-Control-Allow-Origin: *、事前の OPTIONS には 204）。"
    "JSONのページは次・前のページを本文の next・previous と Link ヘッダー（rel=\"next\"・rel=\"prev\"）で示します。"
)


def fields_parameter(entity) -> dict:
    return {
        "name": "fields",
        "in": "query",
        "description": _("書き出す列（カンマ区切り、この順で。例: %(example)s）。知らない列名は無視します") % {
            "example": ",".join(entity.headers[:2])
        },
        "schema": {"type": "string", "pattern": NO_NUL},
        "style": "form",
        "explode": False,
    }


def limit_parameter() -> dict:
    return {
        "name": "limit",
        "in": "query",
        "description": _("1ページの件数（1〜%(max)s、既定%(default)s）") % {"max": MAX_PAGE_SIZE, "default": PAGE_SIZE},
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
    }


LINK_HEADER = {
    "Link": {
        "description": 'RFC 8288: <…>; rel="next", <…>; rel="prev"',
        "schema": {"type": "string"},
    }
}

CURSORS = [
    {"name": name, "in": "query", "description": description, "schema": {"type": "string", "pattern": NO_NUL}}
    for name, description in [("after", "next page cursor (from `next`)"), ("before", "previous page cursor (from `previous`)")]
]
# Django's slug: what a record's URL can hold.
SLUG = "^[-a-zA-Z0-9_]+$"


def refused(entity, params, paged=False) -> list[str]:
    """What this document refuses in a query string: a value of a parameter declared with
    choices (``enum``: the kinds, levels, sides, sorts …) that is none of them, and a
    value of a day (``format: date``: in_force_on, active_on) that cannot be read as one.
    Every export answers it 400 (BAD_REQUEST): a download that silently left the filter
    out would hold other rows than asked for. A list page shows it as a notice and
    ignores it. A value of a free-text parameter (a search, a slug, a period's end, a
    cursor) is the reader's to choose: one that names nothing is ignored with a notice
    (the JSON's ``notices``). A JSON page (``paged``) refuses a ``limit`` that is not one
    whole number from 1 to MAX_PAGE_SIZE: a program asking for 1,000 rows a page must not
    be given 500 and take it for the whole (the list page cuts it with a notice)."""
    from .engine import BadValue, parse_day

    out = []
    limits = params.getlist("limit") if paged else []
    if len(limits) > 1:
        out.append(_("limit は一つだけ指定してください。"))
    for value in limits:
        if not (value.isascii() and value.isdigit() and len(value) <= 9 and 1 <= int(value) <= MAX_PAGE_SIZE):
            out.append(
                _("「%(value)s」は limit に使えません（1〜%(max)s の整数）。") % {"value": value[:40], "max": MAX_PAGE_SIZE}
            )
    for parameter in list_parameters(entity):
        schema, name = parameter["schema"], parameter["name"]
        for value in params.getlist(name):
            if "enum" in schema and value not in schema["enum"]:
                out.append(
                    _("「%(value)s」は %(name)s に使えません（使える値: %(allowed)s）。")
                    % {"value": value[:40], "name": name, "allowed": ", ".join(schema["enum"])}
                )
            elif schema.get("format") == "date":
                try:
                    parse_day(value)
                except BadValue as error:
                    out.append(f"{name}: {error}" if value.strip() else _("%(name)s: 日付が空です。") % {"name": name})
    return out


# Every operation may answer 400: a value outside a parameter's choices (see refused), or
# a NUL character anywhere in the query string (alliance.middleware.RejectNulMiddleware).
BAD_REQUEST = {
    "description": "a parameter's value is not one of its choices, not a day or (limit) not a whole number in range, "
    "or the query string holds a NUL character",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}


# A request line longer than the server reads (gunicorn's limit_request_line, 4,094 bytes)
# is refused before the registry sees it.
URI_TOO_LONG = {"description": "the request line (the path and query string) is longer than 4,094 bytes"}


def path_of(name, *args) -> str:
    # The paths without a language prefix (English answers under /en/ as well).
    with translation.override(settings.LANGUAGE_CODE):
        return reverse(f"alliance:{name}", args=args)


def document() -> dict:
    paths, schemas = {}, {
        "Facet": {
            "type": "object",
            "properties": {
                "label": {"type": "string"},
                "options": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "value": {"type": "string"},
                            "label": {"type": "string"},
                            "count": {"type": "integer"},
                            "selected": {"type": "boolean"},
                        },
                    },
                },
            },
        },
        "Citation": {
            "type": "object",
            "properties": {
                "source_slug": {"type": "string"},
                "locator": {"type": "string"},
                "quote": {"type": "string"},
                "field": {"type": "string"},
                "key": {"type": "string", "description": "/sources/{source_slug}/#quote-{key}"},
            },
            "required": ["source_slug", "locator", "quote", "field", "key"],
        },
    }
    for entity in ENTITIES.values():
        row = schema_name(entity, "Row")
        properties = {c.header: column_schema(entity, c) for c in entity.columns}
        schemas[row] = {"type": "object", "properties": properties, "required": entity.headers, "additionalProperties": False}
        title = str(entity.verbose_name_plural)
        if entity.has_exports:
            page = schema_name(entity, "Page")
            link = {"type": ["string", "null"], "format": "uri"}
            schemas[page] = {
                "type": "object",
                "properties": {
                    "count": {"type": "integer"},
                    "next": link,
                    "previous": link,
                    "notices": {"type": "array", "items": {"type": "string"}},
                    "facets": {"type": "object", "additionalProperties": ref("Facet")},
                    "csv": {"type": "string", "format": "uri"},
                    "ndjson": {"type": "string", "format": "uri"},
                    "rows": {"type": "array", "items": ref(row)},
                },
                "required": ["count", "next", "previous", "notices", "facets", "csv", "ndjson", "rows"],
            }
            parameters = [*list_parameters(entity), fields_parameter(entity)]
            paths[path_of(f"{entity.name}-json")] = {
                "get": {
                    "operationId": f"{entity.name}_json",
                    "summary": _("%(title)s: JSON（1ページ分）") % {"title": title},
                    "parameters": parameters + [limit_parameter()] + CURSORS,
                    "responses": {
                        "200": {
                            "description": "OK",
                            "headers": LINK_HEADER,
                            "content": {"application/json": {"schema": ref(page)}},
                        },
                        "400": BAD_REQUEST,
                    },
                }
            }
            paths[path_of(f"{entity.name}-ndjson")] = {
                "get": {
                    "operationId": f"{entity.name}_ndjson",
                    "summary": _("%(title)s: NDJSON（全件、1行に1件）") % {"title": title},
                    "parameters": parameters,
                    "responses": {
                        "200": {"description": "OK", "content": {"application/x-ndjson": {"schema": ref(row)}}},
                        "400": BAD_REQUEST,
                    },
                }
            }
            paths[path_of(f"{entity.name}-xlsx")] = {
                "get": {
                    "operationId": f"{entity.name}_xlsx",
                    "summary": _("%(title)s: XLSX（全件、すべて文字列のセル）") % {"title": title},
                    "parameters": parameters,
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
                        },
                        "400": BAD_REQUEST,
                    },
                }
            }
            paths[path_of(f"{entity.name}-csv")] = {
                "get": {
                    "operationId": f"{entity.name}_csv",
                    "summary": _("%(title)s: CSV（全件、UTF-8 BOM付き）") % {"title": title},
                    "parameters": parameters,
                    "responses": {
                        "200": {"description": "OK", "content": {"text/csv": {"schema": {"type": "string"}}}},
                        "400": BAD_REQUEST,
                    },
                }
            }
        if entity.detailed:
            detail = schema_name(entity, "Detail")
            schemas[detail] = {
                "type": "object",
                "properties": {**properties, "citations": {"type": "array", "items": ref("Citation")}},
                "required": [*entity.headers, "citations"],
                "additionalProperties": False,
            }
            path = path_of(f"{entity.name}-detail-json", "slug").replace("/slug/", "/{slug}/")
            paths[path] = {
                "get": {
                    "operationId": f"{entity.name}_detail_json",
                    "summary": _("%(title)s: 1件のJSON（出典つき）") % {"title": title},
                    "parameters": [
                        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "pattern": SLUG}}
                    ],
                    "responses": {
                        "200": {"description": "OK", "content": {"application/json": {"schema": ref(detail)}}},
                        "400": BAD_REQUEST,
                        "404": {"description": _("公開されていない、または存在しない記録")},
                    },
                }
            }
    for operations in paths.values():
        for operation in operations.values():
            if operation.get("parameters"):
                operation["responses"].setdefault("414", URI_TOO_LONG)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": _("日米同盟レジストリ"),
            "version": "1",
            "description": " ".join([
                str(_("公開データの書き出し（CSV・JSON・NDJSON）。下書きは含まれません。")),
                str(licence.STATEMENT),
                str(OPEN_TO_OTHER_SITES),
            ]),
            "license": {"name": licence.NAME, "identifier": licence.ID},
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }

