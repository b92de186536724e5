"""Source documents."""


from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import (
    SLUG_HELP,
    Publishable,
    RecordQuerySet,
    SlugKeyManager,
)

# --- sources -------------------------------------------------------------------


class Source(Publishable):
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
    objects = SlugKeyManager.from_queryset(RecordQuerySet)()

    class Meta:
        verbose_name = _("資料")
        verbose_name_plural = _("資料")
        permissions = [("publish_source", _("公開・非公開を切り替えられる"))]
        ordering = ["-year", "slug"]

    def __str__(self):
        return f"{self.title_ja} {self.part}".strip()

    def natural_key(self):
        return (self.slug,)


