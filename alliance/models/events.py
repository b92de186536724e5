"""Events that are not meetings: context, exercises, operations, disasters, land returns,
relocations, announcements, anniversaries and the like."""

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
    precision_constraint,
    qualifier_field,
    reaches_q,
)
from .agreements import Agreement
from .base import (
    LAST_ASCENDING,
    LAST_DESCENDING,
    PUBLISHED,
    Named,
    RecordQuerySet,
    SlugKeyManager,
    date_field,
    detail_url,
    grams_index,
    name_basis_constraint,
    search_index,
    search_text,
)
from .bodies import Body
from .meetings import Meeting
from .people import Organization, Person


class EventQuerySet(RecordQuerySet):
    def between(self, start: datetime.date | None, end: datetime.date | None):
        """Events whose span (start to end, or the start's period alone) lies wholly or
        partly in [start, end]."""
        q = Q(start_date__isnull=False)
        if end is not None:
            q &= Q(start_date__lte=end)
        if start is not None:
            q &= reaches_q("end", start) | (Q(end_date__isnull=True) & reaches_q("start", start))
        return self.filter(q)


class Event(Named):
    """Something that happened, other than a meeting: a reversion, an exercise, a disaster,
    a land return, an announcement, an anniversary."""

    class Kind(models.TextChoices):
        CONTEXT = "context", _("時代背景")
        EXERCISE = "exercise", _("共同訓練・演習")
        OPERATION = "operation", _("作戦・活動")
        DISASTER = "disaster", _("災害")
        LAND_RETURN = "land_return", _("土地の返還")
        RELOCATION = "relocation", _("移転・配備")
        ANNOUNCEMENT = "announcement", _("発表・合意")
        ESTABLISHMENT = "establishment", _("設置・開設")
        OPENING = "opening", _("供用・利用開始")
        REORGANIZATION = "reorganization", _("改編")
        ANNIVERSARY = "anniversary", _("周年")
        LEGISLATION = "legislation", _("法整備")
        PLAN = "plan", _("計画の策定")
        PROGRAM = "program", _("事業・プログラム")
        AMENDMENT = "amendment", _("改正")
        TEST = "test", _("試験")
        OTHER = "other", _("その他")

    kind = models.CharField(_("種別"), max_length=14, choices=Kind.choices)
    start_date = date_field(_("日付・開始日"))
    start_precision = PrecisionField(_("日付・開始日の精度"))
    start_qualifier = qualifier_field(QUALIFIER_LABEL)
    end_date = date_field(_("終了日（期間の場合）"))
    end_precision = PrecisionField(_("終了日の精度"))
    end_qualifier = qualifier_field(QUALIFIER_LABEL)
    place_ja = models.CharField(_("場所（日本語）"), max_length=200, blank=True)
    place_en = models.CharField(_("場所（英語）"), max_length=200, blank=True)
    summary_ja = models.TextField(_("概要（日本語）"), blank=True)
    summary_en = models.TextField(_("概要（英語）"), blank=True)
    part_of = models.ForeignKey(
        "self",
        verbose_name=_("一部をなす行事・事業"),
        null=True,
        blank=True,
        # A series keeps its parts; the link is cleared, the parts stay.
        on_delete=models.SET_NULL,
        related_name="parts",
        help_text=_("例: 2024年度のSEED事業は SEED事業 の一部。"),
    )
    bodies = models.ManyToManyField(Body, verbose_name=_("関わった協議体"), blank=True, related_name="events")
    organizations = models.ManyToManyField(
        Organization, verbose_name=_("関わった組織"), blank=True, related_name="events"
    )
    people = models.ManyToManyField(Person, verbose_name=_("関わった人物"), blank=True, related_name="events")
    agreements = models.ManyToManyField(Agreement, verbose_name=_("関連する協定・文書"), blank=True, related_name="events")
    meetings = models.ManyToManyField(Meeting, verbose_name=_("関連する会議"), blank=True, related_name="events")
    search_text = search_text("name_ja", "name_en", "abbreviation", "other_names", "place_ja", "place_en", "summary_ja", "summary_en")

    history = HistoricalRecords(
        excluded_fields=["search_text", "name_sort", "name_sort_en"], m2m_fields=[bodies, organizations, people, agreements, meetings]
    )
    objects = SlugKeyManager.from_queryset(EventQuerySet)()

    class Meta:
        verbose_name = _("出来事")
        verbose_name_plural = _("出来事")
        permissions = [("publish_event", _("公開・非公開を切り替えられる"))]
        ordering = ["start_date", "name_ja"]
        constraints = [
            precision_constraint("event", "start"),
            precision_constraint("event", "end"),
            not_before_constraint("event", "end", "start"),
            models.CheckConstraint(condition=~Q(part_of=models.F("pk")), name="event_not_own_part"),
            name_basis_constraint("event"),
        ]
        indexes = [
            # The public list's keyset sorts, over published rows only.
            models.Index(Coalesce("start_date", Value(LAST_ASCENDING)), "id", name="event_start", condition=PUBLISHED),
            models.Index(
                Coalesce("start_date", Value(LAST_DESCENDING)).desc(), F("id").desc(), name="event_start_desc", condition=PUBLISHED
            ),
            models.Index("name_sort", "id", name="event_name", condition=PUBLISHED),
            models.Index("name_sort_en", "id", name="event_name_en", condition=PUBLISHED),
            search_index("event"),
            grams_index("event"),
        ]

    def get_absolute_url(self):
        return detail_url("alliance:event-detail", self.slug)

    def clean(self):
        errors = check_not_before(self, "end", "start", _("終了日が開始日より前です。"))
        if self.pk and self.part_of_id == self.pk:
            errors["part_of"] = _("自分自身の一部にはできません。")
        if errors:
            raise ValidationError(errors)
