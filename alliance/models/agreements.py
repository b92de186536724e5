"""Agreements and the typed links between them."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
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
from .base import (
    LAST_ASCENDING,
    LAST_DESCENDING,
    PUBLISHED,
    Named,
    RecordQuerySet,
    SlugKeyManager,
    date_field,
    search_index,
    search_text,
)
from .people import Organization

# --- agreements ----------------------------------------------------------------

# The dates that place a document in time, the first one it has winning.
DATED_BY = (("signed", _("署名")), ("issued", _("発表")), ("adopted", _("策定")), ("approved", _("承認・了承")))


class AgreementQuerySet(RecordQuerySet):
    def in_force_on(self, day: datetime.date):
        """Agreements whose dates allow them to be in force on ``day``.

        In force from the first day of the entry-into-force period (a month-precision
        date counts from the 1st) through the last day of the period in which it ended;
        with no end recorded, through the last day of its stated period (a fixed-term
        agreement "until 31 March 2027", "FY2022 to FY2026"). An agreement with no
        entry-into-force date is never counted as in force.
        """
        return self.filter(
            Q(in_force_date__lte=day),
            reaches_q("ended", day)
            | Q(ended_date__isnull=True, period_until_date__isnull=True)
            | Q(reaches_q("period_until", day), ended_date__isnull=True),
        )


class Agreement(Named):
    """A treaty, agreement, exchange of notes, arrangement, guideline, statement, plan or report."""

    class Kind(models.TextChoices):
        TREATY = "treaty", _("条約")
        AGREEMENT = "agreement", _("協定")
        EXCHANGE_OF_NOTES = "notes", _("交換公文")
        MOU = "mou", _("覚書")
        ARRANGEMENT = "arrangement", _("取決め")
        GUIDELINES = "guidelines", _("指針（ガイドライン）")
        JOINT_STATEMENT = "statement", _("共同声明・共同発表")
        DECLARATION = "declaration", _("宣言")
        PLAN = "plan", _("計画")
        REPORT = "report", _("報告")
        DECISION = "decision", _("決定・文書")
        OTHER = "other", _("その他")

    kind = models.CharField(_("種別"), max_length=12, choices=Kind.choices)
    official_name_ja = models.CharField(
        _("正式名称（日本語）"), max_length=500, blank=True, help_text=_("略称で呼ばれる協定の正式名称。")
    )
    official_name_en = models.CharField(_("正式名称（英語）"), max_length=500, blank=True)
    parties = models.ManyToManyField(
        Organization, verbose_name=_("当事者"), blank=True, related_name="agreements", help_text=_("署名した国・政府・省庁。")
    )
    summary_ja = models.TextField(_("概要（日本語）"), blank=True)
    summary_en = models.TextField(_("概要（英語）"), blank=True)
    signed_date = date_field(_("署名日"))
    signed_precision = PrecisionField(_("署名日の精度"))
    signed_qualifier = qualifier_field(QUALIFIER_LABEL)
    issued_date = date_field(_("発表日"))
    issued_precision = PrecisionField(_("発表日の精度"))
    issued_qualifier = qualifier_field(QUALIFIER_LABEL)
    adopted_date = date_field(_("策定日"))
    adopted_precision = PrecisionField(_("策定日の精度"))
    adopted_qualifier = qualifier_field(QUALIFIER_LABEL)
    approved_date = date_field(_("承認・了承日"))
    approved_precision = PrecisionField(_("承認・了承日の精度"))
    approved_qualifier = qualifier_field(QUALIFIER_LABEL)
    in_force_date = date_field(_("発効日"))
    in_force_precision = PrecisionField(_("発効日の精度"))
    in_force_qualifier = qualifier_field(QUALIFIER_LABEL)
    ended_date = date_field(_("失効・終了日"))
    ended_precision = PrecisionField(_("失効・終了日の精度"))
    ended_qualifier = qualifier_field(QUALIFIER_LABEL)
    period_from_date = date_field(_("対象期間の始め"))
    period_from_precision = PrecisionField(_("対象期間の始めの精度"))
    period_from_qualifier = qualifier_field(QUALIFIER_LABEL)
    period_until_date = date_field(_("対象期間の終わり・有効期限"))
    period_until_precision = PrecisionField(_("対象期間の終わりの精度"))
    period_until_qualifier = qualifier_field(QUALIFIER_LABEL)
    search_text = search_text("name_ja", "name_en", "abbreviation", "other_names", "official_name_ja", "official_name_en", "summary_ja", "summary_en")

    history = HistoricalRecords(excluded_fields=["search_text"], m2m_fields=[parties])
    objects = SlugKeyManager.from_queryset(AgreementQuerySet)()

    class Meta:
        verbose_name = _("協定・文書")
        verbose_name_plural = _("協定・文書")
        permissions = [("publish_agreement", _("公開・非公開を切り替えられる"))]
        ordering = ["signed_date", "name_ja"]
        constraints = [
            precision_constraint("agreement", "signed"),
            precision_constraint("agreement", "approved"),
            precision_constraint("agreement", "in_force"),
            precision_constraint("agreement", "ended"),
            precision_constraint("agreement", "issued"),
            precision_constraint("agreement", "adopted"),
            precision_constraint("agreement", "period_from"),
            precision_constraint("agreement", "period_until"),
            not_before_constraint("agreement", "period_until", "period_from"),
            not_before_constraint("agreement", "in_force", "signed"),
            not_before_constraint("agreement", "ended", "signed"),
            not_before_constraint("agreement", "ended", "in_force"),
        ]
        indexes = [
            models.Index(fields=["in_force_date", "ended_date"], name="agreement_in_force"),
            # The public list's keyset sorts, over published rows only.
            models.Index(Coalesce("signed_date", Value(LAST_ASCENDING)), "id", name="agreement_signed", condition=PUBLISHED),
            models.Index(
                Coalesce("signed_date", Value(LAST_DESCENDING)).desc(), F("id").desc(), name="agreement_signed_desc", condition=PUBLISHED
            ),
            models.Index("name_ja", "id", name="agreement_name", condition=PUBLISHED),
            search_index("agreement"),
        ]

    def get_absolute_url(self):
        return reverse("alliance:agreement-detail", args=[self.slug])


    @property
    def dated(self):
        """(how, date): the first of its signature, issue, adoption and approval, which
        places it in the chronology and in the list when it was never signed."""
        for name, how in DATED_BY:
            value = getattr(self, name)
            if value is not None:
                return how, value
        return None, None

    def clean(self):
        errors = {}
        errors.update(check_not_before(self, "in_force", "signed", _("発効日が署名日より前です。")))
        errors.update(check_not_before(self, "ended", "signed", _("終了日が署名日より前です。")))
        errors.update(check_not_before(self, "ended", "in_force", _("終了日が発効日より前です。")))
        errors.update(check_not_before(self, "period_until", "period_from", _("対象期間の終わりが始めより前です。")))
        if errors:
            raise ValidationError(errors)


class AgreementRelationManager(models.Manager):
    def get_by_natural_key(self, subject, kind, object_):
        return self.get(subject__slug=subject, kind=kind, object__slug=object_)


class AgreementRelation(models.Model):
    """A typed link: the subject agreement supersedes, amends, … the object agreement."""

    class Kind(models.TextChoices):
        SUPERSEDES = "supersedes", _("置き換える")
        AMENDS = "amends", _("改正する")
        SUPPLEMENTS = "supplements", _("補足する")
        IMPLEMENTS = "implements", _("実施する")
        BASED_ON = "based_on", _("基づく")

    subject = models.ForeignKey(
        Agreement, verbose_name=_("主体の協定"), on_delete=models.CASCADE, related_name="relations_out"
    )
    kind = models.CharField(_("関係"), max_length=12, choices=Kind.choices)
    object = models.ForeignKey(
        Agreement, verbose_name=_("対象の協定"), on_delete=models.CASCADE, related_name="relations_in"
    )
    note = models.TextField(_("編集メモ"), blank=True)

    # What its label (__str__) reads, for select_related where many are listed.
    label_related = ("subject", "object")

    history = HistoricalRecords()
    objects = AgreementRelationManager()

    class Meta:
        verbose_name = _("協定間の関係")
        verbose_name_plural = _("協定間の関係")
        ordering = ["subject", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "kind", "object"], name="agreementrelation_unique"),
            models.CheckConstraint(condition=~Q(subject=models.F("object")), name="agreementrelation_not_self"),
        ]

    def __str__(self):
        return f"{self.subject} — {self.get_kind_display()} → {self.object}"

    def natural_key(self):
        return (self.subject.slug, self.kind, self.object.slug)

    natural_key.dependencies = ["alliance.agreement"]

    def clean(self):
        if self.subject_id and self.subject_id == self.object_id:
            raise ValidationError({"object": _("協定は自分自身と関係づけられません。")})


