"""Bilateral bodies and the seats on them."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
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
)
from .agreements import Agreement
from .base import (
    LAST_ASCENDING,
    PUBLISHED,
    Level,
    Named,
    Record,
    RecordQuerySet,
    Side,
    SlugKeyManager,
    active_on_q,
    date_field,
    detail_url,
    grams_index,
    name_basis_constraint,
    published_q,
    search_index,
    search_text,
)
from .people import Organization, Person, Post

# --- bodies --------------------------------------------------------------------


class BodyQuerySet(RecordQuerySet):
    def active_on(self, day: datetime.date, until: datetime.date | None = None):
        """Bodies that may be active on ``day`` (or at some time up to ``until``): set up no
        later than it and not yet ended.

        An undated establishment counts as "always existed" so undated bodies are not
        hidden; an end date counts through the last day of its period.
        """
        return self.filter(active_on_q(day, "established", "ended", until))


class Body(Named):
    """A bilateral body or a recurring meeting format (the SCC, the ACM, a working group, the summit)."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("協議（委員会）")
        COMMITTEE = "committee", _("委員会・小委員会")
        MECHANISM = "mechanism", _("調整メカニズム")
        GROUP = "group", _("グループ・調整所")
        WORKING_GROUP = "working_group", _("作業部会")
        DIALOGUE = "dialogue", _("対話・フォーラム")
        MEETING_FORMAT = "format", _("会談の形式")
        COMMAND = "command", _("司令部")
        OTHER = "other", _("その他")

    kind = models.CharField(_("種別"), max_length=14, choices=Kind.choices)
    level = models.CharField(_("レベル"), max_length=10, choices=Level.choices, blank=True)
    purpose_ja = models.TextField(_("目的・概要（日本語）"), blank=True)
    purpose_en = models.TextField(_("目的・概要（英語）"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上位の枠組み"),
        null=True,
        blank=True,
        # Sub-bodies are not left without their parent by a deletion.
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("例: 同盟調整グループの上位は同盟調整メカニズム。"),
    )
    established_date = date_field(_("設置日"))
    established_precision = PrecisionField(_("設置日の精度"))
    established_qualifier = qualifier_field(QUALIFIER_LABEL)
    ended_date = date_field(_("廃止・改組日"))
    ended_precision = PrecisionField(_("廃止・改組日の精度"))
    ended_qualifier = qualifier_field(QUALIFIER_LABEL)
    legal_basis = models.ForeignKey(
        Agreement,
        verbose_name=_("根拠となる協定・文書"),
        null=True,
        blank=True,
        # The legal basis of a body is evidence; it cannot vanish under it.
        on_delete=models.PROTECT,
        related_name="bodies_established",
    )
    legal_basis_article = models.CharField(
        _("根拠条項"), max_length=200, blank=True, help_text=_("例: 第4条、第25条、交換公文")
    )
    legal_basis_article_en = models.CharField(
        _("根拠条項（英語）"), max_length=200, blank=True, help_text=_("例: Article IV、Article XXV（条約の英文の番号で）")
    )
    established_at = models.ForeignKey(
        "Meeting",
        verbose_name=_("設置を決めた会議"),
        null=True,
        blank=True,
        # Dropping the meeting record must not delete the body; the link is cleared.
        on_delete=models.SET_NULL,
        related_name="bodies_established",
    )
    establishment_note = models.CharField(
        _("設置の経緯"), max_length=500, blank=True, help_text=_("例: 1960年の書簡交換に基づき設置")
    )
    predecessor = models.ForeignKey(
        "self",
        verbose_name=_("前身"),
        null=True,
        blank=True,
        # History stays readable: a predecessor is not deleted while a successor names it.
        on_delete=models.PROTECT,
        related_name="successors",
        help_text=_("改組・改称前の枠組み。後継は自動的に逆向きに表示されます。"),
    )
    position = models.PositiveSmallIntegerField(
        _("表示順"), default=0, help_text=_("構成図で同じ上位の下に並べる順（小さいほど先）。")
    )
    search_text = search_text("name_ja", "name_en", "abbreviation", "other_names", "purpose_ja", "purpose_en")

    history = HistoricalRecords(excluded_fields=["search_text", "name_sort", "name_sort_en"])
    objects = SlugKeyManager.from_queryset(BodyQuerySet)()

    class Meta:
        verbose_name = _("協議体")
        verbose_name_plural = _("協議体")
        permissions = [("publish_body", _("公開・非公開を切り替えられる"))]
        ordering = ["name_ja"]
        constraints = [
            precision_constraint("body", "established"),
            precision_constraint("body", "ended"),
            not_before_constraint("body", "ended", "established"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="body_not_own_parent"),
            models.CheckConstraint(condition=~Q(predecessor=models.F("pk")), name="body_not_own_predecessor"),
            name_basis_constraint("body"),
        ]
        indexes = [
            models.Index("name_sort", "id", name="body_name", condition=PUBLISHED),
            models.Index("name_sort_en", "id", name="body_name_en", condition=PUBLISHED),
            models.Index(Coalesce("established_date", Value(LAST_ASCENDING)), "id", name="body_established", condition=PUBLISHED),
            search_index("body"),
            grams_index("body"),
        ]

    def get_absolute_url(self):
        return detail_url("alliance:body-detail", self.slug)


    def distinguishing_parts(self) -> list[str]:
        """What tells it apart in a list of names: its kind and when it was set up."""
        return [str(self.get_kind_display()), *([self.established.display()] if self.established else [])]

    def clean(self):
        errors = check_not_before(self, "ended", "established", _("廃止日が設置日より前です。"))
        if self.pk and self.parent_id == self.pk:
            errors["parent"] = _("自分自身を上位にはできません。")
        if self.pk and self.predecessor_id == self.pk:
            errors["predecessor"] = _("自分自身を前身にはできません。")
        ancestor, seen = self.parent, set()
        while ancestor is not None and self.pk and ancestor.pk not in seen:
            if ancestor.pk == self.pk:
                errors["parent"] = _("上位の枠組みが循環しています。")
                break
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        if errors:
            raise ValidationError(errors)


class SeatQuerySet(RecordQuerySet):
    def published(self):
        """Published seats on published bodies, held by a published post, organization or person."""
        return self.filter(PUBLISHED, published_q("body")).filter(
            published_q("post") | published_q("organization") | published_q("person")
        )

    def with_holders(self):
        """Published seats with their body and holder, for pages that show them."""
        return self.published().select_related("body", "post", "organization", "person")

    def active_on(self, day: datetime.date, until: datetime.date | None = None):
        """Seats held on ``day`` (or at some time up to ``until``): undated starts count as
        "from the beginning"."""
        return self.filter(active_on_q(day, "start", "end", until))


class Seat(Record):
    """A seat on a body: one side's post, organization or named person, in a role and at a level.

    One name throughout: the model, its URLs (/seats/), templates, CSV and import kind are
    all "seat"; the public list answered at /members/ before, which now redirects.
    """

    body = models.ForeignKey(
        Body,
        verbose_name=_("協議体"),
        # Seats are evidence-bearing records; remove them before the body.
        on_delete=models.PROTECT,
        related_name="seats",
    )
    side = models.CharField(_("側"), max_length=5, choices=Side.choices)
    post = models.ForeignKey(
        Post,
        verbose_name=_("役職"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a seat would be left holding nobody
        related_name="seats",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("組織"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a seat would be left holding nobody
        related_name="seats",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("人物"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a seat would be left holding nobody
        related_name="seats",
    )
    role = models.CharField(_("役割"), max_length=100, blank=True, help_text=_("例: 議長、共同議長、代表、構成員"))
    role_en = models.CharField(_("役割（英語）"), max_length=100, blank=True, help_text=_("例: Chair、Co-chair、Representative、Member"))
    level = models.CharField(_("レベル"), max_length=10, choices=Level.choices, blank=True)
    as_needed = models.BooleanField(
        _("必要に応じて参加"), default=False, help_text=_("資料に「必要に応じて参加」とある場合にチェック。")
    )
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    start_date = date_field(_("開始日"))
    start_precision = PrecisionField(_("開始日の精度"))
    start_qualifier = qualifier_field(QUALIFIER_LABEL)
    end_date = date_field(_("終了日"))
    end_precision = PrecisionField(_("終了日の精度"))
    end_qualifier = qualifier_field(QUALIFIER_LABEL)

    # The table keeps the name it was created with ("membership" was this model's first name).
    # What its label (__str__) reads, for select_related where many are listed.
    label_related = ("body", "post", "organization", "person")

    history = HistoricalRecords(table_name="alliance_historicalmembership")
    objects = SlugKeyManager.from_queryset(SeatQuerySet)()

    class Meta:
        db_table = "alliance_membership"
        verbose_name = _("構成員（席）")
        verbose_name_plural = _("構成員（席）")
        permissions = [("publish_seat", _("公開・非公開を切り替えられる"))]
        ordering = ["body", "side", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(post__isnull=False, organization__isnull=True, person__isnull=True)
                    | Q(post__isnull=True, organization__isnull=False, person__isnull=True)
                    | Q(post__isnull=True, organization__isnull=True, person__isnull=False)
                ),
                name="seat_exactly_one_member",
            ),
            precision_constraint("seat", "start"),
            precision_constraint("seat", "end"),
            not_before_constraint("seat", "end", "start"),
        ]

    def __str__(self):
        return f"{self.body.name_ja} / {self.get_side_display()} / {self.member_label()}"

    def get_absolute_url(self):
        return detail_url("alliance:seat-detail", self.slug)

    @property
    def member(self):
        return self.post or self.organization or self.person

    def member_label(self):
        member = self.member
        return member.name_ja if member is not None else "—"

    @property
    def title(self) -> str:
        """What its page, its citation and the feeds call it: the body and the member, in
        the active language ("日米安全保障協議委員会 — 外務大臣")."""
        member = self.member
        return f"{self.body.name} — {member.name if member is not None else '—'}"


    def clean(self):
        errors = check_not_before(self, "end", "start", _("終了日が開始日より前です。"))
        held = [f for f in ("post", "organization", "person") if getattr(self, f"{f}_id")]
        if len(held) != 1:
            errors["post"] = _("役職・組織・人物のうち、ちょうど一つを選んでください。")
        if errors:
            raise ValidationError(errors)




# --- links between bodies ----------------------------------------------------------


class BodyLinkQuerySet(RecordQuerySet):
    def published(self):
        """Published links between published bodies."""
        return self.filter(PUBLISHED, published_q("from_body"), published_q("to_body"))

    def active_on(self, day: datetime.date, until: datetime.date | None = None):
        """Links in place on ``day`` (or at some time up to ``until``)."""
        return self.filter(active_on_q(day, "start", "end", until))


class BodyLink(Record):
    """A typed link from one body to another: part of, coordinates with, reports to,
    supports or replaced by, for a time, as a chart or sentence states it."""

    class Kind(models.TextChoices):
        PART_OF = "part_of", _("の一部")
        COORDINATES_WITH = "coordinates_with", _("と調整")
        REPORTS_TO = "reports_to", _("に報告")
        SUPPORTS = "supports", _("を支援")
        REPLACED_BY = "replaced_by", _("に引き継がれた")

    from_body = models.ForeignKey(
        Body,
        verbose_name=_("協議体"),
        # A link is evidence-bearing; it is removed before either body.
        on_delete=models.PROTECT,
        related_name="links_out",
    )
    kind = models.CharField(_("関係"), max_length=16, choices=Kind.choices)
    to_body = models.ForeignKey(
        Body,
        verbose_name=_("相手の協議体"),
        # A link is evidence-bearing; it is removed before either body.
        on_delete=models.PROTECT,
        related_name="links_in",
    )
    label_ja = models.CharField(
        _("図の表記（日本語）"), max_length=200, blank=True, help_text=_("構成図で線に添えられた言葉（例: 相互調整・情報交換など）。")
    )
    label_en = models.CharField(_("図の表記（英語）"), max_length=200, blank=True)
    start_date = date_field(_("開始日"))
    start_precision = PrecisionField(_("開始日の精度"))
    start_qualifier = qualifier_field(QUALIFIER_LABEL)
    end_date = date_field(_("終了日"))
    end_precision = PrecisionField(_("終了日の精度"))
    end_qualifier = qualifier_field(QUALIFIER_LABEL)

    # What its label (__str__) reads, for select_related where many are listed.
    label_related = ("from_body", "to_body")

    history = HistoricalRecords()
    objects = SlugKeyManager.from_queryset(BodyLinkQuerySet)()

    class Meta:
        verbose_name = _("協議体間の関係")
        verbose_name_plural = _("協議体間の関係")
        permissions = [("publish_bodylink", _("公開・非公開を切り替えられる"))]
        ordering = ["from_body", "kind", "to_body"]
        constraints = [
            models.UniqueConstraint(fields=["from_body", "kind", "to_body"], name="bodylink_unique"),
            models.CheckConstraint(condition=~Q(from_body=models.F("to_body")), name="bodylink_not_self"),
            precision_constraint("bodylink", "start"),
            precision_constraint("bodylink", "end"),
            not_before_constraint("bodylink", "end", "start"),
        ]

    def __str__(self):
        return f"{self.from_body} — {self.get_kind_display()} → {self.to_body}"

    def clean(self):
        errors = check_not_before(self, "end", "start", _("終了日が開始日より前です。"))
        if self.from_body_id and self.from_body_id == self.to_body_id:
            errors["to_body"] = _("協議体は自分自身と関係づけられません。")
        if errors:
            raise ValidationError(errors)
