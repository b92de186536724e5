"""What every registry record shares: status, slug, names, search text, the choice lists."""

import datetime
import functools
import re
from contextlib import nullcontext

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import Case, F, Func, Q, Value, When
from django.db.models.functions import Coalesce, Concat, Lower
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE
from django.test.signals import setting_changed
from django.utils.deconstruct import deconstructible
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..partial_dates import date_field as partial_date_column
from ..partial_dates import reaches_q

SLUG_HELP = _("URL・取込で使う英数字の識別子（例: scc, security-treaty-1960）。公開後は変えないでください。")
OTHER_NAMES_HELP = _("略称以外の別名・旧称・英語の別表記など。1行に1つ。検索の対象になります。")


def date_field(verbose_name):
    """The date column of a partial date, with the editors' note on how it is stored."""
    return partial_date_column(verbose_name, help_text=_("精度に合わせ、年のみなら1月1日、年月なら1日で保存されます。"))


class Status(models.TextChoices):
    DRAFT = "draft", _("下書き")
    PUBLISHED = "published", _("公開")


# What the public may see, in the three languages the code speaks. This is the one
# place the rule is written: the ORM's Q, Python's predicate, and SQL for the COPY exports.
def published_q(path: str = "") -> Q:
    """The rule for a record, or a related one reached through ``path`` ("meeting")."""
    return Q(**{f"{path}__status" if path else "status": Status.PUBLISHED})


PUBLISHED = published_q()


def is_public(obj) -> bool:
    """The record may be shown to the public (a record without a status always may)."""
    return obj is not None and getattr(obj, "status", Status.PUBLISHED) == Status.PUBLISHED


def published_sql(alias: str) -> str:
    """The same rule as SQL, for a table aliased ``alias`` in an export query."""
    return f"{alias}.status = '{Status.PUBLISHED.value}'"


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


@deconstructible(path="alliance.models.NFKC")
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
    field = models.GeneratedField(
        expression=Lower(NFKC(Concat(*parts[:-1], output_field=models.TextField()))),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("検索用テキスト"),
    )
    field.source_fields = fields  # what a search result quotes its match from (search.snippet)
    return field


# The reading folded for 五十音 order: voiced, semi-voiced and small kana sort as their plain
# kana (が as か, っ as つ) and the long-vowel mark is dropped, as Japanese dictionaries
# order words at the first level; code-point order would put が after かわ and ー after ん.
_KANA_VARIANTS = "がぎぐげござじずぜぞだぢづでどばびぶべぼぱぴぷぺぽぁぃぅぇぉっゃゅょゎゕゖゔ"
_KANA_PLAIN = "かきくけこさしすせそたちつてとはひふへほはひふへほあいうえおつやゆよわかけう"
assert len(_KANA_VARIANTS) == len(_KANA_PLAIN)


def reading_order():
    """The 五十音 key as an expression: the folded reading, then the reading itself to break
    ties (が after か). A record without a reading sorts by its Japanese name after all that
    have one (a kana reading sorts before any kanji in code-point order)."""
    folded = Func(F("yomi"), Value(_KANA_VARIANTS + "ー"), Value(_KANA_PLAIN), function="translate")
    return Case(
        When(yomi="", then=F("name_ja")),
        default=Concat(folded, Value(" "), F("yomi"), output_field=models.TextField()),
        output_field=models.TextField(),
    )


def reading_sort_key():
    """A stored sort key for names in 五十音 order, so a plain index on it serves the
    Japanese lists' name sort."""
    return models.GeneratedField(
        expression=reading_order(),
        output_field=models.TextField(db_collation="C"),
        db_persist=True,
        verbose_name=_("並べ替え用の読み"),
    )


# Records without an English name sort after every English name on the English pages
# (by their reading among themselves): U+FFFF comes after any letter in code-point order.
_AFTER_ENGLISH = "\uffff"


def english_sort_key(english=None):
    """A stored sort key for the English pages' name sort: the English name, case folded
    (``english`` may give another expression over it, such as a person's family name
    first); records with no English name follow, in 五十音 order. A generated column may
    not read another, so the reading's expression is repeated here rather than referred to."""
    return models.GeneratedField(
        expression=Case(
            When(name_en="", then=Concat(Value(_AFTER_ENGLISH), reading_order(), output_field=models.TextField())),
            default=english if english is not None else Lower(F("name_en")),
            output_field=models.TextField(),
        ),
        output_field=models.TextField(db_collation="C"),
        db_persist=True,
        verbose_name=_("並べ替え用の英語名"),
    )


def search_index(model: str):
    return GinIndex(fields=["search_text"], opclasses=["gin_trgm_ops"], name=f"{model}_search_trgm")


@deconstructible(path="alliance.models.Grams")
class Grams(Func):
    """The one- and two-character pieces of a text, as an array (the SQL function
    ``alliance_grams``, IMMUTABLE, created by migration 0013).

    A one- or two-character search term occurs in the text exactly when it is one of these
    pieces, so ``Grams(search_text) @> ARRAY[term]`` is answered by a GIN index over the
    same expression, where a trigram index has nothing to look up.
    """

    function = "alliance_grams"
    output_field = ArrayField(models.TextField())


def grams_index(model: str):
    return GinIndex(Grams("search_text"), name=f"{model}_search_grams")


def active_on_q(day: datetime.date, start: str, end: str, until: datetime.date | None = None) -> Q:
    """Started no later than ``day`` (or undated) and not ended before it; with ``until``,
    existing at some time from ``day`` to ``until`` (a month, a year: started by its last
    day, not ended before its first)."""
    started = Q(**{f"{start}_date__isnull": True}) | Q(**{f"{start}_date__lte": until or day})
    not_ended = Q(**{f"{end}_date__isnull": True}) | reaches_q(end, day)
    return started & not_ended


class RecordQuerySet(models.QuerySet):
    def published(self):
        """Records the public may see."""
        return self.filter(PUBLISHED)


def public(obj):
    """The record if the public may see it, else None (a draft stays hidden when linked)."""
    return obj if is_public(obj) else None


class SlugKeyManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


def newlines_to_lf(value):
    """Text with every line ending as LF: browsers send CRLF, files may hold CR."""
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def normalise_newlines(instance) -> None:
    """Every text column of ``instance`` with LF line endings: the one place text is
    normalised on its way in (forms and inlines through clean_fields, imports through
    their resource), so an unchanged record saved in a browser and imported from a file
    is the same record."""
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField) and not isinstance(field, models.GeneratedField):
            value = getattr(instance, field.attname)
            cleaned = newlines_to_lf(value)
            if cleaned is not value:
                setattr(instance, field.attname, cleaned)


class Publishable(models.Model):
    """Anything the public may see has a status; only a publisher changes it (see
    editorial/publishing.py). What an editor adds starts as a draft."""

    status = models.CharField(
        _("公開状態"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_("下書きは一般公開ページ・検索・CSVに出ません。"),
    )

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        normalise_newlines(self)
        super().clean_fields(exclude=exclude)

    def validate_constraints(self, exclude=None):
        """Django's checks, asked in one query per model instead of one each.

        Django asks the database about every CheckConstraint in a query of its own, inside
        a savepoint of its own when in a transaction: an agreement's thirteen checks were
        39 round trips, 80% of an import row's time (a 5,000-row preview took minutes).
        Here a model's checks are one SELECT of one boolean each; a check that names a
        field left out (``exclude``) is skipped, as Django skips it; should the batch fail
        in the database, each is asked alone, as Django does. Other constraints (unique)
        are validated as Django validates them."""
        using = router.db_for_write(self.__class__, instance=self)
        errors = {}
        for model_class, constraints in self.get_constraints():
            checks = [c for c in constraints if isinstance(c, models.CheckConstraint)]
            failed = failed_checks(model_class, self, checks, exclude, using)
            if failed is None:
                rest = constraints
            else:
                rest = [c for c in constraints if not isinstance(c, models.CheckConstraint)]
                for check in failed:
                    error = ValidationError(check.get_violation_error_message(), code=check.violation_error_code)
                    errors = error.update_error_dict(errors)
            for constraint in rest:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(getattr(constraint, "fields", ())) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def failed_checks(model, instance, checks, exclude, using):
    """The checks among ``checks`` the instance's values fail, asked in one query; None if
    the database could not answer it (a value it cannot cast, say)."""
    if not checks:
        return []
    against = instance._get_field_expression_map(meta=model._meta, exclude=exclude)
    query = Query(None)
    for name, value in against.items():
        if not hasattr(value, "resolve_expression"):
            value = Value(value)
        query.add_annotation(value, name, select=False)
    asked = []
    for check in checks:
        try:
            query.add_annotation(Coalesce(Q(check.condition), True, output_field=models.BooleanField()), f"_check_{len(asked)}")
        except FieldError:
            continue  # it names a field left out of this validation
        asked.append(check)
    if not asked:
        return []
    connection = connections[using]
    try:
        with transaction.atomic(using=using) if connection.in_atomic_block else nullcontext():
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError:
        return None
    return [check for check, passed in zip(asked, row, strict=True) if not passed]


class Record(Publishable):
    """Fields every curated record has: a slug (its natural key), a status and a note."""

    slug = models.SlugField(_("スラッグ"), max_length=120, unique=True, allow_unicode=False, help_text=SLUG_HELP)
    note = models.TextField(_("編集メモ"), blank=True, help_text=_("編集者向けの補足。公開ページには表示しません。"))

    class Meta:
        abstract = True

    def natural_key(self):
        return (self.slug,)


def english_active() -> bool:
    return (get_language() or "ja").startswith("en")


# Kana, kanji, CJK punctuation and full-width forms: text a reader of English cannot read.
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def needs_lang_ja(text) -> bool:
    """Japanese text shown on an English page: it is marked lang="ja" (in HTML and SVG)
    so screen readers, fonts and translators treat it as Japanese."""
    return english_active() and bool(JAPANESE.search(str(text)))


class NameBasis(models.TextChoices):
    """Where an English name comes from: the reader is told which."""

    SOURCE = "source", _("資料に記載")
    RENDERED = "rendered", _("レジストリによる訳")
    DESCRIPTION = "description", _("レジストリによる説明（名称ではない）")


def name_basis_constraint(model: str) -> models.CheckConstraint:
    """An English name's basis is recorded only when there is an English name."""
    return models.CheckConstraint(condition=Q(name_en_basis="") | ~Q(name_en=""), name=f"{model}_name_en_basis")


class Names(Record):
    """A record with a Japanese and an English name and other names for search."""

    name_ja = models.CharField(_("名称（日本語）"), max_length=300, help_text=_("資料に書かれたとおりの日本語名。"))
    name_en = models.CharField(
        _("名称（英語）"),
        max_length=300,
        blank=True,
        help_text=_("資料に英語名がなく、定訳も確かでなければ空欄のままにします。"),
    )
    name_en_basis = models.CharField(
        _("英語名の根拠"),
        max_length=12,
        choices=NameBasis.choices,
        blank=True,
        help_text=_(
            "資料に記載: 出典資料のいずれかに英語名がある。レジストリによる訳: 定訳が確かな名称。"
            "説明: 定まった英語名がなく、英語の読者向けに説明を書いた場合。英語名が空欄なら空欄。"
        ),
    )
    name_en_note = models.TextField(
        _("英語名についての注記"),
        blank=True,
        help_text=_("英語名の出典・訳の根拠、または英語名がない理由。公開ページには表示しません。"),
    )
    other_names = models.TextField(_("別名"), blank=True, help_text=OTHER_NAMES_HELP)
    yomi = models.CharField(
        _("読み"),
        max_length=500,
        blank=True,
        help_text=_("日本語名の読みをひらがなで（例: にちべいあんぜんほしょうじょうやく）。一覧の名称順（五十音順）に使います。"),
    )
    name_sort = reading_sort_key()
    name_sort_en = english_sort_key()

    class Meta:
        abstract = True

    def __str__(self):
        return self.name_ja

    @property
    def name(self):
        """The name in the active language, falling back to the other."""
        if english_active():
            return self.name_en or self.name_ja
        return self.name_ja or self.name_en

    @property
    def title(self) -> str:
        """What a page calls the record: its name (a meeting may compose one)."""
        return self.name

    @property
    def name_is_rendering(self) -> bool:
        """The name shown is not stated in a source: the page says so beside it."""
        return english_active() and bool(self.name_en) and self.name_en_basis != NameBasis.SOURCE

    @property
    def other_name_list(self):
        return [line.strip() for line in self.other_names.splitlines() if line.strip()]


class Named(Names):
    """A named record that may also have an abbreviation (SCC, ACM, 「2+2」)."""

    abbreviation = models.CharField(_("略称"), max_length=60, blank=True, help_text=_("例: SCC、ACM、「2+2」"))

    class Meta:
        abstract = True

    def __str__(self):
        if self.abbreviation and self.abbreviation not in self.name_ja:
            return f"{self.name_ja}（{self.abbreviation}）"
        return self.name_ja




# --- a record's page address, without resolving the URL pattern every time -----------------

# What a <slug:…> path converter accepts (django.urls.converters.SlugConverter).
_SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")
_PLACEHOLDER = "0slug0"


@functools.lru_cache(maxsize=512)
def _detail_parts(viewname, language, script_prefix, urlconf, root_urlconf):
    from django.urls import reverse

    head, _placeholder, tail = reverse(viewname, args=[_PLACEHOLDER], urlconf=urlconf).partition(_PLACEHOLDER)
    return head, tail


def detail_url(viewname: str, slug: str) -> str:
    """``reverse(viewname, args=[slug])`` for a record's page: the same address, but the
    pattern is reversed once per language, script prefix and URLconf and the slug put in
    it (a list page links 100 records; reverse() was a fifth of its rendering). A slug the
    pattern would refuse goes to reverse(), which refuses it as before."""
    from django.conf import settings
    from django.urls import get_script_prefix, get_urlconf, reverse

    if not _SLUG.match(slug):
        return reverse(viewname, args=[slug])
    head, tail = _detail_parts(viewname, get_language(), get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    return head + slug + tail


def _forget_detail_parts(**kwargs):
    _detail_parts.cache_clear()


setting_changed.connect(_forget_detail_parts)
