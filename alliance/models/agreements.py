"""Agreements and the typed links between them."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
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
from .base import (
    LAST_ASCENDING,
    LAST_DESCENDING,
    PUBLISHED,
    Named,
    Publishable,
    RecordQuerySet,
    SlugKeyManager,
    date_field,
    detail_url,
    grams_index,
    name_basis_constraint,
    published_q,
    search_index,
    search_text,
)
from .people import Organization

# --- agreements ----------------------------------------------------------------

# The dates that place a document in time, the first one it has winning.
DATED_BY = (("signed", _("署名")), ("issued", _("発表")), ("adopted", _("策定")), ("approved", _("承認・了承")))


class Force(models.TextChoices):
    """Whether an agreement is in force on a day, as far as the registry's data tell."""

    IN_FORCE = "in_force", _("有効")
    NOT_IN_FORCE = "not_in_force", _("失効・置換え・未発効")
    UNKNOWN = "unknown", _("不明（発効・終了の記録なし）")


def ended_q(day: datetime.date) -> Q:
    """Ended before ``day``: the whole period of its end date lies before it; with no end
    recorded, the whole of its stated period does (a fixed-term agreement "until 31 March
    2027", "FY2022 to FY2026")."""
    return (Q(ended_date__isnull=False) & ~reaches_q("ended", day)) | (
        Q(ended_date__isnull=True, period_until_date__isnull=False) & ~reaches_q("period_until", day)
    )


def superseded_q(day: datetime.date) -> Exists:
    """Superseded, by ``day``, by a published agreement, through a published relation.

    The successor takes over from the start of its entry into force, or, where that is
    not recorded, of its approval or signature; a successor with no date at all counts
    as having taken over already (the 1951 treaty is superseded by the 1960 one).
    """
    took_over = Coalesce("subject__in_force_date", "subject__approved_date", "subject__signed_date")
    return Exists(
        AgreementRelation.objects.filter(
            PUBLISHED, PUBLISHED_SUBJECT, object=OuterRef("pk"), kind=AgreementRelation.Kind.SUPERSEDES
        )
        .annotate(took_over=took_over)
        .filter(Q(took_over__isnull=True) | Q(took_over__lte=day))
    )


def force_on(day: datetime.date) -> Case:
    """The agreement's Force on ``day``, worked out from its dates and its successors.

    Not in force when it has ended or been superseded, or when it enters into force only
    later; in force from the first day of its entry-into-force period (a month-precision
    date counts from the 1st) through the last day of the period in which it ended;
    unknown when neither is recorded: no date is not the same as not in force.
    """
    return Case(
        When(ended_q(day), then=Value(Force.NOT_IN_FORCE)),
        When(superseded_q(day), then=Value(Force.NOT_IN_FORCE)),
        When(in_force_date__lte=day, then=Value(Force.IN_FORCE)),
        When(in_force_date__gt=day, then=Value(Force.NOT_IN_FORCE)),
        default=Value(Force.UNKNOWN),
        output_field=models.CharField(),
    )


class AgreementQuerySet(RecordQuerySet):
    def with_force(self, day: datetime.date):
        """Each agreement annotated with ``force``, its Force on ``day``."""
        return self.annotate(force=force_on(day))

    def in_force_on(self, day: datetime.date):
        """Agreements in force on ``day`` (see force_on): entered into force, not ended (or
        past the end of its stated period), not superseded."""
        return self.filter(in_force_date__lte=day).exclude(ended_q(day)).exclude(superseded_q(day))


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
    # The date the list shows and sorts by: the first of signed, issued, adopted and
    # approved that is recorded (DATED_BY's order, as ``dated`` and the chronology use).
    made_date = models.GeneratedField(
        expression=Coalesce("signed_date", "issued_date", "adopted_date", "approved_date"),
        output_field=models.DateField(),
        db_persist=True,
        verbose_name=_("署名・承認日"),
    )

    history = HistoricalRecords(excluded_fields=["search_text", "name_sort", "name_sort_en", "made_date"], m2m_fields=[parties])
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
            name_basis_constraint("agreement"),
        ]
        indexes = [
            models.Index(fields=["in_force_date", "ended_date"], name="agreement_in_force"),
            # The public list's keyset sorts, over published rows only.
            models.Index(Coalesce("made_date", Value(LAST_ASCENDING)), "id", name="agreement_made", condition=PUBLISHED),
            models.Index(
                Coalesce("made_date", Value(LAST_DESCENDING)).desc(), F("id").desc(), name="agreement_made_desc", condition=PUBLISHED
            ),
            models.Index("name_sort", "id", name="agreement_name", condition=PUBLISHED),
            models.Index("name_sort_en", "id", name="agreement_name_en", condition=PUBLISHED),
            search_index("agreement"),
            grams_index("agreement"),
        ]

    def get_absolute_url(self):
        return detail_url("alliance:agreement-detail", self.slug)

    def distinguishing_parts(self) -> list[str]:
        """What tells it apart from agreements of the same name: its kind and date."""
        _how, made = self.dated
        return [str(self.get_kind_display()), *([made.display()] if made else [])]

    @property
    def force_label(self):
        """The label of the ``force`` annotation (see AgreementQuerySet.with_force)."""
        force = getattr(self, "force", None)
        return Force(force).label if force else ""


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


class AgreementRelationQuerySet(RecordQuerySet):
    def published(self):
        """Published relations between two published agreements (as an agreement's page lists them)."""
        published = Agreement.objects.published()
        return super().published().filter(subject__in=published, object__in=published)


class AgreementRelationManager(models.Manager.from_queryset(AgreementRelationQuerySet)):
    def get_by_natural_key(self, subject, kind, object_):
        return self.get(subject__slug=subject, kind=kind, object__slug=object_)


class AgreementRelation(Publishable):
    """A typed link: the subject agreement supersedes, amends, … the object agreement."""

    class Kind(models.TextChoices):
        SUPERSEDES = "supersedes", _("置き換える")
        AMENDS = "amends", _("改正する")
        SUPPLEMENTS = "supplements", _("補足する")
        IMPLEMENTS = "implements", _("実施する")
        BASED_ON = "based_on", _("基づく")

    # Each kind read from the object's side, as exports write it ("superseded_by:…").
    INVERSE = {
        Kind.SUPERSEDES: "superseded_by",
        Kind.AMENDS: "amended_by",
        Kind.SUPPLEMENTS: "supplemented_by",
        Kind.IMPLEMENTS: "implemented_by",
        Kind.BASED_ON: "basis_of",
    }

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
        permissions = [("publish_agreementrelation", _("公開・非公開を切り替えられる"))]
        ordering = ["subject", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "kind", "object"], name="agreementrelation_unique"),
            models.CheckConstraint(condition=~Q(subject=models.F("object")), name="agreementrelation_not_self"),
        ]

    def __str__(self):
        return f"{self.subject} — {self.get_kind_display()} → {self.object}"

    @property
    def phrase_from_subject(self):
        """What the relation is, read on the subject's page, before the object's name."""
        return RELATION_PHRASES[self.kind][0]

    @property
    def phrase_from_object(self):
        """What the relation is, read on the object's page, before the subject's name."""
        return RELATION_PHRASES[self.kind][1]

    def natural_key(self):
        return (self.subject.slug, self.kind, self.object.slug)

    natural_key.dependencies = ["alliance.agreement"]

    def clean(self):
        if self.subject_id and self.subject_id == self.object_id:
            raise ValidationError({"object": _("協定は自分自身と関係づけられません。")})




PUBLISHED_SUBJECT = published_q("subject")

# Each kind read from both ends, as a label before the other agreement's name: on the
# SOFA's page, "Based on: the 1960 treaty"; on the treaty's page, "Documents based on it: the SOFA".
RELATION_PHRASES = {
    AgreementRelation.Kind.SUPERSEDES: (_("この文書が置き換えた文書"), _("この文書を置き換えた文書")),
    AgreementRelation.Kind.AMENDS: (_("この文書が改正した文書"), _("この文書を改正した文書")),
    AgreementRelation.Kind.SUPPLEMENTS: (_("この文書が補足する文書"), _("この文書を補足する文書")),
    AgreementRelation.Kind.IMPLEMENTS: (_("この文書が実施する文書"), _("この文書を実施する文書")),
    AgreementRelation.Kind.BASED_ON: (_("この文書の根拠"), _("この文書に基づく文書")),
}
