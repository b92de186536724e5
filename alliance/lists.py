"""The public lists: for each entity its filters, sorts and CSV columns."""

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .csvexport import partial_date, sql, text
from .listing import (
    BooleanFilter,
    ChoiceFilter,
    Filter,
    Listing,
    OnDateFilter,
    PeriodFilter,
    RelatedFilter,
    Sort,
)
from .models import Agreement, Body, Country, Level, Meeting, Membership, Organization, Person, Side


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
    def csv_columns(self):
        return [
            ("slug", text("slug")),
            ("name_ja", text("name_ja")),
            ("name_en", text("name_en")),
            ("abbreviation", text("abbreviation")),
            ("kind", F("kind")),
            ("official_name_ja", text("official_name_ja")),
            ("official_name_en", text("official_name_en")),
            (
                "parties",
                text(sql(
                    "(SELECT string_agg(o.name_ja, '; ' ORDER BY o.country, o.name_ja)"
                    " FROM alliance_agreement_parties ap JOIN alliance_organization o ON o.id = ap.organization_id"
                    " WHERE ap.agreement_id = alliance_agreement.id AND o.status = 'published')"
                )),
            ),
            ("signed", partial_date("signed")),
            ("approved", partial_date("approved")),
            ("in_force", partial_date("in_force")),
            ("ended", partial_date("ended")),
            (
                "relations",
                text(sql(
                    "(SELECT string_agg(r.label, '; ' ORDER BY r.side, r.label) FROM ("
                    " SELECT 0 AS side, ar.kind || ' ' || a2.name_ja AS label FROM alliance_agreementrelation ar"
                    " JOIN alliance_agreement a2 ON a2.id = ar.object_id"
                    " WHERE ar.subject_id = alliance_agreement.id AND a2.status = 'published'"
                    " UNION ALL"
                    " SELECT 1, ar.kind || '_by ' || a2.name_ja FROM alliance_agreementrelation ar"
                    " JOIN alliance_agreement a2 ON a2.id = ar.subject_id"
                    " WHERE ar.object_id = alliance_agreement.id AND a2.status = 'published') r)"
                )),
            ),
            ("summary_ja", text("summary_ja")),
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
    def csv_columns(self):
        return [
            ("slug", text("slug")),
            ("name_ja", text("name_ja")),
            ("name_en", text("name_en")),
            ("abbreviation", text("abbreviation")),
            ("kind", F("kind")),
            ("level", F("level")),
            ("parent", text(sql(
                "(SELECT p.name_ja FROM alliance_body p WHERE p.id = alliance_body.parent_id AND p.status = 'published')"
            ))),
            ("established", partial_date("established")),
            ("ended", partial_date("ended")),
            ("legal_basis", text(sql(
                "(SELECT a.name_ja FROM alliance_agreement a WHERE a.id = alliance_body.legal_basis_id AND a.status = 'published')"
            ))),
            ("legal_basis_article", text("legal_basis_article")),
            ("purpose_ja", text("purpose_ja")),
        ]


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
    def csv_columns(self):
        member = (
            "COALESCE("
            "(SELECT x.name_ja FROM alliance_post x WHERE x.id = alliance_membership.post_id),"
            " (SELECT x.name_ja FROM alliance_organization x WHERE x.id = alliance_membership.organization_id),"
            " (SELECT x.name_ja FROM alliance_person x WHERE x.id = alliance_membership.person_id))"
        )
        return [
            ("slug", text("slug")),
            ("body", text(sql("(SELECT b.name_ja FROM alliance_body b WHERE b.id = alliance_membership.body_id)"))),
            ("body_slug", text(sql("(SELECT b.slug FROM alliance_body b WHERE b.id = alliance_membership.body_id)"))),
            ("side", F("side")),
            ("member", text(sql(member))),
            ("member_type", sql(
                "CASE WHEN alliance_membership.post_id IS NOT NULL THEN 'post'"
                " WHEN alliance_membership.organization_id IS NOT NULL THEN 'organization' ELSE 'person' END"
            )),
            ("role", text("role")),
            ("level", F("level")),
            ("as_needed", sql("CASE WHEN alliance_membership.as_needed THEN 'true' ELSE 'false' END")),
            ("start", partial_date("start")),
            ("end", partial_date("end")),
        ]


class PersonListing(Listing):
    name = "person"
    model = Person
    filters = [ChoiceFilter("country", _("国"), "country", Country.choices)]
    sorts = {"name": Sort(_("氏名"), "name_ja")}
    default_sort = "name"
    def csv_columns(self):
        return [
            ("slug", text("slug")),
            ("name_ja", text("name_ja")),
            ("name_en", text("name_en")),
            ("country", F("country")),
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
    def csv_columns(self):
        who = (
            "concat_ws(' ',"
            " CASE WHEN po.status = 'published' THEN po.name_ja END,"
            " CASE WHEN o.status = 'published' THEN o.name_ja END,"
            " CASE WHEN pe.status = 'published' THEN pe.name_ja"
            " WHEN p.person_id IS NULL AND p.name_text <> '' THEN p.name_text END)"
        )
        return [
            ("slug", text("slug")),
            ("name_ja", text("name_ja")),
            ("name_en", text("name_en")),
            ("body", text(sql(
                "(SELECT b.name_ja FROM alliance_body b WHERE b.id = alliance_meeting.body_id AND b.status = 'published')"
            ))),
            ("kind", F("kind")),
            ("session_number", F("session_number")),
            ("start", partial_date("start")),
            ("end", partial_date("end")),
            ("place_ja", text("place_ja")),
            (
                "attendees",
                text(sql(
                    "(SELECT string_agg(x.side || ': ' || x.who, '; ' ORDER BY x.position) FROM ("
                    f" SELECT p.position, p.side, {who} AS who FROM alliance_participation p"
                    " LEFT JOIN alliance_post po ON po.id = p.post_id"
                    " LEFT JOIN alliance_organization o ON o.id = p.organization_id"
                    " LEFT JOIN alliance_person pe ON pe.id = p.person_id"
                    " WHERE p.meeting_id = alliance_meeting.id) x WHERE x.who <> '')"
                )),
            ),
            (
                "documents",
                text(sql(
                    "(SELECT string_agg(d.kind || ': ' || a.name_ja, '; ' ORDER BY d.kind, a.name_ja)"
                    " FROM alliance_meetingdocument d JOIN alliance_agreement a ON a.id = d.agreement_id"
                    " WHERE d.meeting_id = alliance_meeting.id AND a.status = 'published')"
                )),
            ),
            (
                "outcomes_ja",
                text(sql(
                    "array_to_string(ARRAY(SELECT btrim(line) FROM"
                    " regexp_split_to_table(alliance_meeting.outcomes_ja, E'\\r?\\n') AS line"
                    " WHERE btrim(line) <> ''), '; ')"
                )),
            ),
            ("summary_ja", text("summary_ja")),
        ]


LISTINGS = {listing.name: listing for listing in (
    AgreementListing(),
    BodyListing(),
    MembershipListing(),
    PersonListing(),
    MeetingListing(),
)}
