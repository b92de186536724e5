"""The public, read-only site: home, search, lists and their exports (CSV, XLSX, JSON,
NDJSON), detail pages and their JSON, the charts, the codebook, the OpenAPI
description, the data package and the feeds."""

import hashlib
import tempfile
import zlib
from functools import wraps

from django.core.cache import cache
from django.db.models import Q
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import condition, require_safe
from django.views.generic import DetailView, View

from ..models import Body, BodyLink, Level, Seat, Side, Source
from . import codebook, diagram, export, licence, openapi, package, timeline
from .caching import RENDER_ANEW, page_etag, registry_version
from .context_processors import absolute_url
from .engine import CARRIED, MAX_PAGE_SIZE, PAGE_SIZE, export_filename
from .entities import ENTITIES, EXPORTS, LISTS
from .search import normalize_query, search_q

PAGE_CACHE_SECONDS = 3600
# Headers a cached page is served with again: a JSON page's links to the next and previous.
KEPT_HEADERS = ("Link",)


def cached_page(view):
    """Serve a rendered page from the cache under its ETag, and store it after rendering.

    The ETag names the data version, the release, the language and the URL, so a cached
    page can never be stale; public pages hold nothing that differs between readers.
    ``X-Cache: hit`` or ``miss`` says which it was (with a shared cache, a page another
    process or host rendered is a hit).
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        key = "page:" + page_etag(request)
        hit = None if request.META.get(RENDER_ANEW) else cache.get(key)
        if hit is not None:
            content, content_type, *kept = hit
            response = HttpResponse(zlib.decompress(content), content_type=content_type)
            for name, value in (kept[0] if kept else {}).items():
                response[name] = value
            response["X-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        response["X-Cache"] = "miss"
        if request.method == "GET" and response.status_code == 200 and not response.streaming:
            if hasattr(response, "render"):
                response.render()
            kept = {name: response[name] for name in KEPT_HEADERS if name in response}
            # (content, type), and the kept headers only where there are any.
            entry = (zlib.compress(response.content, 1), response["Content-Type"], *([kept] if kept else []))
            cache.set(key, entry, PAGE_CACHE_SECONDS)
        return response

    return wrapped


def open_to_other_sites(view):
    """CORS for the public exports (never the pages, the admin or anything that writes):
    any site's script may GET them (``Access-Control-Allow-Origin: *``, no credentials),
    and a preflight OPTIONS is answered 204. They hold only what the public sees."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "Link, ETag, Content-Disposition, X-Cache"
        return response

    return wrapped


def canonical_query(view, params):
    """Send a request that carries a parameter the page does not read to the same URL
    without it (302), before anything is read or rendered: a page is cached under its
    full URL, so ``?x=1``, ``?x=2`` … would each render it anew. ``params`` is what the
    page reads, or a callable giving it from the request (for the entity views)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        allowed = params(request) if callable(params) else params
        if any(key not in allowed for key in request.GET):
            kept = request.GET.copy()
            for key in [key for key in kept if key not in allowed]:
                del kept[key]
            query = kept.urlencode()
            response = HttpResponseRedirect(f"{request.path}?{query}" if query else request.path)
            response["Cache-Control"] = "max-age=3600"
            return response
        return view(request, *args, **kwargs)

    return wrapped


def public_page(view=None, *, params=()):
    """GET and HEAD only (any other method, QUERY included, is a 405 with ``Allow``: a
    page that takes no form has no CSRF to check, so no 403 stands before that answer);
    only the query parameters it reads (``params``; others are redirected away, see
    canonical_query); an ETag from the data version, so a reader's cache revalidates and
    gets a 304 until anything in the registry changes; and the rendered page cached under
    the same ETag for the next reader."""
    if view is None:
        return lambda view: public_page(view, params=params)
    return require_safe(csrf_exempt(canonical_query(condition(etag_func=page_etag)(cached_page(view)), params)))


def entity_params(request):
    """The parameters an entity view reads: its class's query_params for its entity."""
    func = request.resolver_match.func
    return func.view_class.query_params(ENTITIES[func.view_initkwargs["entity"]])


@public_page
def home(request):
    counts = [(entity, entity.verbose_name_plural, entity.public().count()) for entity in LISTS.values()]
    # One query gives the table and the number the coverage sentence states.
    sources = list(Source.objects.published().defer("text").order_by("year", "slug"))
    context = {"counts": counts, "sources": sources, "feed_href": reverse("alliance:feed")}
    return render(request, "alliance/home.html", context)


@public_page(params=("q",))
def search(request):
    """One query over every list; each section links to its full list."""
    query = (request.GET.get("q") or "")[:200]
    terms = normalize_query(query)
    sections = []
    if terms:
        for entity in LISTS.values():
            qs = entity.base_queryset().filter(search_q(terms, entity.search_fields))
            rows = list(qs.order_by(*entity.sorts[entity.default_sort].order())[:10])
            entity.prepare_rows(rows)
            sections.append((entity, entity.verbose_name_plural, rows, len(rows) == 10))
    return render(request, "alliance/search.html", {"query": query, "terms": terms, "sections": sections})


class EntityView(View):
    """A view of one public entity, given as ``entity`` (its name) in urls.py."""

    entity = ""

    @classmethod
    def query_params(cls, entity) -> set[str]:
        """The query parameters this view reads (a record's page: none)."""
        return set()

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.declaration = ENTITIES[self.entity]


class ListParams:
    @classmethod
    def query_params(cls, entity):
        """A list's parameters: its search, sort, filters, page cursors, and what its links
        carry (the page size and the chosen columns)."""
        return {"q", "sort", "after", "before", *CARRIED, *(name for flt in entity.filters for name in flt.params)}


@method_decorator(public_page(params=entity_params), name="dispatch")
class PublicListView(ListParams, EntityView):
    """A list page: filters, facets, search, sort, keyset pages, and a link to its CSV."""

    def get(self, request):
        entity = self.declaration
        state = entity.read(request.GET)
        rows, next_cursor, prev_cursor = state.page()
        summary = self.summary(request, entity, state)
        context = {
            "entity": entity,
            "state": state,
            "rows": rows,
            "count": summary["count"],
            "facets": summary["facets"],
            "next_query": state.query_string(after=next_cursor, before=None) if next_cursor else None,
            "prev_query": state.query_string(before=prev_cursor, after=None) if prev_cursor else None,
            "first_query": state.query_string(after=None, before=None) if state.cursor else None,
            "csv_query": state.query_string(),
            "csv_url": f"alliance:{entity.name}-csv",
            "xlsx_url": f"alliance:{entity.name}-xlsx",
            "json_href": self.with_query(reverse(f"alliance:{entity.name}-json"), state.query_string()),
            "page_size": PAGE_SIZE,
            "verbose_name_plural": entity.verbose_name_plural,
            "coverage": entity.coverage,
        }
        return render(request, f"alliance/{entity.name}_list.html", context)

    @staticmethod
    def with_query(url, query):
        return f"{url}?{query}" if query else url

    @staticmethod
    def summary(request, entity, state):
        """The count and the facet counts: whole-table aggregates, so they are cached until
        the registry changes (its version is in the key), per list, query and language."""
        def key(params):
            digest = hashlib.sha256(f"{get_language()}|{registry_version(request)}|{params}".encode()).hexdigest()
            return f"list2:{entity.name}:{digest}"

        def known(flt):
            # A facet whose filter is in use counts what the list without that filter
            # counts: the first page warmed after an edit already has it.
            without = cache.get(key(state.query_string(after=None, before=None, **dict.fromkeys(flt.params))))
            return next((options for head, options in without["facets"] if head.param == flt.param), None) if without else None

        own = key(state.query_string(after=None, before=None))
        anew = request.META.get(RENDER_ANEW)  # the warmer priming a process: run the SQL here
        summary = None if anew else cache.get(own)
        if summary is None:
            summary = state.summary(known=None if anew else known)
            cache.set(own, summary, 3600)
        return summary


class ExportView(ListParams, EntityView):
    """An export of a list: a value the OpenAPI description refuses (one outside a
    parameter's choices) is answered 400 with what was wrong, as the description declares;
    otherwise ``export`` answers with the list's state."""

    paged = False  # a page of rows with a ``limit`` (the JSON), not the whole list

    def get(self, request):
        refused = openapi.refused(self.declaration, request.GET, paged=self.paged)
        if refused:
            return HttpResponseBadRequest("\n".join(refused) + "\n", content_type="text/plain; charset=utf-8")
        entity = self.declaration.choose(request.GET.get("fields"))
        return self.export(request, entity, entity.read(request.GET))

    def export(self, request, entity, state):
        raise NotImplementedError


@method_decorator(public_page(params=entity_params), name="dispatch")
class PublicCsvView(ExportView):
    """Exactly the current list as CSV: same filters, search and sort, every row, streamed."""

    def export(self, request, entity, state):
        rows = export.stream(state.queryset(), entity, entity.url_prefix(request))
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export_filename(entity.path)}"'
        return response


JSON_OPTIONS = {"ensure_ascii": False}


@method_decorator(public_page(params=entity_params), name="dispatch")
class PublicJsonView(ExportView):
    """One page of the current list as JSON: the same filters, search, sort and cursors as
    the page; its rows carry the CSV's columns, with the count, facets and page links."""

    paged = True

    def export(self, request, entity, state):
        rows, next_cursor, prev_cursor = state.page()
        summary = PublicListView.summary(request, entity, state)
        here = absolute_url(request, reverse(f"alliance:{entity.name}-json"))
        link = PublicListView.with_query
        unknown = [_("列「%(name)s」はありません。") % {"name": name} for name in entity.unknown_fields]
        data = {
            "count": summary["count"],
            "next": link(here, state.query_string(after=next_cursor, before=None)) if next_cursor else None,
            "previous": link(here, state.query_string(before=prev_cursor, after=None)) if prev_cursor else None,
            "notices": [str(notice) for notice in [*state.notices, *unknown]],
            "facets": {
                head.param: {
                    "label": head.label,
                    "options": [
                        {"value": value, "label": label, "count": count, "selected": selected}
                        for label, count, selected, _link, value in options
                    ],
                }
                for head, options in summary["facets"]
            },
            "csv": link(absolute_url(request, reverse(f"alliance:{entity.name}-csv")), state.query_string()),
            "ndjson": link(absolute_url(request, reverse(f"alliance:{entity.name}-ndjson")), state.query_string()),
            "rows": export.json_rows(entity, [row.pk for row in rows], entity.url_prefix(request)),
        }
        response = JsonResponse(data, json_dumps_params=JSON_OPTIONS)
        pages = [(data["next"], "next"), (data["previous"], "prev")]
        if any(url for url, _rel in pages):
            # RFC 8288: the same links as the body's, for clients that follow headers.
            response["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for url, rel in pages if url)
        return response


@method_decorator(public_page(params=entity_params), name="dispatch")
class PublicNdjsonView(ExportView):
    """The whole current list as NDJSON, one object per line, written by PostgreSQL and streamed."""

    def export(self, request, entity, state):
        rows = export.stream_ndjson(state.queryset(), entity, entity.url_prefix(request))
        response = StreamingHttpResponse(rows, content_type="application/x-ndjson; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export_filename(entity.path, "ndjson")}"'
        return response


@method_decorator(public_page(params=entity_params), name="dispatch")
class PublicXlsxView(ExportView):
    """The whole current list as an XLSX workbook whose cells are all text."""

    def export(self, request, entity, state):
        spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
        export.write_xlsx(spool, state.queryset(), entity, entity.url_prefix(request))
        spool.seek(0)
        return FileResponse(
            spool,
            as_attachment=True,
            filename=export_filename(entity.path, "xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


@method_decorator(public_page(params=entity_params), name="dispatch")
class PublicDetailJsonView(EntityView):
    """One record as JSON: the CSV's columns, and its citations (source, locator, quote, field)."""

    def get(self, request, slug):
        entity = self.declaration
        pk = entity.public().filter(slug=slug).values_list("pk", flat=True).first()
        if pk is None:
            raise Http404("no such published record")
        record = export.json_rows(entity, [pk], entity.url_prefix(request))[0]
        # Each citation's key names its mark in the source's page: /sources/<slug>/#quote-<key>.
        record["citations"] = [
            {"source_slug": source, "locator": locator, "quote": quote, "field": field, "key": key}
            for source, locator, quote, field, key in entity.citations(pk).values_list(
                "source__slug", "locator", "quote", "field", "key"
            )
        ]
        return JsonResponse(record, json_dumps_params=JSON_OPTIONS)


@method_decorator(public_page(params=entity_params), name="dispatch")
class PublicDetailView(EntityView, DetailView):
    slug_field = "slug"
    slug_url_kwarg = "slug"

    def get_queryset(self):
        return self.declaration.detail_queryset()

    def get_template_names(self):
        return [f"alliance/{self.declaration.name}_detail.html"]

    def get_context_data(self, **kwargs):
        json_href = reverse(f"alliance:{self.declaration.name}-detail-json", args=[self.object.slug])
        return {
            **super().get_context_data(**kwargs),
            **self.declaration.detail_context(self.object),
            "json_href": json_href,
        }


LEVEL_ORDER = [value for value, _label in Level.choices]


def chart_part(body, seats, links=()):
    """One box of a structure chart: its levels, each side's members listed once, and
    the links drawn from it to the other boxes.

    The white papers draw the ACG with its three levels beside one list of members per
    side; a member seated at only some of the levels is marked with those levels.
    """
    level_labels = dict(Level.choices)
    levels = sorted({s.level for s in seats if s.level}, key=LEVEL_ORDER.index)
    groups = {}
    for seat in seats:
        key = (seat.side, seat.post_id, seat.organization_id, seat.person_id, seat.role, seat.as_needed)
        groups.setdefault(key, {"seat": seat, "levels": []})["levels"].append(seat.level)
    for group in groups.values():
        own = [lv for lv in group["levels"] if lv]
        group["only"] = [level_labels[lv] for lv in sorted(set(own), key=LEVEL_ORDER.index)] if set(own) != set(levels) else []
    by_side = {value: [g for g in groups.values() if g["seat"].side == value] for value, _ in Side.choices}
    return {
        "body": body,
        "levels": [level_labels[lv] for lv in levels],
        "jp": by_side["jp"],
        "us": by_side["us"],
        "other": by_side["other"],
        "has_seats": bool(seats),
        "links": [link for link in links if link.from_body_id == body.pk],
    }


@public_page(params=("on",))
def structure(request, slug="acm"):
    """A body drawn as the white papers draw the ACM: its parts, their levels, each side's
    seats, and the links the chart draws between them ("相互調整・情報交換など"), as an SVG
    diagram (diagram.py) above the same chart as lists.

    A body linked to a part without being one of its parts (the Joint Committee, beside
    the ACG since the SOFA) is drawn beside them, as the chart draws it.

    ``?on=2016-01-01`` (or 2016-01, 2016) draws what existed then; without it, today. A
    part with no date of its own counts from its whole's."""
    body = get_object_or_404(Body.objects.published(), slug=slug)
    on = diagram.read_on(request)
    context = {"body": body, "on": on, "root": None, "parts": [], "links": []}
    if not Body.objects.filter(pk=body.pk).active_on(on.first, on.last).exists():
        context["not_yet"] = True
        return render(request, "alliance/structure.html", context)
    existed = Body.objects.published().active_on(on.first, on.last)
    children = list(existed.filter(parent=body).order_by("position", "name_ja"))
    if not children and not on.given:
        raise Http404("this body has no parts to draw")
    inside = {body.pk, *(child.pk for child in children)}
    links = list(
        BodyLink.objects.published()
        .active_on(on.first, on.last)
        .filter(Q(from_body__in=inside) | Q(to_body__in=inside))
        .filter(from_body__in=existed, to_body__in=existed)
        .exclude(kind=BodyLink.Kind.REPLACED_BY)
        .select_related("from_body", "to_body")
        .order_by("from_body__position", "to_body__position", "pk")
    )
    beside = {}
    for link in links:
        for other in (link.from_body, link.to_body):
            if other.pk not in inside and other.parent_id is None:
                beside.setdefault(other.pk, other)
    drawn = [*children, *sorted(beside.values(), key=lambda b: (b.position, b.name_ja))]
    shown = {body.pk, *(b.pk for b in drawn)}
    seats = (
        Seat.objects.with_holders()
        .filter(body__in=shown)
        .active_on(on.first, on.last)
        .order_by("position", "pk")
    )
    by_body = {}
    for seat in seats:
        by_body.setdefault(seat.body_id, []).append(seat)
    links = [link for link in links if link.from_body_id in shown and link.to_body_id in shown]
    root = chart_part(body, by_body.get(body.pk, []), links)
    parts = [chart_part(b, by_body.get(b.pk, []), links) for b in drawn]
    context.update(root=root, parts=parts, links=links)
    if parts or root["has_seats"]:
        title = _("%(name)sの構成図") % {"name": body.name}
        if on.given:
            title += " " + _("（%(date)s時点）") % {"date": on.label}
        context["wide"], context["narrow"] = diagram.render(root, parts, links, set(beside), title)
    return render(request, "alliance/structure.html", context)


CHRONOLOGY_ALL_UP_TO = 1000


@public_page(params=timeline.PARAMS)
def chronology(request):
    """Agreements (by signature, issue, adoption or approval), meetings and other events
    (reversions, exercises, disasters, anniversaries): drawn to scale in one lane each,
    then listed year by year, both filtered by kind (``?type=``) and body (``?body=``).

    Up to a thousand dated records are shown whole; more are shown a year at a time
    (``?year=``), with every year and its count as the index (see timeline.page).
    """
    return render(request, "alliance/chronology.html", timeline.page(request, CHRONOLOGY_ALL_UP_TO))


@public_page
def data(request):
    """The codebook: every export, its URLs, columns and code lists, from the declarations."""
    context = {
        "exports": codebook.exports(),
        "detail_only": codebook.detail_only(),
        "code_lists": codebook.code_lists(),
        "sources": Source.objects.published().defer("text").order_by("year", "slug"),
        "licence_statement": licence.STATEMENT,
        "licence_url": licence.URL,
        "licence_title": licence.TITLE,
        "page_size": PAGE_SIZE,
        "max_page_size": MAX_PAGE_SIZE,
    }
    return render(request, "alliance/data.html", context)


@public_page
def openapi_document(request):
    """The OpenAPI description of the exports, in the request's language."""
    return JsonResponse(openapi.document(), json_dumps_params=JSON_OPTIONS)


@public_page
def datapackage(request):
    """The Frictionless descriptor of every export, pointing at their URLs."""
    paths = {name: absolute_url(request, reverse(f"alliance:{name}-csv")) for name in EXPORTS}
    return JsonResponse(package.descriptor(paths), json_dumps_params={**JSON_OPTIONS, "indent": 2})


@public_page
def datapackage_zip(request):
    """The whole published registry in one download: the descriptor and every CSV."""
    filename = export_filename("package", "zip")
    return FileResponse(package.zip_file(request), as_attachment=True, filename=filename, content_type="application/zip")


# --- the site's own files: robots.txt, the sitemap, the favicon ----------------------

ROBOTS = """User-agent: *
Disallow: /admin/
Allow: /

Sitemap: {sitemap}
"""


@require_safe
def robots_txt(request):
    """Every public page may be crawled; the editors' admin may not. Names the sitemap."""
    text = ROBOTS.format(sitemap=absolute_url(request, reverse("sitemap")))
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@public_page
def sitemap_index(request):
    from django.contrib.sitemaps.views import index

    from .sitemaps import SITEMAPS

    return index(request, SITEMAPS, sitemap_url_name="sitemap-section")


@public_page
def sitemap_section(request, section):
    from django.contrib.sitemaps.views import sitemap

    from .sitemaps import SITEMAPS

    return sitemap(request, SITEMAPS, section=section)



@require_safe
def favicon(request):
    """The site's icon where browsers and feed readers look for it first."""
    from django.contrib.staticfiles import finders

    path = finders.find("alliance/favicon.ico")
    with open(path, "rb") as icon:
        response = HttpResponse(icon.read(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
