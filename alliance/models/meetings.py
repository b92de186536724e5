"""Meetings, their attendees and the documents issued at them."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..partial_dates import (
    QUALIFIER_LABEL,
    PrecisionField,
    check_not_before,
    not_before_constraint,
    overlaps_q,
    precision_constraint,
    qualifier_field,
)
from .agreements import Agreement
from .base import (
    LAST_ASCENDING,
    LAST_DESCENDING,
    PUBLISHED,
    Named,
    Publishable,
    RecordQuerySet,
    Side,
    SlugKeyManager,
    date_field,
    detail_url,
    english_active,
    grams_index,
    name_basis_constraint,
    public,
    search_index,
    search_text,
)
from .bodies import Body
from .people import Organization, Person, Post


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 11th, 16th, 22nd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"

# --- meetings ------------------------------------------------------------------


class MeetingQuerySet(RecordQuerySet):
    def held_between(self, start: datetime.date | None, end: datetime.date | None):
        """Meetings whose (partial) date lies wholly or partly in [start, end]."""
        return self.filter(overlaps_q("start", start, end))

    def likely_duplicates_of(self, meeting):
        """Other meetings of the same body on the same date with the same session number:
        a new record for one of them is most likely a duplicate under another slug."""
        if meeting.body_id is None or meeting.start_date is None:
            return self.none()
        same = self.filter(
            body_id=meeting.body_id,
            start_date=meeting.start_date,
            start_precision=meeting.start_precision,
            session_number=meeting.session_number,
        )
        return same.exclude(pk=meeting.pk) if meeting.pk else same


class Meeting(Named):
    """A meeting of a bilateral body or format: one 2+2, one summit, one working-group session."""

    class Kind(models.TextChoices):
        SUMMIT = "summit", _("首脳会談")
        TWO_PLUS_TWO = "2plus2", _("2+2（日米安全保障協議委員会）")
        FOREIGN_MINISTERS = "foreign", _("外相会談")
        DEFENSE_MINISTERS = "defense", _("防衛相会談")
        SENIOR_OFFICIALS = "officials", _("事務レベル協議")
        WORKING_GROUP = "working", _("作業部会・対話")
        COURTESY_CALL = "call", _("表敬・訪問")
        OTHER = "other", _("その他")

    body = models.ForeignKey(
        Body,
        verbose_name=_("協議体・形式"),
        null=True,
        blank=True,
        # Meetings are the record of a body; the body is kept while they exist.
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    kind = models.CharField(_("種別"), max_length=10, choices=Kind.choices)
    session_number = models.PositiveSmallIntegerField(_("回次"), null=True, blank=True, help_text=_("「第5回」なら 5。"))
    start_date = date_field(_("開催日"))
    start_precision = PrecisionField(_("開催日の精度"))
    start_qualifier = qualifier_field(QUALIFIER_LABEL)
    end_date = date_field(_("終了日（複数日の場合）"))
    end_precision = PrecisionField(_("終了日の精度"))
    end_qualifier = qualifier_field(QUALIFIER_LABEL)
    place_ja = models.CharField(_("場所（日本語）"), max_length=200, blank=True, help_text=_("例: ワシントンD.C.、東京"))
    place_en = models.CharField(_("場所（英語）"), max_length=200, blank=True)
    summary_ja = models.TextField(_("概要（日本語）"), blank=True)
    summary_en = models.TextField(_("概要（英語）"), blank=True)
    outcomes_ja = models.TextField(_("成果（日本語）"), blank=True, help_text=_("合意・確認事項。1行に1項目。"))
    outcomes_en = models.TextField(_("成果（英語）"), blank=True, help_text=_("1行に1項目。"))
    documents = models.ManyToManyField(
        Agreement, through="MeetingDocument", verbose_name=_("文書"), blank=True, related_name="meetings"
    )
    search_text = search_text(
        "name_ja", "name_en", "abbreviation", "other_names", "place_ja", "place_en", "summary_ja", "summary_en", "outcomes_ja", "outcomes_en"
    )

    history = HistoricalRecords(excluded_fields=["search_text", "name_sort", "name_sort_en"])
    objects = SlugKeyManager.from_queryset(MeetingQuerySet)()

    class Meta:
        verbose_name = _("会議")
        verbose_name_plural = _("会議")
        permissions = [("publish_meeting", _("公開・非公開を切り替えられる"))]
        ordering = ["-start_date", "name_ja"]
        constraints = [
            precision_constraint("meeting", "start"),
            precision_constraint("meeting", "end"),
            not_before_constraint("meeting", "end", "start"),
            models.CheckConstraint(
                condition=Q(session_number__isnull=True) | Q(session_number__gte=1), name="meeting_session_positive"
            ),
            name_basis_constraint("meeting"),
        ]
        indexes = [
            # The public list's keyset sorts, over published rows only. They include the
            # date itself and its precision: PostgreSQL reads a sort key computed from a
            # column from the index alone only when the index holds the column too, so
            # the export reads every id and key of a list this way, and a page its ids
            # (a period filter reads the date and its precision), without visiting the
            # rows it skips.
            models.Index(
                Coalesce("start_date", Value(LAST_DESCENDING)).desc(),
                F("id").desc(),
                name="meeting_newest",
                condition=PUBLISHED,
                include=["start_date", "start_precision"],
            ),
            models.Index(
                Coalesce("start_date", Value(LAST_ASCENDING)), "id", name="meeting_oldest", condition=PUBLISHED, include=["start_date", "start_precision"]
            ),
            models.Index(
                "kind",
                Coalesce("start_date", Value(LAST_DESCENDING)).desc(),
                F("id").desc(),
                name="meeting_kind_newest",
                condition=PUBLISHED,
                include=["start_date", "start_precision"],
            ),
            # The admin's changelist order (drafts included).
            models.Index(F("start_date").desc(), F("id").desc(), name="meeting_admin_order"),
            models.Index("name_sort", "id", name="meeting_name", condition=PUBLISHED),
            models.Index("name_sort_en", "id", name="meeting_name_en", condition=PUBLISHED),
            models.Index("body", "kind", name="meeting_body_kind", condition=PUBLISHED),
            # Covering the list's count and facets over a period (alone and with a kind),
            # so they are read from the index alone, without visiting the rows.
            models.Index(fields=["start_date"], name="meeting_start_facets", include=["start_precision", "kind", "body"], condition=PUBLISHED),
            models.Index(fields=["kind", "start_date"], name="meeting_kind_facets", include=["start_precision", "body"], condition=PUBLISHED),
            search_index("meeting"),
            grams_index("meeting"),
        ]

    def get_absolute_url(self):
        return detail_url("alliance:meeting-detail", self.slug)


    @property
    def title(self) -> str:
        """The meeting's name, or, when no name of its own is recorded, a title composed
        from its data: the body (or kind and attendees), the session, the place and the date.

        The Japanese name of such a meeting is often its body's (twelve meetings are
        日米安全保障協議委員会（「2+2」）), so the composed title is what tells them apart.
        Attendees are read only when they were prefetched, so a list never pays a query
        per row for them.
        """
        if self.has_own_name:
            return self.name
        if english_active():
            return self._composed_title_en()
        session = f"第{self.session_number}回" if self.session_number else ""
        session = "" if session in self.name_ja else session
        extra = [part for part in (session, self.start.ja() if self.start else "", self.place_ja) if part]
        if not extra:
            return self.name_ja
        if self.name_ja.endswith("）"):
            # 日米安全保障協議委員会（「2+2」） takes the rest inside its own parentheses, not
            # a second pair after them.
            return f"{self.name_ja[:-1]}、{'、'.join(extra)}）"
        return f"{self.name_ja}（{'、'.join(extra)}）"

    @property
    def has_own_name(self) -> bool:
        """A name of its own is recorded (in English, as the seed data record it); a meeting
        known only by its body's name or a description has none and is titled from its data."""
        return bool(self.name_en)

    def _composed_title_en(self) -> str:
        body = public(self.body)
        if body is not None and body.name_en:
            head = body.name_en
            if self.session_number:
                head += f", {ordinal(self.session_number)} meeting"
        else:
            head = str(self.get_kind_display())
            attendees = [p.public_label_en() for p in self._prefetched_participations()]
            attendees = [a for a in attendees if a]
            if attendees:
                head += ": " + "; ".join(attendees)
        parts = [head, self.place_en, self.start.en() if self.start else ""]
        return ", ".join(p for p in parts if p)

    def distinguishing_parts(self) -> list[str]:
        """What tells it apart in a list of titles: date, kind and place (a title composed
        from its data already carries the date and place)."""
        if not self.has_own_name:  # the title is composed: it carries them already
            return [str(self.get_kind_display())]
        place = self.place_en if english_active() and self.place_en else self.place_ja
        return [p for p in (self.start.display() if self.start else "", str(self.get_kind_display()), place) if p]

    def _prefetched_participations(self):
        cache = getattr(self, "_prefetched_objects_cache", {})
        return list(cache["participations"]) if "participations" in cache else []

    @property
    def outcome_list(self):
        text = self.outcomes_en if english_active() and self.outcomes_en else self.outcomes_ja
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean(self):
        errors = check_not_before(self, "end", "start", _("終了日が開催日より前です。"))
        if errors:
            raise ValidationError(errors)


class ParticipationQuerySet(RecordQuerySet):
    def published(self):
        """Attendees of published meetings that the public can name: by a published
        person, post or organization, or by the recorded name of one without a person
        record (a draft person's attendance is not shown under another name)."""
        # Each as "id IN (published ids)", not a join: four outer joins ORed together
        # leave the planner only nested loops.
        return super().published().filter(meeting__in=Meeting.objects.published()).filter(
            Q(person__in=Person.objects.published())
            | Q(post__in=Post.objects.published())
            | Q(organization__in=Organization.objects.published())
            | Q(person__isnull=True, name_text__gt="")
        )


class ParticipationManager(models.Manager.from_queryset(ParticipationQuerySet)):
    def get_by_natural_key(self, meeting, position):
        return self.get(meeting__slug=meeting, position=position)


class Participation(Publishable):
    """One attendee of one meeting: a person and/or the post they attended in."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会議"), on_delete=models.CASCADE, related_name="participations"
    )
    position = models.PositiveSmallIntegerField(_("表示順"), help_text=_("会議ごとに1から振る番号。"))
    side = models.CharField(_("側"), max_length=5, choices=Side.choices)
    person = models.ForeignKey(
        Person,
        verbose_name=_("人物"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # attendance records would lose their attendee
        related_name="participations",
    )
    post = models.ForeignKey(
        Post,
        verbose_name=_("当時の役職"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # attendance records would lose their capacity
        related_name="participations",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("組織"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # attendance records would lose their attendee
        related_name="participations",
    )
    name_text = models.CharField(
        _("氏名・名称（記録のみ）"),
        max_length=200,
        blank=True,
        help_text=_("人物・役職の記録を作らない出席者の表記（例: 関係省庁の代表）。"),
    )
    role = models.CharField(_("立場"), max_length=100, blank=True, help_text=_("例: 代表、共同議長、随行"))
    role_en = models.CharField(_("立場（英語）"), max_length=100, blank=True, help_text=_("例: Representative、Co-chair、Accompanying"))

    # What its label (__str__) reads, for select_related where many are listed.
    label_related = ("meeting", "person", "post", "organization")

    history = HistoricalRecords()
    objects = ParticipationManager()

    class Meta:
        verbose_name = _("出席者")
        verbose_name_plural = _("出席者")
        permissions = [("publish_participation", _("公開・非公開を切り替えられる"))]
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="participation_unique_position"),
            models.CheckConstraint(
                condition=Q(person__isnull=False)
                | Q(post__isnull=False)
                | Q(organization__isnull=False)
                | ~Q(name_text=""),
                name="participation_has_attendee",
            ),
        ]

    def __str__(self):
        return f"{self.meeting.name_ja}: {self.label()}"

    def label(self):
        parts = [p.name for p in (self.post, self.organization) if p is not None]
        if self.person is not None:
            parts.append(self.person.name)
        elif self.name_text:
            parts.append(self.name_text)
        return " ".join(str(p) for p in parts) or "—"

    def public_label_en(self) -> str:
        """The attendee in English for a composed title: "Lloyd J. Austin III (Secretary of Defense)".
        Empty when the attendee has no English name (the title then leaves it out)."""
        post, organization, person = public(self.post), public(self.organization), public(self.person)
        capacity = next((r.name_en for r in (post, organization) if r is not None and r.name_en), "")
        if person is not None and person.name_en:
            return f"{person.name_en} ({capacity})" if capacity else person.name_en
        return capacity if person is None else ""

    def public_label(self):
        """The attendee as the public may see it: drafts among post or person left out."""
        parts = [p.name for p in (public(self.post), public(self.organization)) if p is not None]
        person = public(self.person)
        if person is not None:
            parts.append(person.name)
        elif self.name_text and self.person_id is None:
            parts.append(self.name_text)
        return " ".join(str(p) for p in parts)

    @classmethod
    def next_position(cls, meeting_id) -> int:
        """The number after the meeting's last attendee (1 for the first)."""
        last = cls.objects.filter(meeting_id=meeting_id).aggregate(last=models.Max("position"))["last"]
        return (last or 0) + 1

    @property
    def role_display(self):
        """The capacity in the active language, falling back to the Japanese."""
        return (self.role_en or self.role) if english_active() else self.role

    def natural_key(self):
        return (self.meeting.slug, self.position)

    natural_key.dependencies = ["alliance.meeting"]

    def clean(self):
        if not (self.person_id or self.post_id or self.organization_id or self.name_text):
            raise ValidationError(_("人物・役職・組織・表記のいずれかを入力してください。"))


class MeetingDocumentQuerySet(RecordQuerySet):
    def published(self):
        """Documents of published meetings that are published agreements."""
        return super().published().filter(meeting__in=Meeting.objects.published(), agreement__in=Agreement.objects.published())


class MeetingDocumentManager(models.Manager.from_queryset(MeetingDocumentQuerySet)):
    def get_by_natural_key(self, meeting, kind, agreement):
        return self.get(meeting__slug=meeting, kind=kind, agreement__slug=agreement)


class MeetingDocument(Publishable):
    """A document signed, approved or issued at a meeting."""

    class Kind(models.TextChoices):
        SIGNED = "signed", _("署名")
        APPROVED = "approved", _("承認・了承")
        ISSUED = "issued", _("発出・発表")
        ADOPTED = "adopted", _("採択・策定")

    meeting = models.ForeignKey(Meeting, verbose_name=_("会議"), on_delete=models.CASCADE, related_name="meeting_documents")
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("協定・文書"),
        # The document record outlives the meeting link; delete the link first.
        on_delete=models.PROTECT,
        related_name="meeting_documents",
    )
    kind = models.CharField(_("扱い"), max_length=10, choices=Kind.choices)

    # What its label (__str__) reads, for select_related where many are listed.
    label_related = ("meeting", "agreement")

    history = HistoricalRecords()
    objects = MeetingDocumentManager()

    class Meta:
        verbose_name = _("会議の文書")
        verbose_name_plural = _("会議の文書")
        permissions = [("publish_meetingdocument", _("公開・非公開を切り替えられる"))]
        ordering = ["meeting", "kind", "agreement"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "kind", "agreement"], name="meetingdocument_unique"),
        ]

    def __str__(self):
        return f"{self.meeting.name_ja}: {self.agreement.name_ja}（{self.get_kind_display()}）"

    def natural_key(self):
        return (self.meeting.slug, self.kind, self.agreement.slug)

    natural_key.dependencies = ["alliance.meeting", "alliance.agreement"]


