"""The public lists: for each entity its filters, sorts and CSV columns."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .listing import (
    BooleanFilter,
    ChoiceFilter,
    Column,
    Filter,
    Listing,
    OnDateFilter,
    PeriodFilter,
    RelatedFilter,
    Sort,
)
from .models import Agreement, Body, Country, Level, Meeting, Membership, Organization, Person, Side, public


def joined(items) -> str:
    return "; ".join(str(item) for item in items if item)


def name_of(obj):
    obj = public(obj)
    return obj.name_ja if obj is not None else ""


class InForceFilter(Filter):
    """In force today, or not."""

    facet = True

    def __init__(self):
        super().__init__("state", _("効力"))
        self.choices = [("in_force", _("現在有効")), ("not_in_force", _("失効・未発効・不明"))]

    def parse(self, raw):
        return ChoiceFilter.parse(self, raw)

    def apply(self, qs, value):
        current = Agreement.objects.in_force_on(timezone.localdate()).values("pk")
        return qs.filter(pk__in=current) if value == "in_force" else qs.exclude(pk__in=current)

    def describe(self, value):
        return f"{self.label}: {dict(self.choices)[value]}"

    def facet_options(self, qs, current):
        total = qs.count()
        in_force = qs.filter(pk__in=Agreement.objects.in_force_on(timezone.localdate()).values("pk")).count()
        counts = {"in_force": in_force, "not_in_force": total - in_force}
        return [(v, label, counts[v], v == current) for v, label in self.choices]


class AgreementListing(Listing):
    name = "agreement"
    model = Agreement
    filters = [
        ChoiceFilter("kind", _("種別"), "kind", Agreement.Kind.choices),
        InForceFilter(),
        RelatedFilter("party", _("当事者"), "parties", Organization),
        OnDateFilter("in_force_on", _("この日に有効"), "in_force_on"),
        PeriodFilter(_("署名"), "signed"),
    ]
    sorts = {
        "signed": Sort(_("署名日（古い順）"), "signed_date"),
        "-signed": Sort(_("署名日（新しい順）"), "signed_date", descending=True),
        "name": Sort(_("名称"), "name_ja"),
    }
    default_sort = "signed"
    columns = [
        Column("slug", lambda a: a.slug),
        Column("name_ja", lambda a: a.name_ja),
        Column("name_en", lambda a: a.name_en),
        Column("abbreviation", lambda a: a.abbreviation),
        Column("kind", lambda a: a.kind),
        Column("official_name_ja", lambda a: a.official_name_ja),
        Column("official_name_en", lambda a: a.official_name_en),
        Column("parties", lambda a: joined(p.name_ja for p in a.parties.all())),
        Column("signed", lambda a: a.signed),
        Column("approved", lambda a: a.approved),
        Column("in_force", lambda a: a.in_force),
        Column("ended", lambda a: a.ended),
        Column(
            "relations",
            lambda a: joined(
                [f"{r.kind} {r.object.name_ja}" for r in a.relations_out.all()]
                + [f"{r.kind}_by {r.subject.name_ja}" for r in a.relations_in.all()]
            ),
        ),
        Column("summary_ja", lambda a: a.summary_ja),
    ]


class BodyListing(Listing):
    name = "body"
    model = Body
    filters = [
        ChoiceFilter("kind", _("種別"), "kind", Body.Kind.choices),
        ChoiceFilter("level", _("レベル"), "level", Level.choices),
        RelatedFilter("parent", _("上位の枠組み"), "parent", Body),
        OnDateFilter("active_on", _("この日に存在"), "active_on"),
        PeriodFilter(_("設置"), "established"),
    ]
    sorts = {
        "name": Sort(_("名称"), "name_ja"),
        "established": Sort(_("設置日（古い順）"), "established_date"),
        "-established": Sort(_("設置日（新しい順）"), "established_date", descending=True),
    }
    default_sort = "name"
    columns = [
        Column("slug", lambda b: b.slug),
        Column("name_ja", lambda b: b.name_ja),
        Column("name_en", lambda b: b.name_en),
        Column("abbreviation", lambda b: b.abbreviation),
        Column("kind", lambda b: b.kind),
        Column("level", lambda b: b.level),
        Column("parent", lambda b: name_of(b.parent)),
        Column("established", lambda b: b.established),
        Column("ended", lambda b: b.ended),
        Column("legal_basis", lambda b: name_of(b.legal_basis)),
        Column("legal_basis_article", lambda b: b.legal_basis_article),
        Column("purpose_ja", lambda b: b.purpose_ja),
    ]


def member_type(seat):
    return "post" if seat.post_id else "organization" if seat.organization_id else "person"


class MembershipListing(Listing):
    name = "membership"
    model = Membership
    search_fields = (
        "body__search_text",
        "post__search_text",
        "organization__search_text",
        "person__search_text",
        "role",
    )
    filters = [
        RelatedFilter("body", _("協議体"), "body", Body),
        ChoiceFilter("side", _("側"), "side", Side.choices),
        ChoiceFilter("level", _("レベル"), "level", Level.choices),
        BooleanFilter("as_needed", _("必要に応じて参加"), "as_needed"),
        OnDateFilter("active_on", _("この日に在籍"), "active_on"),
    ]
    sorts = {
        "body": Sort(_("協議体"), "body__name_ja"),
        "start": Sort(_("開始日"), "start_date"),
    }
    default_sort = "body"
    columns = [
        Column("slug", lambda m: m.slug),
        Column("body", lambda m: m.body.name_ja),
        Column("body_slug", lambda m: m.body.slug),
        Column("side", lambda m: m.side),
        Column("member", lambda m: m.member.name_ja),
        Column("member_type", member_type),
        Column("role", lambda m: m.role),
        Column("level", lambda m: m.level),
        Column("as_needed", lambda m: m.as_needed),
        Column("start", lambda m: m.start),
        Column("end", lambda m: m.end),
    ]


class PersonListing(Listing):
    name = "person"
    model = Person
    filters = [ChoiceFilter("country", _("国"), "country", Country.choices)]
    sorts = {"name": Sort(_("氏名"), "name_ja")}
    default_sort = "name"
    columns = [
        Column("slug", lambda p: p.slug),
        Column("name_ja", lambda p: p.name_ja),
        Column("name_en", lambda p: p.name_en),
        Column("country", lambda p: p.country),
    ]


class MeetingListing(Listing):
    name = "meeting"
    model = Meeting
    filters = [
        RelatedFilter("body", _("協議体・形式"), "body", Body),
        ChoiceFilter("kind", _("種別"), "kind", Meeting.Kind.choices),
        PeriodFilter(_("開催"), "start"),
    ]
    sorts = {
        "-date": Sort(_("開催日（新しい順）"), "start_date", descending=True),
        "date": Sort(_("開催日（古い順）"), "start_date"),
        "name": Sort(_("名称"), "name_ja"),
    }
    default_sort = "-date"
    columns = [
        Column("slug", lambda m: m.slug),
        Column("name_ja", lambda m: m.name_ja),
        Column("name_en", lambda m: m.name_en),
        Column("body", lambda m: name_of(m.body)),
        Column("kind", lambda m: m.kind),
        Column("session_number", lambda m: m.session_number),
        Column("start", lambda m: m.start),
        Column("end", lambda m: m.end),
        Column("place_ja", lambda m: m.place_ja),
        Column(
            "attendees",
            lambda m: joined(f"{p.side}: {p.public_label()}" for p in m.participations.all() if p.public_label()),
        ),
        Column(
            "documents",
            lambda m: joined(f"{d.kind}: {d.agreement.name_ja}" for d in m.meeting_documents.all()),
        ),
        Column("outcomes_ja", lambda m: joined(line.strip() for line in m.outcomes_ja.splitlines())),
        Column("summary_ja", lambda m: m.summary_ja),
    ]


LISTINGS = {listing.name: listing for listing in (
    AgreementListing(),
    BodyListing(),
    MembershipListing(),
    PersonListing(),
    MeetingListing(),
)}
