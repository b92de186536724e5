"""The alliance registry: sources and citations, agreements, bodies, members, meetings."""

import datetime
import functools
import operator
import uuid

from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Prefetch, Q, Value
from django.db.models.functions import Coalesce, Concat, Lower
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .partial_dates import (
    PrecisionField,
    check_not_before,
    not_before_constraint,
    overlaps_q,
    precision_constraint,
    reaches_q,
)

SLUG_HELP = _("URL・取込で使う英数字の識別子（例: scc, security-treaty-1960）。公開後は変えないでください。")
OTHER_NAMES_HELP = _("略称以外の別名・旧称・英語の別表記など。1行に1つ。検索の対象になります。")


def date_field(verbose_name):
    return models.DateField(
        verbose_name,
        null=True,
        blank=True,
        help_text=_("精度に合わせ、年のみなら1月1日、年月なら1日で保存されます。"),
    )


class Status(models.TextChoices):
    DRAFT = "draft", _("下書き")
    PUBLISHED = "published", _("公開")


PUBLISHED = Q(status=Status.PUBLISHED)
# The ends of the calendar that undated rows sort as, in the public lists (see listing.Sort).
LAST_ASCENDING = datetime.date(9999, 12, 31)
LAST_DESCENDING = datetime.date(1, 1, 1)


class Side(models.TextChoices):
    JAPAN = "jp", _("日本側")
    US = "us", _("米側")
    OTHER = "other", _("その他")


class Country(models.TextChoices):
    JAPAN = "jp", _("日本")
    US = "us", _("米国")
    INTERNATIONAL = "intl", _("国際・多国間")


class Level(models.TextChoices):
    SUMMIT = "summit", _("首脳級")
    MINISTERIAL = "minister", _("閣僚級")
    VICE_MINISTERIAL = "vice", _("次官級")
    SENIOR = "senior", _("審議官級")
    DIRECTOR_GENERAL = "dg", _("局長級")
    DIRECTOR = "director", _("課長級")
    WORKING = "working", _("担当級・実務者")
    MIXED = "mixed", _("複数レベル")


# --- shared pieces -------------------------------------------------------------


class NFKC(Func):
    """PostgreSQL's normalize(text, NFKC): full-width and half-width forms made alike."""

    function = "normalize"
    template = "%(function)s(%(expressions)s, NFKC)"
    output_field = models.TextField()


def search_text(*fields):
    """A stored column of the searchable text, NFKC-normalised and lower-cased.

    Search compares the normalised query against this column, and a trigram index is
    built on it, so the index matches the SQL the search emits exactly.
    """
    parts = []
    for name in fields:
        parts += [F(name), Value("\n")]
    return models.GeneratedField(
        expression=Lower(NFKC(Concat(*parts[:-1], output_field=models.TextField()))),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("検索用テキスト"),
    )


def search_index(model: str):
    return GinIndex(fields=["search_text"], opclasses=["gin_trgm_ops"], name=f"{model}_search_trgm")


def active_on_q(day: datetime.date, start: str, end: str) -> Q:
    """Started no later than ``day`` (or undated) and not ended before it."""
    started = Q(**{f"{start}_date__isnull": True}) | Q(**{f"{start}_date__lte": day})
    not_ended = Q(**{f"{end}_date__isnull": True}) | reaches_q(end, day)
    return started & not_ended




class RecordQuerySet(models.QuerySet):
    def published(self):
        """Records the public may see."""
        return self.filter(status=Status.PUBLISHED)

    def for_public_list(self):
        return self.published()


def public(obj):
    """The record if the public may see it, else None (a draft stays hidden when linked)."""
    if obj is None or getattr(obj, "status", Status.PUBLISHED) != Status.PUBLISHED:
        return None
    return obj


class SlugKeyManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Record(models.Model):
    """Fields every curated record has: a slug (its natural key), a status and a note."""

    slug = models.SlugField(_("スラッグ"), max_length=120, unique=True, allow_unicode=False, help_text=SLUG_HELP)
    status = models.CharField(
        _("公開状態"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_("下書きは一般公開ページ・検索・CSVに出ません。"),
    )
    note = models.TextField(_("編集メモ"), blank=True, help_text=_("編集者向けの補足。公開ページには表示しません。"))

    class Meta:
        abstract = True

    def natural_key(self):
        return (self.slug,)


class Named(Record):
    """A record with names in Japanese and English."""

    name_ja = models.CharField(_("名称（日本語）"), max_length=300, help_text=_("資料に書かれたとおりの日本語名。"))
    name_en = models.CharField(
        _("名称（英語）"),
        max_length=300,
        blank=True,
        help_text=_("資料に英語名がなく、定訳も確かでなければ空欄のままにします。"),
    )
    abbreviation = models.CharField(_("略称"), max_length=60, blank=True, help_text=_("例: SCC、ACM、「2+2」"))
    other_names = models.TextField(_("別名"), blank=True, help_text=OTHER_NAMES_HELP)

    class Meta:
        abstract = True

    def __str__(self):
        if self.abbreviation and self.abbreviation not in self.name_ja:
            return f"{self.name_ja}（{self.abbreviation}）"
        return self.name_ja

    @property
    def name(self):
        """The name in the active language, falling back to the other."""
        if (get_language() or "ja").startswith("en"):
            return self.name_en or self.name_ja
        return self.name_ja or self.name_en

    @property
    def other_name_list(self):
        return [line.strip() for line in self.other_names.splitlines() if line.strip()]


# --- sources -------------------------------------------------------------------


class SourceManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Source(models.Model):
    """One source document that citations point into."""

    slug = models.SlugField(_("スラッグ"), max_length=120, unique=True, help_text=SLUG_HELP)
    title_ja = models.CharField(_("題名（日本語）"), max_length=300)
    title_en = models.CharField(_("題名（英語）"), max_length=300, blank=True)
    publisher_ja = models.CharField(_("発行者（日本語）"), max_length=200, help_text=_("例: 防衛省、外務省"))
    publisher_en = models.CharField(_("発行者（英語）"), max_length=200, blank=True)
    edition = models.CharField(_("版"), max_length=100, blank=True, help_text=_("例: 令和7年版、2025"))
    year = models.PositiveSmallIntegerField(_("発行年"), null=True, blank=True)
    part = models.CharField(_("該当部分"), max_length=300, blank=True, help_text=_("章・節の見出しなど。"))
    file_name = models.CharField(
        _("テキストファイル名"),
        max_length=200,
        blank=True,
        help_text=_("fixtures/sources/ にある本文テキストのファイル名。引用の照合に使います。"),
    )
    url = models.URLField(_("URL"), blank=True)
    licence = models.CharField(_("利用条件"), max_length=200, blank=True, help_text=_("例: 政府標準利用規約（第2.0版）"))

    history = HistoricalRecords()
    objects = SourceManager()

    class Meta:
        verbose_name = _("資料")
        verbose_name_plural = _("資料")
        ordering = ["-year", "slug"]

    def __str__(self):
        return f"{self.title_ja} {self.part}".strip()

    def natural_key(self):
        return (self.slug,)


# --- organizations, posts, people ----------------------------------------------


class Organization(Named):
    """A government, ministry, agency or command on one side of the alliance."""

    class Kind(models.TextChoices):
        STATE = "state", _("国・政府")
        MINISTRY = "ministry", _("省庁")
        BUREAU = "bureau", _("局・部局")
        AGENCY = "agency", _("機関")
        EMBASSY = "embassy", _("大使館")
        COMMAND = "command", _("司令部・部隊")
        FORCE = "force", _("軍・自衛隊")
        OTHER = "other", _("その他")

    kind = models.CharField(_("種別"), max_length=10, choices=Kind.choices, default=Kind.AGENCY)
    country = models.CharField(_("国"), max_length=5, choices=Country.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上位組織"),
        null=True,
        blank=True,
        # A parent is not deleted while units sit under it.
        on_delete=models.PROTECT,
        related_name="children",
    )
    search_text = search_text("name_ja", "name_en", "abbreviation", "other_names")

    history = HistoricalRecords(excluded_fields=["search_text"])
    objects = SlugKeyManager.from_queryset(RecordQuerySet)()

    class Meta:
        verbose_name = _("組織")
        verbose_name_plural = _("組織")
        permissions = [("publish_organization", _("公開・非公開を切り替えられる"))]
        ordering = ["country", "name_ja"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="organization_not_own_parent"),
        ]
        indexes = [search_index("organization")]

    def get_absolute_url(self):
        return reverse("alliance:organization-detail", args=[self.slug])



class Post(Named):
    """An office that a person holds, such as 外務大臣 or 在日米軍副司令官."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("組織"),
        null=True,
        blank=True,
        # A post's organization is kept while posts refer to it.
        on_delete=models.PROTECT,
        related_name="posts",
    )
    country = models.CharField(_("国"), max_length=5, choices=Country.choices)
    search_text = search_text("name_ja", "name_en", "abbreviation", "other_names")

    history = HistoricalRecords(excluded_fields=["search_text"])
    objects = SlugKeyManager.from_queryset(RecordQuerySet)()

    class Meta:
        verbose_name = _("役職")
        verbose_name_plural = _("役職")
        permissions = [("publish_post", _("公開・非公開を切り替えられる"))]
        ordering = ["country", "name_ja"]
        indexes = [search_index("post")]

    def get_absolute_url(self):
        return reverse("alliance:post-detail", args=[self.slug])



class Person(Record):
    """A named person."""

    name_ja = models.CharField(_("氏名（日本語）"), max_length=200, help_text=_("資料の表記どおり。例: 岸田文雄、ブリンケン"))
    name_en = models.CharField(_("氏名（英語）"), max_length=200, blank=True, help_text=_("例: Antony Blinken"))
    other_names = models.TextField(_("別表記"), blank=True, help_text=OTHER_NAMES_HELP)
    country = models.CharField(_("国"), max_length=5, choices=Country.choices)
    search_text = search_text("name_ja", "name_en", "other_names")

    history = HistoricalRecords(excluded_fields=["search_text"])
    objects = SlugKeyManager.from_queryset(RecordQuerySet)()

    class Meta:
        verbose_name = _("人物")
        verbose_name_plural = _("人物")
        permissions = [("publish_person", _("公開・非公開を切り替えられる"))]
        ordering = ["country", "name_ja"]
        indexes = [models.Index("name_ja", "id", name="person_name", condition=PUBLISHED), search_index("person")]

    def __str__(self):
        return self.name_ja

    def get_absolute_url(self):
        return reverse("alliance:person-detail", args=[self.slug])

    @property
    def name(self):
        if (get_language() or "ja").startswith("en"):
            return self.name_en or self.name_ja
        return self.name_ja or self.name_en



class TenureQuerySet(RecordQuerySet):
    def active_on(self, day: datetime.date):
        """Tenures whose dates allow the person to hold the post on ``day``."""
        return self.filter(active_on_q(day, "start", "end"))


class Tenure(Record):
    """A person holding a post for a time."""

    person = models.ForeignKey(Person, verbose_name=_("人物"), on_delete=models.CASCADE, related_name="tenures")
    post = models.ForeignKey(
        Post,
        verbose_name=_("役職"),
        # The post outlives its holders; delete the tenures first.
        on_delete=models.PROTECT,
        related_name="tenures",
    )
    start_date = date_field(_("就任日"))
    start_precision = PrecisionField(_("就任日の精度"))
    end_date = date_field(_("退任日"))
    end_precision = PrecisionField(_("退任日の精度"))

    history = HistoricalRecords()
    objects = SlugKeyManager.from_queryset(TenureQuerySet)()

    class Meta:
        verbose_name = _("在任")
        verbose_name_plural = _("在任")
        permissions = [("publish_tenure", _("公開・非公開を切り替えられる"))]
        ordering = ["post", "start_date"]
        constraints = [
            precision_constraint("tenure", "start"),
            precision_constraint("tenure", "end"),
            not_before_constraint("tenure", "end", "start"),
        ]

    def __str__(self):
        return f"{self.post.name_ja} {self.person.name_ja}"

    def clean(self):
        errors = check_not_before(self, "end", "start", _("退任日が就任日より前です。"))
        if errors:
            raise ValidationError(errors)


# --- agreements ----------------------------------------------------------------


class AgreementQuerySet(RecordQuerySet):
    def for_public_list(self):
        """Published agreements with their published parties and relations, for lists and CSV."""
        return self.published().prefetch_related(
            Prefetch("parties", queryset=Organization.objects.published()),
            Prefetch(
                "relations_out",
                queryset=AgreementRelation.objects.filter(object__status=Status.PUBLISHED).select_related("object"),
            ),
            Prefetch(
                "relations_in",
                queryset=AgreementRelation.objects.filter(subject__status=Status.PUBLISHED).select_related("subject"),
            ),
        )

    def in_force_on(self, day: datetime.date):
        """Agreements whose dates allow them to be in force on ``day``.

        In force from the first day of the entry-into-force period (a month-precision
        date counts from the 1st) through the last day of the period in which it ended.
        An agreement with no entry-into-force date is never counted as in force.
        """
        return self.filter(
            Q(in_force_date__lte=day),
            Q(ended_date__isnull=True) | reaches_q("ended", day),
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
    approved_date = date_field(_("承認・了承日"))
    approved_precision = PrecisionField(_("承認・了承日の精度"))
    in_force_date = date_field(_("発効日"))
    in_force_precision = PrecisionField(_("発効日の精度"))
    ended_date = date_field(_("失効・終了日"))
    ended_precision = PrecisionField(_("失効・終了日の精度"))
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


    def clean(self):
        errors = {}
        errors.update(check_not_before(self, "in_force", "signed", _("発効日が署名日より前です。")))
        errors.update(check_not_before(self, "ended", "signed", _("終了日が署名日より前です。")))
        errors.update(check_not_before(self, "ended", "in_force", _("終了日が発効日より前です。")))
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


# --- bodies --------------------------------------------------------------------


class BodyQuerySet(RecordQuerySet):
    def for_public_list(self):
        return self.published().select_related("parent", "legal_basis")

    def active_on(self, day: datetime.date):
        """Bodies that may be active on ``day``: set up no later than it and not yet ended.

        An undated establishment counts as "always existed" so undated bodies are not
        hidden; an end date counts through the last day of its period.
        """
        return self.filter(active_on_q(day, "established", "ended"))


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
    ended_date = date_field(_("廃止・改組日"))
    ended_precision = PrecisionField(_("廃止・改組日の精度"))
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

    history = HistoricalRecords(excluded_fields=["search_text"])
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
        ]
        indexes = [
            models.Index("name_ja", "id", name="body_name", condition=PUBLISHED),
            models.Index(Coalesce("established_date", Value(LAST_ASCENDING)), "id", name="body_established", condition=PUBLISHED),
            search_index("body"),
        ]

    def get_absolute_url(self):
        return reverse("alliance:body-detail", args=[self.slug])


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


class MembershipQuerySet(RecordQuerySet):
    def published(self):
        """Published seats on published bodies, held by a published post, organization or person."""
        return self.filter(status=Status.PUBLISHED, body__status=Status.PUBLISHED).filter(
            Q(post__status=Status.PUBLISHED)
            | Q(organization__status=Status.PUBLISHED)
            | Q(person__status=Status.PUBLISHED)
        )

    def for_public_list(self):
        return self.published().select_related("body", "post", "organization", "person")

    def active_on(self, day: datetime.date):
        """Seats held on ``day``: undated starts count as "from the beginning"."""
        return self.filter(active_on_q(day, "start", "end"))


class Membership(Record):
    """A seat on a body: one side's post, organization or named person, in a role and at a level."""

    body = models.ForeignKey(
        Body,
        verbose_name=_("協議体"),
        # Seats are evidence-bearing records; remove them before the body.
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    side = models.CharField(_("側"), max_length=5, choices=Side.choices)
    post = models.ForeignKey(
        Post,
        verbose_name=_("役職"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a seat would be left holding nobody
        related_name="memberships",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("組織"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a seat would be left holding nobody
        related_name="memberships",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("人物"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a seat would be left holding nobody
        related_name="memberships",
    )
    role = models.CharField(_("役割"), max_length=100, blank=True, help_text=_("例: 議長、共同議長、代表、構成員"))
    level = models.CharField(_("レベル"), max_length=10, choices=Level.choices, blank=True)
    as_needed = models.BooleanField(
        _("必要に応じて参加"), default=False, help_text=_("資料に「必要に応じて参加」とある場合にチェック。")
    )
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    start_date = date_field(_("開始日"))
    start_precision = PrecisionField(_("開始日の精度"))
    end_date = date_field(_("終了日"))
    end_precision = PrecisionField(_("終了日の精度"))

    history = HistoricalRecords()
    objects = SlugKeyManager.from_queryset(MembershipQuerySet)()

    class Meta:
        verbose_name = _("構成員（席）")
        verbose_name_plural = _("構成員（席）")
        permissions = [("publish_membership", _("公開・非公開を切り替えられる"))]
        ordering = ["body", "side", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(post__isnull=False, organization__isnull=True, person__isnull=True)
                    | Q(post__isnull=True, organization__isnull=False, person__isnull=True)
                    | Q(post__isnull=True, organization__isnull=True, person__isnull=False)
                ),
                name="membership_exactly_one_member",
            ),
            precision_constraint("membership", "start"),
            precision_constraint("membership", "end"),
            not_before_constraint("membership", "end", "start"),
        ]

    def __str__(self):
        return f"{self.body.name_ja} / {self.get_side_display()} / {self.member_label()}"

    def get_absolute_url(self):
        return reverse("alliance:membership-detail", args=[self.slug])

    @property
    def member(self):
        return self.post or self.organization or self.person

    def member_label(self):
        member = self.member
        return member.name_ja if member is not None else "—"


    def clean(self):
        errors = check_not_before(self, "end", "start", _("終了日が開始日より前です。"))
        held = [f for f in ("post", "organization", "person") if getattr(self, f"{f}_id")]
        if len(held) != 1:
            errors["post"] = _("役職・組織・人物のうち、ちょうど一つを選んでください。")
        if errors:
            raise ValidationError(errors)


# --- meetings ------------------------------------------------------------------


class MeetingQuerySet(RecordQuerySet):
    def for_public_list(self):
        """Published meetings with their attendees and published documents, for lists and CSV."""
        return (
            self.published()
            .select_related("body")
            .prefetch_related(
                Prefetch(
                    "participations",
                    queryset=Participation.objects.select_related("person", "post", "organization"),
                ),
                Prefetch(
                    "meeting_documents",
                    queryset=MeetingDocument.objects.filter(agreement__status=Status.PUBLISHED).select_related(
                        "agreement"
                    ),
                ),
            )
        )

    def held_between(self, start: datetime.date | None, end: datetime.date | None):
        """Meetings whose (partial) date lies wholly or partly in [start, end]."""
        return self.filter(overlaps_q("start", start, end))


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
    end_date = date_field(_("終了日（複数日の場合）"))
    end_precision = PrecisionField(_("終了日の精度"))
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

    history = HistoricalRecords(excluded_fields=["search_text"])
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
        ]
        indexes = [
            # The public list's keyset sorts, over published rows only.
            models.Index(
                Coalesce("start_date", Value(LAST_DESCENDING)).desc(), F("id").desc(), name="meeting_start_desc", condition=PUBLISHED
            ),
            models.Index(Coalesce("start_date", Value(LAST_ASCENDING)), "id", name="meeting_start", condition=PUBLISHED),
            models.Index(
                "kind", Coalesce("start_date", Value(LAST_DESCENDING)).desc(), F("id").desc(), name="meeting_kind_start", condition=PUBLISHED
            ),
            # The admin's changelist order (drafts included).
            models.Index(F("start_date").desc(), F("id").desc(), name="meeting_admin_order"),
            models.Index("name_ja", "id", name="meeting_name", condition=PUBLISHED),
            models.Index("body", "kind", name="meeting_body_kind", condition=PUBLISHED),
            search_index("meeting"),
        ]

    def get_absolute_url(self):
        return reverse("alliance:meeting-detail", args=[self.slug])


    @property
    def outcome_list(self):
        text = self.outcomes_en if (get_language() or "ja").startswith("en") and self.outcomes_en else self.outcomes_ja
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean(self):
        errors = check_not_before(self, "end", "start", _("終了日が開催日より前です。"))
        if errors:
            raise ValidationError(errors)


class ParticipationManager(models.Manager):
    def get_by_natural_key(self, meeting, position):
        return self.get(meeting__slug=meeting, position=position)


class Participation(models.Model):
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

    history = HistoricalRecords()
    objects = ParticipationManager()

    class Meta:
        verbose_name = _("出席者")
        verbose_name_plural = _("出席者")
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

    def public_label(self):
        """The attendee as the public may see it: drafts among post or person left out."""
        parts = [p.name for p in (public(self.post), public(self.organization)) if p is not None]
        person = public(self.person)
        if person is not None:
            parts.append(person.name)
        elif self.name_text and self.person_id is None:
            parts.append(self.name_text)
        return " ".join(str(p) for p in parts)

    def natural_key(self):
        return (self.meeting.slug, self.position)

    natural_key.dependencies = ["alliance.meeting"]

    def clean(self):
        if not (self.person_id or self.post_id or self.organization_id or self.name_text):
            raise ValidationError(_("人物・役職・組織・表記のいずれかを入力してください。"))


class MeetingDocumentManager(models.Manager):
    def get_by_natural_key(self, meeting, kind, agreement):
        return self.get(meeting__slug=meeting, kind=kind, agreement__slug=agreement)


class MeetingDocument(models.Model):
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

    history = HistoricalRecords()
    objects = MeetingDocumentManager()

    class Meta:
        verbose_name = _("会議の文書")
        verbose_name_plural = _("会議の文書")
        ordering = ["meeting", "kind", "agreement"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "kind", "agreement"], name="meetingdocument_unique"),
        ]

    def __str__(self):
        return f"{self.meeting.name_ja}: {self.agreement.name_ja}（{self.get_kind_display()}）"

    def natural_key(self):
        return (self.meeting.slug, self.kind, self.agreement.slug)

    natural_key.dependencies = ["alliance.meeting", "alliance.agreement"]


# --- citations -----------------------------------------------------------------

# The models a citation can point at: one nullable foreign key each, exactly one set.
CITED_FIELDS = (
    "agreement",
    "agreement_relation",
    "body",
    "organization",
    "post",
    "person",
    "tenure",
    "membership",
    "meeting",
    "participation",
    "meeting_document",
)


def new_citation_key():
    return uuid.uuid4().hex


class CitationManager(models.Manager):
    def get_by_natural_key(self, key):
        return self.get(key=key)


class Citation(models.Model):
    """One piece of evidence for one record (optionally for one field of it)."""

    key = models.SlugField(
        _("キー"),
        max_length=120,
        unique=True,
        default=new_citation_key,
        help_text=_("取込・フィクスチャ用の識別子。通常は自動のままで構いません。"),
    )
    source = models.ForeignKey(
        Source,
        verbose_name=_("資料"),
        # A source with citations is evidence in use; it cannot be deleted.
        on_delete=models.PROTECT,
        related_name="citations",
    )
    locator = models.CharField(_("箇所"), max_length=200, help_text=_("節の見出しや図表番号（例: 図表III-2-1-5）。"))
    quote = models.TextField(_("引用"), help_text=_("資料の文言をそのまま写します。言い換えないでください。"))
    field = models.CharField(
        _("対象の項目"), max_length=60, blank=True, help_text=_("特定の項目の根拠なら項目名（例: signed）。全体なら空欄。")
    )
    agreement = models.ForeignKey(Agreement, null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    agreement_relation = models.ForeignKey(
        AgreementRelation, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    body = models.ForeignKey(Body, null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    tenure = models.ForeignKey(Tenure, null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    participation = models.ForeignKey(
        Participation, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    meeting_document = models.ForeignKey(
        MeetingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )

    history = HistoricalRecords()
    objects = CitationManager()

    class Meta:
        verbose_name = _("出典")
        verbose_name_plural = _("出典")
        ordering = ["source", "locator", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=functools.reduce(
                    operator.or_,
                    (Q(**{f"{name}__isnull": name != field for name in CITED_FIELDS}) for field in CITED_FIELDS),
                ),
                name="citation_exactly_one_record",
            ),
            models.CheckConstraint(condition=~Q(quote=""), name="citation_quote_not_empty"),
        ]

    def __str__(self):
        return f"{self.source.slug} {self.locator}: {self.quote[:40]}"

    def natural_key(self):
        return (str(self.key),)

    @property
    def record(self):
        for name in CITED_FIELDS:
            value = getattr(self, name)
            if value is not None:
                return value
        return None

    def clean(self):
        # In an admin inline the record may be new and unsaved: its id is still None
        # but the object is already attached.
        set_fields = [
            name
            for name in CITED_FIELDS
            if getattr(self, f"{name}_id") is not None or self._state.fields_cache.get(name) is not None
        ]
        if len(set_fields) != 1:
            raise ValidationError(_("出典はちょうど一つの記録に付けてください。"))


# --- change tracking -------------------------------------------------------------


class RegistryVersion(models.Model):
    """The one row that says when the registry last changed.

    Statement-level triggers on every registry table bump it in the database itself, so
    no write path (admin, import, loaddata, raw SQL, COPY) can forget to. Public pages
    derive their ETag and the cache keys of their counts and facets from it.
    """

    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "alliance_registry_version"

    def __str__(self):
        return f"v{self.version} ({self.changed_at})"
