"""Organizations, posts, people and who held which post."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Func, Q, Value, When
from django.db.models.functions import Concat, Lower
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
from ..partial_dates import date_field as partial_date_column
from .base import (
    OTHER_NAMES_HELP,
    PUBLISHED,
    Country,
    Named,
    Names,
    Record,
    RecordQuerySet,
    SlugKeyManager,
    active_on_q,
    date_field,
    detail_url,
    english_sort_key,
    grams_index,
    name_basis_constraint,
    search_index,
    search_text,
)

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
    established_date = date_field(_("設置日"))
    established_precision = PrecisionField(_("設置日の精度"))
    established_qualifier = qualifier_field(QUALIFIER_LABEL)
    ended_date = date_field(_("廃止・改組日"))
    ended_precision = PrecisionField(_("廃止・改組日の精度"))
    ended_qualifier = qualifier_field(QUALIFIER_LABEL)
    search_text = search_text("name_ja", "name_en", "abbreviation", "other_names")

    history = HistoricalRecords(excluded_fields=["search_text", "name_sort", "name_sort_en"])
    objects = SlugKeyManager.from_queryset(RecordQuerySet)()

    class Meta:
        verbose_name = _("組織")
        verbose_name_plural = _("組織")
        permissions = [("publish_organization", _("公開・非公開を切り替えられる"))]
        ordering = ["country", "name_ja"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="organization_not_own_parent"),
            name_basis_constraint("organization"),
            precision_constraint("organization", "established"),
            precision_constraint("organization", "ended"),
            not_before_constraint("organization", "ended", "established"),
        ]
        indexes = [search_index("organization"), grams_index("organization")]

    def get_absolute_url(self):
        return detail_url("alliance:organization-detail", self.slug)

    def clean(self):
        errors = check_not_before(self, "ended", "established", _("廃止日が設置日より前です。"))
        if errors:
            raise ValidationError(errors)


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

    history = HistoricalRecords(excluded_fields=["search_text", "name_sort", "name_sort_en"])
    objects = SlugKeyManager.from_queryset(RecordQuerySet)()

    class Meta:
        verbose_name = _("役職")
        verbose_name_plural = _("役職")
        permissions = [("publish_post", _("公開・非公開を切り替えられる"))]
        ordering = ["country", "name_ja"]
        constraints = [name_basis_constraint("post")]
        indexes = [search_index("post"), grams_index("post")]

    def get_absolute_url(self):
        return detail_url("alliance:post-detail", self.slug)



class Person(Names):
    """A named person."""

    name_ja = models.CharField(_("氏名（日本語）"), max_length=200, help_text=_("資料の表記どおり。例: 岸田文雄、ブリンケン"))
    name_en = models.CharField(_("氏名（英語）"), max_length=200, blank=True, help_text=_("例: Antony Blinken"))
    other_names = models.TextField(_("別表記"), blank=True, help_text=OTHER_NAMES_HELP)
    country = models.CharField(_("国"), max_length=5, choices=Country.choices)
    search_text = search_text("name_ja", "name_en", "other_names")
    # An English index of people goes by family name. Japanese names are written family
    # name first ("Kishida Fumio"); others family name last, before a suffix ("Lloyd J.
    # Austin III", "Joseph R. Biden Jr."), so their key is "austin lloyd j. austin iii".
    name_sort_en = english_sort_key(
        Case(
            When(country=Country.JAPAN, then=Lower(F("name_en"))),
            default=Concat(
                Lower(
                    Func(
                        Func(F("name_en"), Value(r"\s+(Jr\.|Sr\.|II|III|IV)$"), Value(""), function="regexp_replace"),
                        Value(r"^.*\s"),
                        Value(""),
                        function="regexp_replace",
                    )
                ),
                Value(" "),
                Lower(F("name_en")),
                output_field=models.TextField(),
            ),
            output_field=models.TextField(),
        )
    )

    history = HistoricalRecords(excluded_fields=["search_text", "name_sort", "name_sort_en"])
    objects = SlugKeyManager.from_queryset(RecordQuerySet)()

    class Meta:
        verbose_name = _("人物")
        verbose_name_plural = _("人物")
        permissions = [("publish_person", _("公開・非公開を切り替えられる"))]
        ordering = ["country", "name_ja"]
        constraints = [name_basis_constraint("person")]
        indexes = [
            models.Index("name_sort", "id", name="person_name", condition=PUBLISHED),
            models.Index("name_sort_en", "id", name="person_name_en", condition=PUBLISHED),
            search_index("person"),
            grams_index("person"),
        ]

    def get_absolute_url(self):
        return detail_url("alliance:person-detail", self.slug)

    def distinguishing_parts(self) -> list[str]:
        """What tells people of one surname apart: country, and the posts they held with
        the years (read only when the tenures were prefetched, as the lists do)."""
        parts = [str(self.get_country_display())]
        for tenure in getattr(self, "_prefetched_objects_cache", {}).get("tenures", []):
            years = "–".join(dict.fromkeys(str(d.date.year) for d in (tenure.start, tenure.end) if d))
            parts.append(f"{tenure.post.name} {years}".strip())
        return parts



class TenureQuerySet(RecordQuerySet):
    def published(self):
        """Published tenures of a published person in a published post: a tenure is shown
        only on those two pages, so with either a draft it is shown nowhere."""
        return super().published().filter(person__in=Person.objects.published(), post__in=Post.objects.published())

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
    start_date = partial_date_column(
        _("就任日"),
        help_text=_("資料が就任日を述べないときは、この役職での出席が資料で確かめられる最初の日（会議の日）。その出典の項目は start。"),
    )
    start_precision = PrecisionField(_("就任日の精度"))
    start_qualifier = qualifier_field(QUALIFIER_LABEL)
    end_date = partial_date_column(
        _("退任日"),
        help_text=_("資料が退任日を述べないときは、この役職での出席が資料で確かめられる最後の日（会議の日）。その出典の項目は end。"),
    )
    end_precision = PrecisionField(_("退任日の精度"))
    end_qualifier = qualifier_field(QUALIFIER_LABEL)

    # What its label (__str__) reads, for select_related where many are listed.
    label_related = ("post", "person")

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


