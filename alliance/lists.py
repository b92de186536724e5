"""The public lists: for each entity its filters, sorts and CSV columns."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .listing import (
    BooleanFilter,
    ChoiceFilter,
    Listing,
    OnDateFilter,
    PeriodFilter,
    RelatedFilter,
    Sort,
)
from .models import Agreement, Body, Country, Level, Meeting, Membership, Organization, Person, Side


class InForceFilter(ChoiceFilter):
    """In force today, or not."""

    def __init__(self):
        super().__init__(
            "state", _("効力"), "", [("in_force", _("現在有効")), ("not_in_force", _("失効・未発効・不明"))]
        )

    def apply(self, qs, value):
        current = Agreement.objects.in_force_on(timezone.localdate()).values("pk")
        return qs.filter(pk__in=current) if value == "in_force" else qs.exclude(pk__in=current)

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
        "signed": Sort(_("署名日（古い順）"), "signed_date", undated_last=True),
        "-signed": Sort(_("署名日（新しい順）"), "signed_date", descending=True, undated_last=True),
        "name": Sort(_("名称"), "name_ja"),
    }
    default_sort = "signed"
    csv_headers = [
        "slug", "name_ja", "name_en", "abbreviation", "kind", "official_name_ja", "official_name_en", "parties",
        "signed", "approved", "in_force", "ended", "relations", "summary_ja", "url",
    ]
    csv_select = """
        , parties AS (
            SELECT ap.agreement_id, string_agg(o.name_ja, '; ' ORDER BY o.country, o.name_ja) AS names
            FROM sel JOIN alliance_agreement_parties ap ON ap.agreement_id = sel.id
            JOIN alliance_organization o ON o.id = ap.organization_id AND o.status = 'published'
            GROUP BY ap.agreement_id
        ), relations AS (
            SELECT r.agreement_id, string_agg(r.label, '; ' ORDER BY r.direction, r.label) AS labels FROM (
                SELECT ar.subject_id AS agreement_id, 0 AS direction, ar.kind || ' ' || a2.name_ja AS label
                FROM sel JOIN alliance_agreementrelation ar ON ar.subject_id = sel.id
                JOIN alliance_agreement a2 ON a2.id = ar.object_id AND a2.status = 'published'
                UNION ALL
                SELECT ar.object_id, 1, ar.kind || '_by ' || a2.name_ja
                FROM sel JOIN alliance_agreementrelation ar ON ar.object_id = sel.id
                JOIN alliance_agreement a2 ON a2.id = ar.subject_id AND a2.status = 'published'
            ) r GROUP BY r.agreement_id
        )
        SELECT alliance_csv_cell(a.slug), alliance_csv_cell(a.name_ja), alliance_csv_cell(a.name_en),
            alliance_csv_cell(a.abbreviation), a.kind, alliance_csv_cell(a.official_name_ja),
            alliance_csv_cell(a.official_name_en), alliance_csv_cell(parties.names),
            alliance_partial_date(a.signed_date, a.signed_precision),
            alliance_partial_date(a.approved_date, a.approved_precision),
            alliance_partial_date(a.in_force_date, a.in_force_precision),
            alliance_partial_date(a.ended_date, a.ended_precision),
            alliance_csv_cell(relations.labels), alliance_csv_cell(a.summary_ja), %s || a.slug || '/'
        FROM sel JOIN alliance_agreement a ON a.id = sel.id
        LEFT JOIN parties ON parties.agreement_id = a.id
        LEFT JOIN relations ON relations.agreement_id = a.id
        ORDER BY sel.ord
    """


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
        "established": Sort(_("設置日（古い順）"), "established_date", undated_last=True),
        "-established": Sort(_("設置日（新しい順）"), "established_date", descending=True, undated_last=True),
    }
    default_sort = "name"
    csv_headers = [
        "slug", "name_ja", "name_en", "abbreviation", "kind", "level", "parent", "established", "ended",
        "legal_basis", "legal_basis_article", "purpose_ja", "url",
    ]
    csv_select = """
        SELECT alliance_csv_cell(b.slug), alliance_csv_cell(b.name_ja), alliance_csv_cell(b.name_en),
            alliance_csv_cell(b.abbreviation), b.kind, b.level, alliance_csv_cell(parent.name_ja),
            alliance_partial_date(b.established_date, b.established_precision),
            alliance_partial_date(b.ended_date, b.ended_precision),
            alliance_csv_cell(basis.name_ja), alliance_csv_cell(b.legal_basis_article),
            alliance_csv_cell(b.purpose_ja), %s || b.slug || '/'
        FROM sel JOIN alliance_body b ON b.id = sel.id
        LEFT JOIN alliance_body parent ON parent.id = b.parent_id AND parent.status = 'published'
        LEFT JOIN alliance_agreement basis ON basis.id = b.legal_basis_id AND basis.status = 'published'
        ORDER BY sel.ord
    """


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
        "start": Sort(_("開始日"), "start_date", undated_last=True),
    }
    default_sort = "body"
    csv_headers = [
        "slug", "body", "body_slug", "side", "member", "member_type", "role", "level", "as_needed", "start", "end", "url",
    ]
    csv_select = """
        SELECT alliance_csv_cell(s.slug), alliance_csv_cell(b.name_ja), alliance_csv_cell(b.slug), s.side,
            alliance_csv_cell(COALESCE(po.name_ja, o.name_ja, pe.name_ja)),
            CASE WHEN s.post_id IS NOT NULL THEN 'post' WHEN s.organization_id IS NOT NULL THEN 'organization'
                ELSE 'person' END,
            alliance_csv_cell(s.role), s.level, CASE WHEN s.as_needed THEN 'true' ELSE 'false' END,
            alliance_partial_date(s.start_date, s.start_precision), alliance_partial_date(s.end_date, s.end_precision),
            %s || s.slug || '/'
        FROM sel JOIN alliance_membership s ON s.id = sel.id
        JOIN alliance_body b ON b.id = s.body_id
        LEFT JOIN alliance_post po ON po.id = s.post_id
        LEFT JOIN alliance_organization o ON o.id = s.organization_id
        LEFT JOIN alliance_person pe ON pe.id = s.person_id
        ORDER BY sel.ord
    """


class PersonListing(Listing):
    name = "person"
    model = Person
    filters = [ChoiceFilter("country", _("国"), "country", Country.choices)]
    sorts = {"name": Sort(_("氏名"), "name_ja")}
    default_sort = "name"
    csv_headers = ["slug", "name_ja", "name_en", "country", "url"]
    csv_select = """
        SELECT alliance_csv_cell(p.slug), alliance_csv_cell(p.name_ja), alliance_csv_cell(p.name_en), p.country,
            %s || p.slug || '/'
        FROM sel JOIN alliance_person p ON p.id = sel.id
        ORDER BY sel.ord
    """


class MeetingListing(Listing):
    name = "meeting"
    model = Meeting
    filters = [
        RelatedFilter("body", _("協議体・形式"), "body", Body),
        ChoiceFilter("kind", _("種別"), "kind", Meeting.Kind.choices),
        PeriodFilter(_("開催"), "start"),
    ]
    sorts = {
        "-date": Sort(_("開催日（新しい順）"), "start_date", descending=True, undated_last=True),
        "date": Sort(_("開催日（古い順）"), "start_date", undated_last=True),
        "name": Sort(_("名称"), "name_ja"),
    }
    default_sort = "-date"
    csv_headers = [
        "slug", "name_ja", "name_en", "body", "kind", "session_number", "start", "end", "place_ja",
        "attendees", "documents", "outcomes_ja", "summary_ja", "url",
    ]
    # Attendees and documents are aggregated once for all selected meetings and joined:
    # a correlated subquery per meeting is ten times slower at 100,000 meetings.
    csv_select = """
        , attendees AS (
            -- Fed in (meeting, position) order, so the aggregate needs no sort of its own.
            SELECT x.meeting_id, string_agg(x.side || ': ' || x.who, '; ') AS labels FROM (
                SELECT p.meeting_id, p.position, p.side, concat_ws(' ',
                    CASE WHEN po.status = 'published' THEN po.name_ja END,
                    CASE WHEN o.status = 'published' THEN o.name_ja END,
                    CASE WHEN pe.status = 'published' THEN pe.name_ja
                        WHEN p.person_id IS NULL AND p.name_text <> '' THEN p.name_text END) AS who
                FROM sel JOIN alliance_participation p ON p.meeting_id = sel.id
                LEFT JOIN alliance_post po ON po.id = p.post_id
                LEFT JOIN alliance_organization o ON o.id = p.organization_id
                LEFT JOIN alliance_person pe ON pe.id = p.person_id
                ORDER BY p.meeting_id, p.position
            ) x WHERE x.who <> '' GROUP BY x.meeting_id
        ), documents AS (
            SELECT d.meeting_id, string_agg(d.kind || ': ' || a.name_ja, '; ' ORDER BY d.kind, a.name_ja) AS labels
            FROM sel JOIN alliance_meetingdocument d ON d.meeting_id = sel.id
            JOIN alliance_agreement a ON a.id = d.agreement_id AND a.status = 'published'
            GROUP BY d.meeting_id
        )
        SELECT alliance_csv_cell(m.slug), alliance_csv_cell(m.name_ja), alliance_csv_cell(m.name_en),
            alliance_csv_cell(b.name_ja), m.kind, m.session_number,
            alliance_partial_date(m.start_date, m.start_precision), alliance_partial_date(m.end_date, m.end_precision),
            alliance_csv_cell(m.place_ja), alliance_csv_cell(attendees.labels), alliance_csv_cell(documents.labels),
            alliance_csv_cell(regexp_replace(
                btrim(m.outcomes_ja, E' \\t\\r\\n'), E'[ \\t]*[\\r\\n]+[ \\t\\r\\n]*', '; ', 'g')),
            alliance_csv_cell(m.summary_ja), %s || m.slug || '/'
        FROM sel JOIN alliance_meeting m ON m.id = sel.id
        LEFT JOIN alliance_body b ON b.id = m.body_id AND b.status = 'published'
        LEFT JOIN attendees ON attendees.meeting_id = m.id
        LEFT JOIN documents ON documents.meeting_id = m.id
        ORDER BY sel.ord
    """


LISTINGS = {listing.name: listing for listing in (
    AgreementListing(),
    BodyListing(),
    MembershipListing(),
    PersonListing(),
    MeetingListing(),
)}
