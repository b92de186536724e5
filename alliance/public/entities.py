"""One declaration per public entity: its querysets, filters, sorts, export columns and URLs.

The public site's rule of visibility is the model's ``published()``; the related names
an export joins in are tested against ``published_sql``. Both are defined next to each
other in models/base.py, so neither is written here.
"""

from django.db.models import Count, Prefetch, Q, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..models import (
    CITABLE,
    Agreement,
    AgreementRelation,
    Body,
    BodyLink,
    Citation,
    Country,
    Event,
    Force,
    Level,
    Meeting,
    MeetingDocument,
    NameBasis,
    Organization,
    Participation,
    Person,
    Post,
    Seat,
    Side,
    Source,
    Tenure,
    english_active,
    is_public,
    published_q,
    published_sql,
)
from ..partial_dates import order_by
from .engine import (
    BooleanFilter,
    ChoiceFilter,
    ChoicesFilter,
    Column,
    Entity,
    OnDateFilter,
    PeriodFilter,
    RelatedFilter,
    Sort,
    boolean,
    citations_prefetch,
    code,
    export_columns,
    integer,
    partial_date,
    permalink,
    slug_of,
    text,
)


def attendees(path="participations"):
    """A meeting's attendees with what their labels read, for titles composed from them."""
    return Prefetch(path, queryset=Participation.objects.published().select_related("person", "post", "organization"))


class InForceFilter(ChoicesFilter):
    """In force today, not in force, or unknown (Agreement's force_on: no dates is not "not in force")."""

    def __init__(self):
        super().__init__("state", _("効力（今日）"), Force.choices)

    def apply(self, qs, value):
        return qs.with_force(timezone.localdate()).filter(force=value)

    def facet_options(self, qs, current):
        counts = dict(qs.order_by().with_force(timezone.localdate()).values_list("force").annotate(n=Count("pk")))
        return [(v, label, counts.get(v, 0), v == current) for v, label in self.choices]


# A body link read from the body it points to: coordinates_with is its own inverse.
BODY_LINK_INVERSE = {
    "part_of": "has_part",
    "coordinates_with": "coordinates_with",
    "reports_to": "receives_reports_from",
    "supports": "supported_by",
    "replaced_by": "replaces",
}
BODY_LINK_INVERSE_SQL = "CASE bl.kind " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in BODY_LINK_INVERSE.items()) + " END"


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
        # By the date the list shows: signed, or approved where no signature is recorded.
        "signed": Sort(_("署名・承認日（古い順）"), "made_date", undated_last=True),
        "-signed": Sort(_("署名・承認日（新しい順）"), "made_date", descending=True, undated_last=True),
        "name": Sort(_("名称"), "name_sort", english="name_sort_en"),
    }
    default_sort = "signed"
    coverage = _(
        "出典資料に名前が出る協定・文書だけを収めています（日米間のすべての協定ではありません）。"
        "効力は記録された日付と「置き換える」関係から判断し、発効・終了の記録がなければ「不明」としています。"
    )

    def detail_queryset(self):
        relation = AgreementRelation.objects.published().prefetch_related(citations_prefetch())
        return super().detail_queryset().with_force(timezone.localdate()).prefetch_related(
            Prefetch("parties", queryset=Organization.objects.published()),
            Prefetch("relations_out", queryset=relation.filter(published_q("object")).select_related("object")),
            Prefetch("relations_in", queryset=relation.filter(published_q("subject")).select_related("subject")),
            Prefetch("bodies_established", queryset=Body.objects.published()),
            Prefetch(
                "meeting_documents",
                queryset=MeetingDocument.objects.published().filter(published_q("meeting")).select_related("meeting"),
            ),
            attendees("meeting_documents__meeting__participations"),
            Prefetch("events", queryset=Event.objects.published().order_by(*order_by("start"))),
        )

    columns = export_columns(
        text("slug", "a.slug"),
        text("name_ja", "a.name_ja"),
        text("name_en", "a.name_en"),
        code("name_en_basis", "NULLIF(a.name_en_basis, '')", NameBasis.choices),
        text("abbreviation", "a.abbreviation"),
        code("kind", "a.kind", Agreement.Kind.choices),
        text("official_name_ja", "a.official_name_ja"),
        text("official_name_en", "a.official_name_en"),
        text("parties", "parties.names"),
        text("parties_en", "parties.names_en"),
        text("party_slugs", "parties.slugs"),
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
        text("summary_en", "a.summary_en"),
        permalink("url", "a"),
    )
    # A relation as "kind:slug", read from this agreement: "supersedes:security-treaty-1951"
    # from the subject's side, "superseded_by:security-treaty-1960" from the object's.
    inverse_kind = "CASE ar.kind {} END".format(
        " ".join(f"WHEN '{kind}' THEN '{inverse}'" for kind, inverse in AgreementRelation.INVERSE.items())
    )
    csv_with = f"""
        , parties AS (
            SELECT ap.agreement_id,
                string_agg(o.name_ja, '; ' ORDER BY o.country, o.name_ja, o.slug) AS names,
                string_agg(o.name_en, '; ' ORDER BY o.country, o.name_ja, o.slug) AS names_en,
                string_agg(o.slug, '; ' ORDER BY o.country, o.name_ja, o.slug) AS slugs
            FROM sel JOIN alliance_agreement_parties ap ON ap.agreement_id = sel.id
            JOIN alliance_organization o ON o.id = ap.organization_id AND {published_sql("o")}
            GROUP BY ap.agreement_id
        ), relations AS (
            SELECT r.agreement_id, string_agg(r.label, '; ' ORDER BY r.direction, r.label) AS labels FROM (
                SELECT ar.subject_id AS agreement_id, 0 AS direction, ar.kind || ':' || a2.slug AS label
                FROM sel JOIN alliance_agreementrelation ar ON ar.subject_id = sel.id AND {published_sql("ar")}
                JOIN alliance_agreement a2 ON a2.id = ar.object_id AND {published_sql("a2")}
                UNION ALL
                SELECT ar.object_id, 1, {inverse_kind} || ':' || a2.slug
                FROM sel JOIN alliance_agreementrelation ar ON ar.object_id = sel.id AND {published_sql("ar")}
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
        "name": Sort(_("名称"), "name_sort", english="name_sort_en"),
        "established": Sort(_("設置日（古い順）"), "established_date", undated_last=True),
        "-established": Sort(_("設置日（新しい順）"), "established_date", descending=True, undated_last=True),
    }
    default_sort = "name"
    coverage = _("出典資料に記載された協議体・会議の形式だけを収めています。")

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
                attendees("meetings__participations"),
                Prefetch("links_out", queryset=BodyLink.objects.published().select_related("to_body").prefetch_related(citations_prefetch())),
                Prefetch("links_in", queryset=BodyLink.objects.published().select_related("from_body").prefetch_related(citations_prefetch())),
                Prefetch("events", queryset=Event.objects.published().order_by(*order_by("start"))),
            )
        )

    def detail_context(self, obj):
        # A seat whose end has passed is a former seat: listed apart, with its dates,
        # not beside the seats the body has today.
        today = timezone.localdate()
        seats = list(obj.seats.all())
        former = [s for s in seats if s.end is not None and s.end.end < today]
        current = [s for s in seats if s not in former]
        return {
            "sides": [(label, [s for s in current if s.side == value]) for value, label in Side.choices],
            "former_seats": former,
            "feed_href": reverse("alliance:body-feed", args=[obj.slug]),
        }

    columns = export_columns(
        text("slug", "b.slug"),
        text("name_ja", "b.name_ja"),
        text("name_en", "b.name_en"),
        code("name_en_basis", "NULLIF(b.name_en_basis, '')", NameBasis.choices),
        text("abbreviation", "b.abbreviation"),
        code("kind", "b.kind", Body.Kind.choices),
        code("level", "NULLIF(b.level, '')", Level.choices),
        text("parent", "parent.name_ja"),
        text("parent_en", "parent.name_en"),
        slug_of("parent_slug", "parent.slug", "body"),
        partial_date("established", "b", "established"),
        partial_date("ended", "b", "ended"),
        text("legal_basis", "basis.name_ja"),
        text("legal_basis_en", "basis.name_en"),
        slug_of("legal_basis_slug", "basis.slug", "agreement"),
        text("legal_basis_article", "b.legal_basis_article"),
        text("links", "links.labels"),
        text("purpose_ja", "b.purpose_ja"),
        text("purpose_en", "b.purpose_en"),
        permalink("url", "b"),
    )
    # Links both ways, as kind:slug from this body ("coordinates_with:acg") and, into it,
    # the inverse kind ("has_part:jc"), as the agreements' relations are written.
    csv_with = f"""
        , links AS (
            SELECT l.body_id, string_agg(l.label, '; ' ORDER BY l.direction, l.label) AS labels FROM (
                SELECT bl.from_body_id AS body_id, 0 AS direction, bl.kind || ':' || b2.slug AS label
                FROM sel JOIN alliance_bodylink bl ON bl.from_body_id = sel.id AND {published_sql("bl")}
                JOIN alliance_body b2 ON b2.id = bl.to_body_id AND {published_sql("b2")}
                UNION ALL
                SELECT bl.to_body_id, 1, {BODY_LINK_INVERSE_SQL} || ':' || b2.slug
                FROM sel JOIN alliance_bodylink bl ON bl.to_body_id = sel.id AND {published_sql("bl")}
                JOIN alliance_body b2 ON b2.id = bl.from_body_id AND {published_sql("b2")}
            ) l GROUP BY l.body_id
        )"""
    csv_from = f"""FROM sel JOIN alliance_body b ON b.id = sel.id
        LEFT JOIN alliance_body parent ON parent.id = b.parent_id AND {published_sql("parent")}
        LEFT JOIN alliance_agreement basis ON basis.id = b.legal_basis_id AND {published_sql("basis")}
        LEFT JOIN links ON links.body_id = b.id"""


# --- seats -----------------------------------------------------------------------


MEMBER_TYPES = [("post", _("役職")), ("organization", _("組織")), ("person", _("人物"))]


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
        "body": Sort(_("協議体"), "body__name_sort", english="body__name_sort_en"),
        "start": Sort(_("開始日"), "start_date", undated_last=True),
    }
    default_sort = "body"
    coverage = _("資料の図表・本文に記載された席です。ある日の会合の出席者の全員ではありません。")

    def base_queryset(self):
        return self.model.objects.with_holders()

    def detail_queryset(self):
        return self.model.objects.with_holders().prefetch_related(citations_prefetch())

    columns = export_columns(
        text("slug", "s.slug"),
        text("body", "b.name_ja"),
        text("body_en", "b.name_en"),
        slug_of("body_slug", "b.slug", "body"),
        code("side", "s.side", Side.choices),
        text("member", "COALESCE(po.name_ja, o.name_ja, pe.name_ja)"),
        text("member_en", "COALESCE(po.name_en, o.name_en, pe.name_en)"),
        text("member_slug", "COALESCE(po.slug, o.slug, pe.slug)"),
        code(
            "member_type",
            "CASE WHEN s.post_id IS NOT NULL THEN 'post' WHEN s.organization_id IS NOT NULL THEN 'organization' "
            "ELSE 'person' END",
            MEMBER_TYPES,
        ),
        text("role", "s.role"),
        code("level", "NULLIF(s.level, '')", Level.choices),
        boolean("as_needed", "s.as_needed"),
        partial_date("start", "s", "start"),
        partial_date("end", "s", "end"),
        permalink("url", "s"),
    )
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
    sorts = {"name": Sort(_("氏名"), "name_sort", english="name_sort_en")}
    default_sort = "name"
    coverage = _(
        "資料に名前が出る人物だけです。資料の多くは姓だけを記すため、英語の氏名は会議と役職から特定したレジストリによる表記です。"
    )

    def base_queryset(self):
        # The posts held: a surname alone ("岸") does not say who it is.
        return self.public().prefetch_related(
            Prefetch(
                "tenures",
                queryset=Tenure.objects.published().filter(published_q("post")).select_related("post").order_by("start_date"),
            )
        )

    def detail_queryset(self):
        return super().detail_queryset().prefetch_related(
            Prefetch("tenures", queryset=Tenure.objects.published().select_related("post")),
            Prefetch("seats", queryset=Seat.objects.with_holders()),
            Prefetch(
                "participations",
                queryset=Participation.objects.published()
                .filter(published_q("meeting"))
                .select_related("meeting", "post")
                .order_by(*order_by("meeting__start", descending=True)),
            ),
            attendees("participations__meeting__participations"),
        )

    columns = export_columns(
        text("slug", "p.slug"),
        text("name_ja", "p.name_ja"),
        text("name_en", "p.name_en"),
        code("name_en_basis", "NULLIF(p.name_en_basis, '')", NameBasis.choices),
        code("country", "p.country", Country.choices),
        permalink("url", "p"),
    )
    csv_from = "FROM sel JOIN alliance_person p ON p.id = sel.id"


# --- meetings --------------------------------------------------------------------


def one_line(expr):
    """Lines of text as one cell: trimmed, blank lines dropped, joined with "; "."""
    return rf"regexp_replace(btrim({expr}, E' \t\r\n'), E'[ \t]*[\r\n]+[ \t\r\n]*', '; ', 'g')"


def _sql_text(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def meeting_title_sql():
    """(Japanese, English) SQL of Meeting.title over the meeting ``m``, its published body
    ``b`` and its stored labels (``labels.attendees_en``: its attendees as the English
    title names them): its name where it has one of its own (an English name), else a
    title composed from its body, session, date, place (and attendees). A test holds it to
    Meeting.title for every seeded meeting."""
    from django.utils import translation

    with translation.override("en"):
        kinds = " ".join(f"WHEN {_sql_text(value)} THEN {_sql_text(label)}" for value, label in Meeting.Kind.choices)
    session_ja = "CASE WHEN m.session_number IS NOT NULL AND strpos(m.name_ja, '第' || m.session_number || '回') = 0 THEN '第' || m.session_number || '回' END"
    date_ja = "alliance_partial_date_ja(m.start_date, NULLIF(m.start_precision, ''), m.start_qualifier)"
    extra_ja = f"concat_ws('、', {session_ja}, {date_ja}, NULLIF(m.place_ja, ''))"
    # A name that ends in its own parentheses (日米安全保障協議委員会（「2+2」）) takes the rest
    # inside them, not in a second pair, as Meeting.title does.
    composed_ja = (
        f"CASE WHEN {extra_ja} = '' THEN m.name_ja "
        f"WHEN right(m.name_ja, 1) = '）' THEN left(m.name_ja, -1) || '、' || {extra_ja} || '）' "
        f"ELSE m.name_ja || '（' || {extra_ja} || '）' END"
    )
    ordinal = (
        "m.session_number || CASE WHEN mod(m.session_number, 100) BETWEEN 10 AND 20 THEN 'th' "
        "WHEN mod(m.session_number, 10) = 1 THEN 'st' WHEN mod(m.session_number, 10) = 2 THEN 'nd' "
        "WHEN mod(m.session_number, 10) = 3 THEN 'rd' ELSE 'th' END"
    )
    head_en = (
        "CASE WHEN b.name_en <> '' THEN b.name_en || CASE WHEN m.session_number IS NOT NULL "
        f"THEN ', ' || {ordinal} || ' meeting' ELSE '' END "
        f"ELSE (CASE m.kind {kinds} END) || CASE WHEN labels.attendees_en <> '' THEN ': ' || labels.attendees_en ELSE '' END END"
    )
    date_en = "alliance_partial_date_en(m.start_date, NULLIF(m.start_precision, ''), m.start_qualifier)"
    composed_en = f"concat_ws(', ', NULLIF({head_en}, ''), NULLIF(m.place_en, ''), {date_en})"
    own = "m.name_en <> ''"
    return (
        f"CASE WHEN {own} THEN COALESCE(NULLIF(m.name_ja, ''), m.name_en) ELSE {composed_ja} END",
        f"CASE WHEN {own} THEN m.name_en ELSE {composed_en} END",
    )


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
        "name": Sort(_("名称"), "name_sort", english="name_sort_en"),
    }
    default_sort = "-date"
    coverage = _("出典資料に記載された会議だけを収めています。開かれたすべての「2+2」や首脳会談ではありません。")

    def base_queryset(self):
        return self.public().select_related("body")

    def prepare_rows(self, rows):
        # Attendees: only an English title composed for a meeting without a name of its
        # own, and without a body's English name to start it, names who met (Meeting.title).
        if not english_active():
            return
        untitled = [m for m in rows if not m.has_own_name and not (is_public(m.body) and m.body.name_en)]
        if untitled:
            prefetch_related_objects(untitled, attendees())

    def detail_queryset(self):
        return (
            super()
            .detail_queryset()
            .select_related("body")
            .prefetch_related(
                Prefetch(
                    "participations",
                    queryset=Participation.objects.published()
                    .select_related("person", "post", "organization")
                    .prefetch_related(citations_prefetch()),
                ),
                Prefetch(
                    "meeting_documents",
                    queryset=MeetingDocument.objects.published()
                    .filter(published_q("agreement"))
                    .select_related("agreement")
                    .prefetch_related(citations_prefetch()),
                ),
                Prefetch("bodies_established", queryset=Body.objects.published()),
            )
        )

    columns = export_columns(
        text("slug", "m.slug"),
        text("name_ja", "m.name_ja"),
        text("name_en", "m.name_en"),
        code("name_en_basis", "NULLIF(m.name_en_basis, '')", NameBasis.choices),
        text("title_ja", meeting_title_sql()[0], description=_("ページに示す表題（日本語）。固有の名称がない会議は、協議体・回・日付・場所から組み立てたもの")),
        text("title_en", meeting_title_sql()[1], description=_("ページに示す表題（英語）。固有の名称がない会議は、協議体・回・場所・日付・出席者から組み立てたもの")),
        text("body", "b.name_ja"),
        text("body_en", "b.name_en"),
        slug_of("body_slug", "b.slug", "body"),
        code("kind", "m.kind", Meeting.Kind.choices),
        integer("session_number", "m.session_number"),
        partial_date("start", "m", "start"),
        partial_date("end", "m", "end"),
        text("place_ja", "m.place_ja"),
        text("place_en", "m.place_en"),
        text("attendees", "labels.attendees"),
        text("documents", "labels.documents"),
        text("document_slugs", "labels.document_slugs"),
        text("outcomes_ja", one_line("m.outcomes_ja")),
        text("outcomes_en", one_line("m.outcomes_en")),
        text("summary_ja", "m.summary_ja"),
        text("summary_en", "m.summary_en"),
        permalink("url", "m"),
    )
    # Attendees and documents: their labels are kept up to date on write by triggers, in
    # the table alliance_meeting_export (maintained.py), instead of aggregating 350,000
    # attendees at request time. The same triggers store every row's CSV line and JSON
    # object from these columns, so the CSV and NDJSON read a table each (csv_sql,
    # json_sql); XLSX's plain text, and the CSV of chosen columns, are computed here.
    csv_from = f"""FROM sel JOIN alliance_meeting m ON m.id = sel.id
        LEFT JOIN alliance_body b ON b.id = m.body_id AND {published_sql("b")}
        LEFT JOIN alliance_meeting_export labels ON labels.meeting_id = m.id"""

    @property
    def csv_lines(self):
        return not self.chosen

    # Facet fields whose counts over a wide period come from kept totals (tally.py).
    tallied_fields = ("body", "kind")

    def counts_over_period(self, date_name, start, end, fields):
        from .tally import counts_over_period

        return counts_over_period(self.model, date_name or "start", start, end, fields)

    def csv_sql(self):
        if self.chosen:  # some columns only: computed here, as the XLSX's are
            return super().csv_sql()
        from .maintained import csv_sql

        return csv_sql(self)

    def json_sql(self):
        if self.chosen:
            return super().json_sql()
        from .maintained import json_sql

        return json_sql(self)


# --- attendees: exports only --------------------------------------------------------


class AttendeeEntity(Entity):
    """One row per attendee of a meeting, for joining on meetings, people and posts: the
    meetings' CSV holds them only as one joined cell. Exports only, no pages."""

    name = "attendee"
    path = "attendees"
    model = Participation
    listed = False
    exported = True
    detailed = False
    search_fields = (
        "meeting__search_text",
        "person__search_text",
        "post__search_text",
        "organization__search_text",
        "name_text",
        "role",
    )
    filters = [
        RelatedFilter("meeting", _("会議"), "meeting", Meeting),
        RelatedFilter("body", _("協議体・形式"), "meeting__body", Body),
        RelatedFilter("person", _("人物"), "person", Person),
        ChoiceFilter("side", _("側"), "side", Side.choices),
        PeriodFilter(_("開催"), "meeting__start"),
    ]
    # By meeting, then in the order they were recorded (the meeting's own order).
    sorts = {"meeting": Sort(_("会議"), "meeting_id")}
    default_sort = "meeting"

    def public(self):
        return self.model.objects.published()

    columns = export_columns(
        code("key", "m.slug || '/' || p.position", description=_("出席者のキー（会議のスラッグ/表示順）。出典の record_slug と同じ形")),
        slug_of("meeting_slug", "m.slug", "meeting"),
        text("meeting", "m.name_ja"),
        text("meeting_en", "m.name_en"),
        partial_date("meeting_start", "m", "start"),
        text("body", "b.name_ja"),
        text("body_en", "b.name_en"),
        slug_of("body_slug", "b.slug", "body"),
        integer("position", "p.position"),
        code("side", "p.side", Side.choices),
        text("person", "pe.name_ja"),
        text("person_en", "pe.name_en"),
        slug_of("person_slug", "pe.slug", "person"),
        text("post", "po.name_ja"),
        text("post_en", "po.name_en"),
        slug_of("post_slug", "po.slug", "post"),
        text("organization", "o.name_ja"),
        text("organization_en", "o.name_en"),
        slug_of("organization_slug", "o.slug", "organization"),
        text("name_text", "CASE WHEN p.person_id IS NULL THEN NULLIF(p.name_text, '') END"),
        text("role", "NULLIF(p.role, '')"),
    )
    # A draft person, post or organization is left blank, as on the meeting's page.
    csv_from = f"""FROM sel JOIN alliance_participation p ON p.id = sel.id
        JOIN alliance_meeting m ON m.id = p.meeting_id
        LEFT JOIN alliance_body b ON b.id = m.body_id AND {published_sql("b")}
        LEFT JOIN alliance_person pe ON pe.id = p.person_id AND {published_sql("pe")}
        LEFT JOIN alliance_post po ON po.id = p.post_id AND {published_sql("po")}
        LEFT JOIN alliance_organization o ON o.id = p.organization_id AND {published_sql("o")}"""


# --- citations: exports only --------------------------------------------------------


class RecordTypeFilter(ChoicesFilter):
    """The kind of record a citation is evidence for: the name of its foreign key."""

    def __init__(self):
        super().__init__("record_type", _("記録の種類"), [(e.cited_as, e.model._meta.verbose_name) for e in CITABLE])

    def apply(self, qs, value):
        return qs.filter(**{f"{value}__isnull": False})

    def facet_options(self, qs, current):
        counts = qs.order_by().aggregate(
            **{f"n_{value}": Count("pk", filter=Q(**{f"{value}__isnull": False})) for value, _label in self.choices}
        )
        return [(value, label, counts[f"n_{value}"], value == current) for value, label in self.choices]


# The records without a slug are named by their natural key joined with "/", as the
# citation import reads them: (joins, expression) over the citation ``c``.
NATURAL_KEYS = {
    "agreement_relation": (
        """LEFT JOIN alliance_agreementrelation rel ON rel.id = c.agreement_relation_id
        LEFT JOIN alliance_agreement rel_s ON rel_s.id = rel.subject_id
        LEFT JOIN alliance_agreement rel_o ON rel_o.id = rel.object_id""",
        "rel_s.slug || '/' || rel.kind || '/' || rel_o.slug",
    ),
    "participation": (
        """LEFT JOIN alliance_participation pa ON pa.id = c.participation_id
        LEFT JOIN alliance_meeting pa_m ON pa_m.id = pa.meeting_id""",
        "pa_m.slug || '/' || pa.position",
    ),
    "meeting_document": (
        """LEFT JOIN alliance_meetingdocument md ON md.id = c.meeting_document_id
        LEFT JOIN alliance_meeting md_m ON md_m.id = md.meeting_id
        LEFT JOIN alliance_agreement md_a ON md_a.id = md.agreement_id""",
        "md_m.slug || '/' || md.kind || '/' || md_a.slug",
    ),
}


# The export that holds each kind of cited record, where its name differs from the
# citation's foreign key: an attendee is cited as a participation.
CITED_EXPORT = {"participation": "attendee"}


def record_key_header(cited_as: str) -> str:
    """The citations' column that holds the key of a record of this kind, named after the
    export it joins: ``agreement_slug``, ``attendee_key`` (records without a slug)."""
    name = CITED_EXPORT.get(cited_as, cited_as)
    return f"{name}_key" if cited_as in NATURAL_KEYS else f"{name}_slug"


def cited_record_keys():
    """(entry, the SQL of its key over the citation's joins), one per citable model."""
    return [
        (entry, NATURAL_KEYS[entry.cited_as][1] if entry.cited_as in NATURAL_KEYS else f"r_{entry.cited_as}.slug")
        for entry in CITABLE
    ]


def cited_record_sql():
    """(joins, record_type expression, record_slug expression), one branch per citable model."""
    joins, types, slugs = [], [], []
    for entry in CITABLE:
        name = entry.cited_as
        if name in NATURAL_KEYS:
            join, slug = NATURAL_KEYS[name]
        else:
            join = f"LEFT JOIN {entry.model._meta.db_table} r_{name} ON r_{name}.id = c.{name}_id"
            slug = f"r_{name}.slug"
        joins.append(join)
        types.append(f"WHEN c.{name}_id IS NOT NULL THEN '{name}'")
        slugs.append(f"WHEN c.{name}_id IS NOT NULL THEN {slug}")
    return "\n        ".join(joins), f"CASE {' '.join(types)} END", f"CASE {' '.join(slugs)} END"


class CitationEntity(Entity):
    """The evidence as data: one row per citation of a published record."""

    name = "citation"
    path = "citations"
    model = Citation
    listed = False
    exported = True
    detailed = False
    search_fields = ("quote", "locator")
    filters = [
        RelatedFilter("source", _("資料"), "source", Source, name_field="title"),
        RecordTypeFilter(),
    ]
    sorts = {"source": Sort(_("資料"), "source_id")}
    default_sort = "source"

    _joins, _type, _slug = cited_record_sql()
    columns = export_columns(
        code("record_type", _type, [(e.cited_as, e.model._meta.verbose_name) for e in CITABLE]),
        text("record_slug", _slug),
        text("field", "NULLIF(c.field, '')"),
        slug_of("source_slug", "s.slug", "source"),
        text("locator", "c.locator"),
        text("quote", "c.quote"),
        code("key", "c.key"),
        # The record's key again, in the column of its kind: a foreign key to that export.
        *[
            Column(
                record_key_header(entry.cited_as),
                f"CASE WHEN c.{entry.cited_as}_id IS NOT NULL THEN {slug} END",
                cell=f"alliance_csv_cell(CASE WHEN c.{entry.cited_as}_id IS NOT NULL THEN {slug} END)",
                references=CITED_EXPORT.get(entry.cited_as, entry.cited_as),
                description=format_lazy(
                    _("record_type が {kind} のとき、その記録のキー（{path} の {key} と結合できる）"),
                    kind=entry.cited_as,
                    path=f"{CITED_EXPORT.get(entry.cited_as, entry.cited_as)}",
                    key="key" if entry.cited_as in NATURAL_KEYS else "slug",
                ),
            )
            for entry, slug in cited_record_keys()
        ],
    )
    csv_from = f"""FROM sel JOIN alliance_citation c ON c.id = sel.id
        JOIN alliance_source s ON s.id = c.source_id
        {_joins}"""


# --- sources: exports only ----------------------------------------------------------

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
        "name": Sort(_("名称"), "name_sort", english="name_sort_en"),
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

    columns = export_columns(
        text("slug", "e.slug"),
        text("name_ja", "e.name_ja"),
        text("name_en", "e.name_en"),
        code("name_en_basis", "NULLIF(e.name_en_basis, '')", NameBasis.choices),
        text("abbreviation", "e.abbreviation"),
        code("kind", "e.kind", Event.Kind.choices),
        partial_date("start", "e", "start"),
        partial_date("end", "e", "end"),
        text("place_ja", "e.place_ja"),
        text("place_en", "e.place_en"),
        slug_of("part_of_slug", "part_of.slug", "event"),
        text("bodies", "event_bodies.names"),
        code("body_slugs", "event_bodies.slugs"),
        text("organizations", "event_organizations.names"),
        code("organization_slugs", "event_organizations.slugs"),
        text("summary_ja", "e.summary_ja"),
        text("summary_en", "e.summary_en"),
        permalink("url", "e"),
    )
    # The bodies and organizations involved, aggregated once for all selected events
    # (set-based, as the meetings' attendees are).
    csv_with = f"""
        , event_bodies AS (
            SELECT eb.event_id,
                string_agg(b.name_ja, '; ' ORDER BY b.name_ja, b.slug) AS names,
                string_agg(b.slug, '; ' ORDER BY b.name_ja, b.slug) AS slugs
            FROM sel JOIN alliance_event_bodies eb ON eb.event_id = sel.id
            JOIN alliance_body b ON b.id = eb.body_id AND {published_sql("b")}
            GROUP BY eb.event_id
        ), event_organizations AS (
            SELECT eo.event_id,
                string_agg(o.name_ja, '; ' ORDER BY o.name_ja, o.slug) AS names,
                string_agg(o.slug, '; ' ORDER BY o.name_ja, o.slug) AS slugs
            FROM sel JOIN alliance_event_organizations eo ON eo.event_id = sel.id
            JOIN alliance_organization o ON o.id = eo.organization_id AND {published_sql("o")}
            GROUP BY eo.event_id
        )"""
    csv_from = f"""FROM sel JOIN alliance_event e ON e.id = sel.id
        LEFT JOIN alliance_event part_of ON part_of.id = e.part_of_id AND {published_sql("part_of")}
        LEFT JOIN event_bodies ON event_bodies.event_id = e.id
        LEFT JOIN event_organizations ON event_organizations.event_id = e.id"""


# --- detail pages only -------------------------------------------------------------


class OrganizationEntity(Entity):
    """A detail page each, and the whole list as exports (no list page)."""

    name = "organization"
    path = "organizations"
    model = Organization
    listed = False
    exported = True
    filters = [
        ChoiceFilter("country", _("国"), "country", Country.choices),
        ChoiceFilter("kind", _("種別"), "kind", Organization.Kind.choices),
    ]
    sorts = {"name": Sort(_("名称"), "name_sort", english="name_sort_en")}
    default_sort = "name"
    columns = export_columns(
        text("slug", "o.slug"),
        text("name_ja", "o.name_ja"),
        text("name_en", "o.name_en"),
        text("abbreviation", "o.abbreviation"),
        code("kind", "o.kind", Organization.Kind.choices),
        code("country", "o.country", Country.choices),
        text("parent", "parent.name_ja"),
        text("parent_en", "parent.name_en"),
        slug_of("parent_slug", "parent.slug", "organization"),
        permalink("url", "o"),
    )
    csv_from = f"""FROM sel JOIN alliance_organization o ON o.id = sel.id
        LEFT JOIN alliance_organization parent ON parent.id = o.parent_id AND {published_sql("parent")}"""

    def detail_queryset(self):
        return super().detail_queryset().select_related("parent").prefetch_related(
            Prefetch("children", queryset=Organization.objects.published()),
            Prefetch("posts", queryset=Post.objects.published()),
            Prefetch("seats", queryset=Seat.objects.with_holders()),
            Prefetch("agreements", queryset=Agreement.objects.published()),
            Prefetch("events", queryset=Event.objects.published().order_by(*order_by("start"))),
        )


class PostEntity(Entity):
    """A detail page each, and the whole list as exports (no list page)."""

    name = "post"
    path = "posts"
    model = Post
    listed = False
    exported = True
    filters = [
        ChoiceFilter("country", _("国"), "country", Country.choices),
        RelatedFilter("organization", _("組織"), "organization", Organization),
    ]
    sorts = {"name": Sort(_("名称"), "name_sort", english="name_sort_en")}
    default_sort = "name"
    columns = export_columns(
        text("slug", "po.slug"),
        text("name_ja", "po.name_ja"),
        text("name_en", "po.name_en"),
        text("abbreviation", "po.abbreviation"),
        code("country", "po.country", Country.choices),
        text("organization", "o.name_ja"),
        text("organization_en", "o.name_en"),
        slug_of("organization_slug", "o.slug", "organization"),
        permalink("url", "po"),
    )
    csv_from = f"""FROM sel JOIN alliance_post po ON po.id = sel.id
        LEFT JOIN alliance_organization o ON o.id = po.organization_id AND {published_sql("o")}"""

    def detail_queryset(self):
        return super().detail_queryset().select_related("organization").prefetch_related(
            Prefetch("tenures", queryset=Tenure.objects.published().select_related("person")),
            Prefetch("seats", queryset=Seat.objects.with_holders()),
            Prefetch(
                "participations",
                queryset=Participation.objects.published()
                .filter(published_q("meeting"))
                .select_related("meeting", "person")
                .order_by(*order_by("meeting__start", descending=True)),
            ),
            attendees("participations__meeting__participations"),
        )


class SourceEntity(Entity):
    """A source with its text, each quote of a published citation marked where it stands;
    every citation on the public pages links to its mark here. Its metadata is exported
    too, so that the citations' source slugs resolve in the data package."""

    name = "source"
    path = "sources"
    model = Source
    listed = False
    exported = True
    search_fields = ("slug", "title_ja", "title_en", "publisher_ja", "publisher_en", "part", "part_en")
    sorts = {"slug": Sort(_("スラッグ"), "slug")}
    default_sort = "slug"

    columns = export_columns(
        text("slug", "s.slug"),
        text("title_ja", "s.title_ja"),
        text("title_en", "s.title_en"),
        text("publisher_ja", "s.publisher_ja"),
        text("publisher_en", "s.publisher_en"),
        text("edition", "s.edition"),
        integer("year", "s.year"),
        text("part", "s.part"),
        text("part_en", "s.part_en"),
        Column("source_url", "NULLIF(s.url, '')", type="url"),
        text("licence", "s.licence"),
        text("licence_en", "s.licence_en"),
    )
    csv_from = "FROM sel JOIN alliance_source s ON s.id = sel.id"

    def detail_queryset(self):
        return self.public()

    def detail_context(self, obj) -> dict:
        from ..models import Citation

        citations = [
            c
            for c in Citation.objects.published()
            .filter(source=obj)
            .select_related(*CITED_RECORD_PATHS)
            .order_by("pk")
            if is_public(c.record)
        ]
        segments, unplaced = quote_segments(obj, citations)
        return {"segments": segments, "unplaced": unplaced, "citing": [(c, public_record_url(c)) for c in citations]}


# --- records shown on other records' pages: exports only -----------------------------
# So that every citation joins a row of a download: tenures (on people's and posts'
# pages), relations between agreements, documents of meetings and links between bodies.


class ExportOnly(Entity):
    listed = False
    exported = True
    detailed = False
    sorts = {"id": Sort(_("登録順"), "id")}
    default_sort = "id"


class TenureEntity(ExportOnly):
    """A person in a post, as the sources show them: the first and last days the sources
    show the person in the post (not a term of office)."""

    name = "tenure"
    path = "tenures"
    model = Tenure
    # Not "terms of office": the dates are what the sources show, not the term.
    verbose_name_plural = _("役職にあった人物（資料に見える期間）")
    search_fields = ("person__search_text", "post__search_text")
    filters = [RelatedFilter("person", _("人物"), "person", Person), RelatedFilter("post", _("役職"), "post", Post)]
    columns = export_columns(
        text("slug", "t.slug"),
        slug_of("person_slug", "pe.slug", "person"),
        text("person", "pe.name_ja"),
        text("person_en", "pe.name_en"),
        slug_of("post_slug", "po.slug", "post"),
        text("post", "po.name_ja"),
        text("post_en", "po.name_en"),
        partial_date("first_seen", "t", "start"),
        partial_date("last_seen", "t", "end"),
    )
    # Tenure's published(): the tenure, its person and its post.
    csv_from = """FROM sel JOIN alliance_tenure t ON t.id = sel.id
        JOIN alliance_person pe ON pe.id = t.person_id
        JOIN alliance_post po ON po.id = t.post_id"""


class AgreementRelationEntity(ExportOnly):
    """A typed link between two agreements, read from its subject ("supersedes")."""

    name = "agreement_relation"
    path = "agreement-relations"
    model = AgreementRelation
    search_fields = ("subject__search_text", "object__search_text")
    filters = [ChoiceFilter("kind", _("関係"), "kind", AgreementRelation.Kind.choices)]
    columns = export_columns(
        code("key", "s.slug || '/' || r.kind || '/' || o.slug",
             description=_("関係のキー（主体のスラッグ/関係/対象のスラッグ）。出典の record_slug と同じ形")),
        slug_of("subject_slug", "s.slug", "agreement"),
        text("subject", "s.name_ja"),
        text("subject_en", "s.name_en"),
        code("kind", "r.kind", AgreementRelation.Kind.choices),
        slug_of("object_slug", "o.slug", "agreement"),
        text("object", "o.name_ja"),
        text("object_en", "o.name_en"),
    )
    csv_from = """FROM sel JOIN alliance_agreementrelation r ON r.id = sel.id
        JOIN alliance_agreement s ON s.id = r.subject_id
        JOIN alliance_agreement o ON o.id = r.object_id"""


class MeetingDocumentEntity(ExportOnly):
    """A document signed, approved, issued or adopted at a meeting."""

    name = "meeting_document"
    path = "meeting-documents"
    model = MeetingDocument
    search_fields = ("meeting__search_text", "agreement__search_text")
    filters = [
        RelatedFilter("meeting", _("会議"), "meeting", Meeting),
        ChoiceFilter("kind", _("扱い"), "kind", MeetingDocument.Kind.choices),
    ]
    columns = export_columns(
        code("key", "m.slug || '/' || d.kind || '/' || a.slug",
             description=_("会議の文書のキー（会議のスラッグ/扱い/文書のスラッグ）。出典の record_slug と同じ形")),
        slug_of("meeting_slug", "m.slug", "meeting"),
        text("meeting", "m.name_ja"),
        code("kind", "d.kind", MeetingDocument.Kind.choices),
        slug_of("agreement_slug", "a.slug", "agreement"),
        text("agreement", "a.name_ja"),
        text("agreement_en", "a.name_en"),
    )
    csv_from = """FROM sel JOIN alliance_meetingdocument d ON d.id = sel.id
        JOIN alliance_meeting m ON m.id = d.meeting_id
        JOIN alliance_agreement a ON a.id = d.agreement_id"""


class BodyLinkEntity(ExportOnly):
    """A typed link from one body to another, for a time (the structure diagram draws them)."""

    name = "body_link"
    path = "body-links"
    model = BodyLink
    search_fields = ("from_body__search_text", "to_body__search_text", "label_ja", "label_en")
    filters = [
        ChoiceFilter("kind", _("関係"), "kind", BodyLink.Kind.choices),
        RelatedFilter("body", _("協議体"), "from_body", Body),
    ]
    columns = export_columns(
        text("slug", "l.slug"),
        slug_of("from_body_slug", "f.slug", "body"),
        text("from_body", "f.name_ja"),
        text("from_body_en", "f.name_en"),
        code("kind", "l.kind", BodyLink.Kind.choices),
        slug_of("to_body_slug", "t.slug", "body"),
        text("to_body", "t.name_ja"),
        text("to_body_en", "t.name_en"),
        text("label_ja", "NULLIF(l.label_ja, '')"),
        text("label_en", "NULLIF(l.label_en, '')"),
        partial_date("start", "l", "start"),
        partial_date("end", "l", "end"),
    )
    csv_from = """FROM sel JOIN alliance_bodylink l ON l.id = sel.id
        JOIN alliance_body f ON f.id = l.from_body_id
        JOIN alliance_body t ON t.id = l.to_body_id"""


# What a citation's public link needs: its record and, for a record without a page of
# its own, the record whose page shows it.
CITED_RECORD_PATHS = (
    "agreement", "agreement_relation__subject", "body", "organization", "post", "person", "tenure__person",
    "seat__body", "meeting", "participation__meeting", "meeting_document__meeting",
)
_SHOWN_ON = {"agreementrelation": "subject", "tenure": "person", "seat": "body", "participation": "meeting", "meetingdocument": "meeting"}


def public_record_url(citation) -> str:
    """The public page that shows the cited record ("" when there is none)."""
    record = citation.record
    holder = getattr(record, _SHOWN_ON.get(record._meta.model_name, ""), record) if record is not None else None
    if holder is None or not is_public(holder) or not hasattr(holder, "get_absolute_url"):
        return ""
    return holder.get_absolute_url()


def quote_segments(source, citations):
    """The source's text cut into runs, each either plain or a quote (quotes that overlap
    are marked as one run, with an anchor for each), and the citations whose quote is not
    in the text. The runs are the stored text itself, character for character: no space
    or line break is taken out for display."""
    placed, unplaced = [], []
    for citation in citations:
        span = source.span_of(citation)
        if span is not None:
            placed.append((*span, citation))
        else:
            unplaced.append(citation)
    placed.sort(key=lambda item: (item[0], -item[1]))
    runs = []
    for start, end, citation in placed:
        if runs and start < runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
            runs[-1][2].append(citation)
        else:
            runs.append([start, end, [citation]])
    segments, at, text = [], 0, source.text
    for start, end, quoted in runs:
        if start > at:
            segments.append({"text": text[at:start], "citations": []})
        segments.append({"text": text[start:end], "citations": quoted})
        at = end
    if at < len(text):
        segments.append({"text": text[at:], "citations": []})
    return segments, unplaced


ENTITIES = {
    entity.name: entity
    for entity in (
        AgreementEntity(),
        BodyEntity(),
        SeatEntity(),
        PersonEntity(),
        MeetingEntity(),
        AttendeeEntity(),
        CitationEntity(),
        SourceEntity(),
        EventEntity(),
        OrganizationEntity(),
        PostEntity(),
        TenureEntity(),
        AgreementRelationEntity(),
        MeetingDocumentEntity(),
        BodyLinkEntity(),
    )
}
# The entities with a public list, in the order the site shows them.
LISTS = {name: entity for name, entity in ENTITIES.items() if entity.listed}
# The entities with list exports (CSV, JSON, NDJSON): the lists, and the attendees.
EXPORTS = {name: entity for name, entity in ENTITIES.items() if entity.has_exports}
