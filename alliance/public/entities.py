"""One declaration per public entity: its querysets, filters, sorts, export columns and URLs.

The public site's rule of visibility is the model's ``published()``; the related names
an export joins in are tested against ``published_sql``. Both are defined next to each
other in models/base.py, so neither is written here.
"""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import (
    Agreement,
    AgreementRelation,
    Body,
    BodyLink,
    Country,
    Event,
    Level,
    Meeting,
    MeetingDocument,
    Organization,
    Participation,
    Person,
    Post,
    Seat,
    Side,
    Tenure,
    published_q,
    published_sql,
)
from ..partial_dates import order_by
from .engine import (
    BooleanFilter,
    ChoiceFilter,
    ChoicesFilter,
    Entity,
    OnDateFilter,
    PeriodFilter,
    RelatedFilter,
    Sort,
    citations_prefetch,
    code,
    partial_date,
    permalink,
    text,
)


class InForceFilter(ChoicesFilter):
    """In force today, or not."""

    def __init__(self):
        super().__init__("state", _("効力"), [("in_force", _("現在有効")), ("not_in_force", _("失効・未発効・不明"))])

    @staticmethod
    def current():
        return Agreement.objects.in_force_on(timezone.localdate()).values("pk")

    def apply(self, qs, value):
        return qs.filter(pk__in=self.current()) if value == "in_force" else qs.exclude(pk__in=self.current())

    def facet_options(self, qs, current):
        total = qs.count()
        in_force = qs.filter(pk__in=self.current()).count()
        counts = {"in_force": in_force, "not_in_force": total - in_force}
        return [(v, label, counts[v], v == current) for v, label in self.choices]


# --- agreements ------------------------------------------------------------------


class AgreementEntity(Entity):
    name = "agreement"
    path = "agreements"
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

    def detail_queryset(self):
        relation = AgreementRelation.objects.prefetch_related(citations_prefetch())
        return super().detail_queryset().prefetch_related(
            Prefetch("parties", queryset=Organization.objects.published()),
            Prefetch("relations_out", queryset=relation.filter(published_q("object")).select_related("object")),
            Prefetch("relations_in", queryset=relation.filter(published_q("subject")).select_related("subject")),
            Prefetch("bodies_established", queryset=Body.objects.published()),
            Prefetch(
                "meeting_documents",
                queryset=MeetingDocument.objects.filter(published_q("meeting")).select_related("meeting"),
            ),
            Prefetch("events", queryset=Event.objects.published().order_by(*order_by("start"))),
        )

    columns = [
        text("slug", "a.slug"),
        text("name_ja", "a.name_ja"),
        text("name_en", "a.name_en"),
        text("abbreviation", "a.abbreviation"),
        code("kind", "a.kind"),
        text("official_name_ja", "a.official_name_ja"),
        text("official_name_en", "a.official_name_en"),
        text("parties", "parties.names"),
        partial_date("signed", "a", "signed"),
        partial_date("issued", "a", "issued"),
        partial_date("adopted", "a", "adopted"),
        partial_date("approved", "a", "approved"),
        partial_date("in_force", "a", "in_force"),
        partial_date("ended", "a", "ended"),
        partial_date("period_from", "a", "period_from"),
        partial_date("period_until", "a", "period_until"),
        text("relations", "relations.labels"),
        text("summary_ja", "a.summary_ja"),
        permalink("url", "a"),
    ]
    csv_with = f"""
        , parties AS (
            SELECT ap.agreement_id, string_agg(o.name_ja, '; ' ORDER BY o.country, o.name_ja) AS names
            FROM sel JOIN alliance_agreement_parties ap ON ap.agreement_id = sel.id
            JOIN alliance_organization o ON o.id = ap.organization_id AND {published_sql("o")}
            GROUP BY ap.agreement_id
        ), relations AS (
            SELECT r.agreement_id, string_agg(r.label, '; ' ORDER BY r.direction, r.label) AS labels FROM (
                SELECT ar.subject_id AS agreement_id, 0 AS direction, ar.kind || ' ' || a2.name_ja AS label
                FROM sel JOIN alliance_agreementrelation ar ON ar.subject_id = sel.id
                JOIN alliance_agreement a2 ON a2.id = ar.object_id AND {published_sql("a2")}
                UNION ALL
                SELECT ar.object_id, 1, ar.kind || '_by ' || a2.name_ja
                FROM sel JOIN alliance_agreementrelation ar ON ar.object_id = sel.id
                JOIN alliance_agreement a2 ON a2.id = ar.subject_id AND {published_sql("a2")}
            ) r GROUP BY r.agreement_id
        )"""
    csv_from = """FROM sel JOIN alliance_agreement a ON a.id = sel.id
        LEFT JOIN parties ON parties.agreement_id = a.id
        LEFT JOIN relations ON relations.agreement_id = a.id"""


# --- bodies ----------------------------------------------------------------------


class BodyEntity(Entity):
    name = "body"
    path = "bodies"
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

    def base_queryset(self):
        return self.public().select_related("parent")

    def detail_queryset(self):
        return (
            super()
            .detail_queryset()
            .select_related("parent", "legal_basis", "established_at", "predecessor")
            .prefetch_related(
                Prefetch("children", queryset=Body.objects.published()),
                Prefetch("successors", queryset=Body.objects.published()),
                Prefetch("seats", queryset=Seat.objects.with_holders().order_by("side", "position", "pk")),
                Prefetch("meetings", queryset=Meeting.objects.published().order_by(*order_by("start", descending=True))),
                Prefetch("links_out", queryset=BodyLink.objects.published().select_related("to_body").prefetch_related(citations_prefetch())),
                Prefetch("links_in", queryset=BodyLink.objects.published().select_related("from_body").prefetch_related(citations_prefetch())),
                Prefetch("events", queryset=Event.objects.published().order_by(*order_by("start"))),
            )
        )

    def detail_context(self, obj):
        seats = list(obj.seats.all())
        return {"sides": [(label, [s for s in seats if s.side == value]) for value, label in Side.choices]}

    columns = [
        text("slug", "b.slug"),
        text("name_ja", "b.name_ja"),
        text("name_en", "b.name_en"),
        text("abbreviation", "b.abbreviation"),
        code("kind", "b.kind"),
        code("level", "b.level"),
        text("parent", "parent.name_ja"),
        partial_date("established", "b", "established"),
        partial_date("ended", "b", "ended"),
        text("legal_basis", "basis.name_ja"),
        text("legal_basis_article", "b.legal_basis_article"),
        text("links", "links.labels"),
        text("purpose_ja", "b.purpose_ja"),
        permalink("url", "b"),
    ]
    # Links both ways: "coordinates_with 同盟調整グループ" from this body, "part_of_by …" into it.
    csv_with = f"""
        , links AS (
            SELECT l.body_id, string_agg(l.label, '; ' ORDER BY l.direction, l.label) AS labels FROM (
                SELECT bl.from_body_id AS body_id, 0 AS direction, bl.kind || ' ' || b2.name_ja AS label
                FROM sel JOIN alliance_bodylink bl ON bl.from_body_id = sel.id AND {published_sql("bl")}
                JOIN alliance_body b2 ON b2.id = bl.to_body_id AND {published_sql("b2")}
                UNION ALL
                SELECT bl.to_body_id, 1, bl.kind || '_by ' || b2.name_ja
                FROM sel JOIN alliance_bodylink bl ON bl.to_body_id = sel.id AND {published_sql("bl")}
                JOIN alliance_body b2 ON b2.id = bl.from_body_id AND {published_sql("b2")}
            ) l GROUP BY l.body_id
        )"""
    csv_from = f"""FROM sel JOIN alliance_body b ON b.id = sel.id
        LEFT JOIN alliance_body parent ON parent.id = b.parent_id AND {published_sql("parent")}
        LEFT JOIN alliance_agreement basis ON basis.id = b.legal_basis_id AND {published_sql("basis")}
        LEFT JOIN links ON links.body_id = b.id"""


# --- seats -----------------------------------------------------------------------


class SeatEntity(Entity):
    name = "seat"
    path = "seats"
    old_paths = ("members",)
    model = Seat
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

    def base_queryset(self):
        return self.model.objects.with_holders()

    def detail_queryset(self):
        return self.model.objects.with_holders().prefetch_related(citations_prefetch())

    columns = [
        text("slug", "s.slug"),
        text("body", "b.name_ja"),
        text("body_slug", "b.slug"),
        code("side", "s.side"),
        text("member", "COALESCE(po.name_ja, o.name_ja, pe.name_ja)"),
        code(
            "member_type",
            "CASE WHEN s.post_id IS NOT NULL THEN 'post' WHEN s.organization_id IS NOT NULL THEN 'organization' "
            "ELSE 'person' END",
        ),
        text("role", "s.role"),
        code("level", "s.level"),
        code("as_needed", "CASE WHEN s.as_needed THEN 'true' ELSE 'false' END"),
        partial_date("start", "s", "start"),
        partial_date("end", "s", "end"),
        permalink("url", "s"),
    ]
    # The list holds only seats whose body and holder are published (Seat's published()).
    csv_from = """FROM sel JOIN alliance_membership s ON s.id = sel.id
        JOIN alliance_body b ON b.id = s.body_id
        LEFT JOIN alliance_post po ON po.id = s.post_id
        LEFT JOIN alliance_organization o ON o.id = s.organization_id
        LEFT JOIN alliance_person pe ON pe.id = s.person_id"""


# --- people ----------------------------------------------------------------------


class PersonEntity(Entity):
    name = "person"
    path = "people"
    model = Person
    filters = [ChoiceFilter("country", _("国"), "country", Country.choices)]
    sorts = {"name": Sort(_("氏名"), "name_ja")}
    default_sort = "name"

    def detail_queryset(self):
        return super().detail_queryset().prefetch_related(
            Prefetch("tenures", queryset=Tenure.objects.published().filter(published_q("post")).select_related("post")),
            Prefetch("seats", queryset=Seat.objects.with_holders()),
            Prefetch(
                "participations",
                queryset=Participation.objects.filter(published_q("meeting"))
                .select_related("meeting", "post")
                .order_by(*order_by("meeting__start", descending=True)),
            ),
        )

    columns = [
        text("slug", "p.slug"),
        text("name_ja", "p.name_ja"),
        text("name_en", "p.name_en"),
        code("country", "p.country"),
        permalink("url", "p"),
    ]
    csv_from = "FROM sel JOIN alliance_person p ON p.id = sel.id"


# --- meetings --------------------------------------------------------------------


class MeetingEntity(Entity):
    name = "meeting"
    path = "meetings"
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

    def base_queryset(self):
        return self.public().select_related("body")

    def detail_queryset(self):
        return (
            super()
            .detail_queryset()
            .select_related("body")
            .prefetch_related(
                Prefetch(
                    "participations",
                    queryset=Participation.objects.select_related("person", "post", "organization").prefetch_related(
                        citations_prefetch()
                    ),
                ),
                Prefetch(
                    "meeting_documents",
                    queryset=MeetingDocument.objects.filter(published_q("agreement"))
                    .select_related("agreement")
                    .prefetch_related(citations_prefetch()),
                ),
                Prefetch("bodies_established", queryset=Body.objects.published()),
            )
        )

    columns = [
        text("slug", "m.slug"),
        text("name_ja", "m.name_ja"),
        text("name_en", "m.name_en"),
        text("body", "b.name_ja"),
        code("kind", "m.kind"),
        code("session_number", "m.session_number"),
        partial_date("start", "m", "start"),
        partial_date("end", "m", "end"),
        text("place_ja", "m.place_ja"),
        text("attendees", "attendees.labels"),
        text("documents", "documents.labels"),
        text(
            "outcomes_ja",
            r"regexp_replace(btrim(m.outcomes_ja, E' \t\r\n'), E'[ \t]*[\r\n]+[ \t\r\n]*', '; ', 'g')",
        ),
        text("summary_ja", "m.summary_ja"),
        permalink("url", "m"),
    ]
    # Attendees and documents are aggregated once for all selected meetings and joined:
    # a correlated subquery per meeting is ten times slower at 100,000 meetings.
    csv_with = f"""
        , attendees AS (
            -- Fed in (meeting, position) order, so the aggregate needs no sort of its own.
            SELECT x.meeting_id, string_agg(x.side || ': ' || x.who, '; ') AS labels FROM (
                SELECT p.meeting_id, p.position, p.side, concat_ws(' ',
                    CASE WHEN {published_sql("po")} THEN po.name_ja END,
                    CASE WHEN {published_sql("o")} THEN o.name_ja END,
                    CASE WHEN {published_sql("pe")} THEN pe.name_ja
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
            JOIN alliance_agreement a ON a.id = d.agreement_id AND {published_sql("a")}
            GROUP BY d.meeting_id
        )"""
    csv_from = f"""FROM sel JOIN alliance_meeting m ON m.id = sel.id
        LEFT JOIN alliance_body b ON b.id = m.body_id AND {published_sql("b")}
        LEFT JOIN attendees ON attendees.meeting_id = m.id
        LEFT JOIN documents ON documents.meeting_id = m.id"""


# --- events ----------------------------------------------------------------------


class EventEntity(Entity):
    name = "event"
    path = "events"
    model = Event
    filters = [
        ChoiceFilter("kind", _("種別"), "kind", Event.Kind.choices),
        RelatedFilter("body", _("協議体"), "bodies", Body),
        PeriodFilter(_("時期"), "start"),
    ]
    sorts = {
        "date": Sort(_("日付（古い順）"), "start_date", undated_last=True),
        "-date": Sort(_("日付（新しい順）"), "start_date", descending=True, undated_last=True),
        "name": Sort(_("名称"), "name_ja"),
    }
    default_sort = "date"

    def detail_queryset(self):
        return super().detail_queryset().select_related("part_of").prefetch_related(
            Prefetch("parts", queryset=Event.objects.published().order_by(*order_by("start"))),
            Prefetch("bodies", queryset=Body.objects.published()),
            Prefetch("organizations", queryset=Organization.objects.published()),
            Prefetch("people", queryset=Person.objects.published()),
            Prefetch("agreements", queryset=Agreement.objects.published()),
            Prefetch("meetings", queryset=Meeting.objects.published().order_by(*order_by("start"))),
        )

    columns = [
        text("slug", "e.slug"),
        text("name_ja", "e.name_ja"),
        text("name_en", "e.name_en"),
        text("abbreviation", "e.abbreviation"),
        code("kind", "e.kind"),
        partial_date("start", "e", "start"),
        partial_date("end", "e", "end"),
        text("place_ja", "e.place_ja"),
        text("part_of", "part_of.slug"),
        text("bodies", "involved.bodies"),
        text("organizations", "involved.organizations"),
        text("summary_ja", "e.summary_ja"),
        permalink("url", "e"),
    ]
    csv_with = f"""
        , involved AS (
            SELECT sel.id AS event_id,
                (SELECT string_agg(b.name_ja, '; ' ORDER BY b.name_ja) FROM alliance_event_bodies eb
                 JOIN alliance_body b ON b.id = eb.body_id AND {published_sql("b")} WHERE eb.event_id = sel.id) AS bodies,
                (SELECT string_agg(o.name_ja, '; ' ORDER BY o.name_ja) FROM alliance_event_organizations eo
                 JOIN alliance_organization o ON o.id = eo.organization_id AND {published_sql("o")}
                 WHERE eo.event_id = sel.id) AS organizations
            FROM sel
        )"""
    csv_from = f"""FROM sel JOIN alliance_event e ON e.id = sel.id
        LEFT JOIN alliance_event part_of ON part_of.id = e.part_of_id AND {published_sql("part_of")}
        LEFT JOIN involved ON involved.event_id = e.id"""


# --- detail pages only -------------------------------------------------------------


class OrganizationEntity(Entity):
    name = "organization"
    path = "organizations"
    model = Organization
    listed = False

    def detail_queryset(self):
        return super().detail_queryset().select_related("parent").prefetch_related(
            Prefetch("children", queryset=Organization.objects.published()),
            Prefetch("posts", queryset=Post.objects.published()),
            Prefetch("seats", queryset=Seat.objects.with_holders()),
            Prefetch("agreements", queryset=Agreement.objects.published()),
            Prefetch("events", queryset=Event.objects.published().order_by(*order_by("start"))),
        )


class PostEntity(Entity):
    name = "post"
    path = "posts"
    model = Post
    listed = False

    def detail_queryset(self):
        return super().detail_queryset().select_related("organization").prefetch_related(
            Prefetch("tenures", queryset=Tenure.objects.published().filter(published_q("person")).select_related("person")),
            Prefetch("seats", queryset=Seat.objects.with_holders()),
            Prefetch(
                "participations",
                queryset=Participation.objects.filter(published_q("meeting"))
                .select_related("meeting", "person")
                .order_by(*order_by("meeting__start", descending=True)),
            ),
        )


ENTITIES = {
    entity.name: entity
    for entity in (
        AgreementEntity(),
        BodyEntity(),
        SeatEntity(),
        PersonEntity(),
        MeetingEntity(),
        EventEntity(),
        OrganizationEntity(),
        PostEntity(),
    )
}
# The entities with a public list, in the order the site shows them.
LISTS = {name: entity for name, entity in ENTITIES.items() if entity.listed}
