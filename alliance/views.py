"""The public, read-only site: home, search, lists with CSV, detail pages and the charts."""

import hashlib
import zlib
from functools import wraps

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Coalesce, ExtractYear
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.http import condition, require_safe
from django.views.generic import DetailView, View

from . import csvexport
from .listing import PAGE_SIZE, csv_filename
from .lists import LISTINGS
from .models import (
    Agreement,
    AgreementRelation,
    Body,
    Citation,
    Level,
    Meeting,
    MeetingDocument,
    Membership,
    Organization,
    Participation,
    Person,
    Post,
    Side,
    Source,
    Status,
    Tenure,
)
from .partial_dates import order_by
from .search import normalize_query, search_q
from .versioning import page_etag, registry_version

PUBLISHED = Status.PUBLISHED
PAGE_CACHE_SECONDS = 3600


def cached_page(view):
    """Serve a rendered page from the cache under its ETag, and store it after rendering.

    The ETag names the data version, the release, the language and the URL, so a cached
    page can never be stale; public pages hold nothing that differs between readers.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        key = "page:" + page_etag(request)
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(zlib.decompress(content), content_type=content_type)
        response = view(request, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200 and not response.streaming:
            if hasattr(response, "render"):
                response.render()
            cache.set(key, (zlib.compress(response.content, 1), response["Content-Type"]), PAGE_CACHE_SECONDS)
        return response

    return wrapped


def public_page(view):
    """GET and HEAD only; an ETag from the data version, so a reader's cache revalidates
    and gets a 304 until anything in the registry changes; and the rendered page cached
    under the same ETag for the next reader."""
    return require_safe(condition(etag_func=page_etag)(cached_page(view)))


@public_page
def home(request):
    counts = [
        (LISTINGS[name], LISTINGS[name].model._meta.verbose_name_plural, LISTINGS[name].model.objects.published().count())
        for name in ("agreement", "body", "membership", "person", "meeting")
    ]
    sources = Source.objects.order_by("year", "slug")
    return render(request, "alliance/home.html", {"counts": counts, "sources": sources})


@public_page
def search(request):
    """One query over every list; each section links to its full list."""
    query = (request.GET.get("q") or "")[:200]
    terms = normalize_query(query)
    sections = []
    if terms:
        for listing in LISTINGS.values():
            qs = listing.base_queryset().filter(search_q(terms, listing.search_fields))
            rows = list(qs.order_by(*listing.sorts[listing.default_sort].order())[:10])
            sections.append((listing, listing.model._meta.verbose_name_plural, rows, len(rows) == 10))
    return render(request, "alliance/search.html", {"query": query, "terms": terms, "sections": sections})


@method_decorator(public_page, name="dispatch")
class PublicListView(View):
    """A list page: filters, facets, search, sort, keyset pages, and a link to its CSV."""

    listing_name = ""

    def get(self, request):
        listing = LISTINGS[self.listing_name]
        state = listing.read(request.GET)
        rows, next_cursor, prev_cursor = state.page()
        summary = self.summary(request, listing, state)
        context = {
            "listing": listing,
            "state": state,
            "rows": rows,
            "count": summary["count"],
            "facets": summary["facets"],
            "next_query": state.query_string(after=next_cursor, before=None) if next_cursor else None,
            "prev_query": state.query_string(before=prev_cursor, after=None) if prev_cursor else None,
            "first_query": state.query_string(after=None, before=None) if state.cursor else None,
            "csv_query": state.query_string(),
            "csv_url": f"alliance:{listing.name}-csv",
            "page_size": PAGE_SIZE,
            "verbose_name_plural": listing.model._meta.verbose_name_plural,
        }
        return render(request, f"alliance/{listing.name}_list.html", context)

    @staticmethod
    def summary(request, listing, state):
        """The count and the facet counts: whole-table aggregates, so they are cached until
        the registry changes (its version is in the key), per list, query and language."""
        params = state.query_string(after=None, before=None)
        digest = hashlib.sha256(f"{get_language()}|{registry_version(request)}|{params}".encode()).hexdigest()
        key = f"list:{listing.name}:{digest}"
        summary = cache.get(key)
        if summary is None:
            summary = {"count": state.count(), "facets": state.facets()}
            cache.set(key, summary, 3600)
        return summary


@method_decorator(public_page, name="dispatch")
class PublicCsvView(View):
    """Exactly the current list as CSV: same filters, search and sort, every row, streamed."""

    listing_name = ""

    def get(self, request):
        listing = LISTINGS[self.listing_name]
        state = listing.read(request.GET)
        url_prefix = request.build_absolute_uri(reverse(f"alliance:{listing.name}-detail", args=["-"])[:-2])
        rows = csvexport.stream(state.queryset(), listing.csv_headers, listing.csv_select, url_prefix)
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        stem = "people" if listing.name == "person" else listing.model._meta.model_name + "s"
        response["Content-Disposition"] = f'attachment; filename="{csv_filename(stem)}"'
        return response


def published_citations():
    return Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("source__year", "pk"))


@method_decorator(public_page, name="dispatch")
class PublicDetailView(DetailView):
    slug_field = "slug"
    slug_url_kwarg = "slug"

    def get_queryset(self):
        return self.model.objects.published().prefetch_related(published_citations())


class AgreementDetail(PublicDetailView):
    model = Agreement

    def get_queryset(self):
        return super().get_queryset().prefetch_related(
            Prefetch("parties", queryset=Organization.objects.published()),
            Prefetch(
                "relations_out",
                queryset=AgreementRelation.objects.filter(object__status=PUBLISHED)
                .select_related("object")
                .prefetch_related(published_citations()),
            ),
            Prefetch(
                "relations_in",
                queryset=AgreementRelation.objects.filter(subject__status=PUBLISHED)
                .select_related("subject")
                .prefetch_related(published_citations()),
            ),
            Prefetch("bodies_established", queryset=Body.objects.published()),
            Prefetch(
                "meeting_documents",
                queryset=MeetingDocument.objects.filter(meeting__status=PUBLISHED).select_related("meeting"),
            ),
        )


class BodyDetail(PublicDetailView):
    model = Body

    def get_queryset(self):
        return super().get_queryset().select_related("parent", "legal_basis", "established_at", "predecessor").prefetch_related(
            Prefetch("children", queryset=Body.objects.published()),
            Prefetch("successors", queryset=Body.objects.published()),
            Prefetch("memberships", queryset=Membership.objects.for_public_list().order_by("side", "position", "pk")),
            Prefetch("meetings", queryset=Meeting.objects.published().order_by(*order_by("start", descending=True))),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seats = list(self.object.memberships.all())
        context["sides"] = [(label, [s for s in seats if s.side == value]) for value, label in Side.choices]
        return context


class MembershipDetail(PublicDetailView):
    model = Membership

    def get_queryset(self):
        return Membership.objects.for_public_list().prefetch_related(published_citations())


class PersonDetail(PublicDetailView):
    model = Person

    def get_queryset(self):
        return super().get_queryset().prefetch_related(
            Prefetch("tenures", queryset=Tenure.objects.published().filter(post__status=PUBLISHED).select_related("post")),
            Prefetch("memberships", queryset=Membership.objects.for_public_list()),
            Prefetch(
                "participations",
                queryset=Participation.objects.filter(meeting__status=PUBLISHED)
                .select_related("meeting", "post")
                .order_by(*order_by("meeting__start", descending=True)),
            ),
        )


class MeetingDetail(PublicDetailView):
    model = Meeting

    def get_queryset(self):
        return super().get_queryset().select_related("body").prefetch_related(
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("person", "post", "organization").prefetch_related(
                    published_citations()
                ),
            ),
            Prefetch(
                "meeting_documents",
                queryset=MeetingDocument.objects.filter(agreement__status=PUBLISHED)
                .select_related("agreement")
                .prefetch_related(published_citations()),
            ),
            Prefetch("bodies_established", queryset=Body.objects.published()),
        )


class OrganizationDetail(PublicDetailView):
    model = Organization

    def get_queryset(self):
        return super().get_queryset().select_related("parent").prefetch_related(
            Prefetch("children", queryset=Organization.objects.published()),
            Prefetch("posts", queryset=Post.objects.published()),
            Prefetch("memberships", queryset=Membership.objects.for_public_list()),
            Prefetch("agreements", queryset=Agreement.objects.published()),
        )


class PostDetail(PublicDetailView):
    model = Post

    def get_queryset(self):
        return super().get_queryset().select_related("organization").prefetch_related(
            Prefetch("tenures", queryset=Tenure.objects.published().filter(person__status=PUBLISHED).select_related("person")),
            Prefetch("memberships", queryset=Membership.objects.for_public_list()),
            Prefetch(
                "participations",
                queryset=Participation.objects.filter(meeting__status=PUBLISHED)
                .select_related("meeting", "person")
                .order_by(*order_by("meeting__start", descending=True)),
            ),
        )


LEVEL_ORDER = [value for value, _label in Level.choices]


def chart_part(body, seats):
    """One box of a structure chart: its levels, and each side's members listed once.

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
    }


@public_page
def structure(request, slug="acm"):
    """A body drawn as the white papers draw the ACM: its parts, their levels, each side's seats."""
    body = get_object_or_404(Body.objects.published(), slug=slug)
    children = list(Body.objects.published().filter(parent=body).order_by("position", "name_ja"))
    if not children:
        raise Http404("this body has no parts to draw")
    seats = Membership.objects.for_public_list().filter(Q(body=body) | Q(body__parent=body)).order_by("position", "pk")
    by_body = {}
    for seat in seats:
        by_body.setdefault(seat.body_id, []).append(seat)
    root = chart_part(body, by_body.get(body.pk, []))
    parts = [chart_part(child, by_body.get(child.pk, [])) for child in children]
    return render(request, "alliance/structure.html", {"body": body, "root": root, "parts": parts})


CHRONOLOGY_ALL_UP_TO = 1000


@public_page
def chronology(request):
    """Agreements (by signature, or approval) and meetings, year by year.

    A registry of up to a thousand dated events is shown whole; a larger one is shown a
    year at a time (``?year=``), with every year and its count as the index.
    """
    agreements = Agreement.objects.published().annotate(
        when=Coalesce("signed_date", "approved_date")
    ).exclude(when=None)
    meetings = Meeting.objects.published().exclude(start_date=None)
    counts = {}
    for qs, field in ((agreements, "when"), (meetings, "start_date")):
        for year, n in qs.annotate(year=ExtractYear(field)).order_by().values_list("year").annotate(n=Count("pk")):
            counts[year] = counts.get(year, 0) + n
    years = sorted(counts)
    selected = None
    if sum(counts.values()) > CHRONOLOGY_ALL_UP_TO and years:
        try:
            selected = int(request.GET.get("year", ""))
        except ValueError:
            selected = None
        if selected not in counts:
            selected = years[-1]
        agreements = agreements.filter(when__year=selected)
        meetings = meetings.filter(start_date__year=selected)
    events = {}
    for agreement in agreements:
        when = agreement.signed or agreement.approved
        events.setdefault(when.date.year, []).append((when, "agreement", agreement))
    for meeting in meetings.select_related("body"):
        events.setdefault(meeting.start.date.year, []).append((meeting.start, "meeting", meeting))
    timeline = [(year, sorted(items, key=lambda e: (e[0], e[1]))) for year, items in sorted(events.items())]
    index = [(year, counts[year]) for year in years]
    return render(request, "alliance/chronology.html", {"timeline": timeline, "index": index, "selected": selected})
