"""Source documents."""


import re
from dataclasses import dataclass
from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..partial_dates import QUALIFIER_LABEL, PrecisionField, precision_constraint, qualifier_field
from .base import (
    SLUG_HELP,
    Publishable,
    RecordQuerySet,
    SlugKeyManager,
    date_field,
    detail_url,
)

_SPACE = re.compile(r"\s+")
_INK = re.compile(r"\S")
# A run of whitespace with a line break in it; the characters between which a line break
# of a hard-wrapped text stands for nothing (Japanese is written without spaces).
_LINE_BREAKS = re.compile(r"[^\S\n]*\n\s*")
_JA = re.compile("[\u3005\u3040-\u30ff\u3400-\u9fff\uff01-\uff60\u3001-\u3003\u300c-\u301f]")


def squeeze(text: str) -> str:
    """Text with all whitespace removed: quotes are compared this way, since the PDF
    conversion broke lines and words at random."""
    return _SPACE.sub("", text)


def one_line(text: str, *, hard_wrapped: bool = False) -> str:
    """``text`` on one line, for a message. Only line breaks go, each as one space; in a
    ``hard_wrapped`` text (converted from a PDF, whose lines end where the page's did), a
    line break between two Japanese characters with no space beside it is taken out, as
    it stands inside a word or a sentence. Every space is kept as it is stored: a space
    between words is the author's (「氏名 役職」, 「　」) and is never dropped."""

    def unbroken(match):
        run = match.group()
        spaces = run.replace("\n", "")
        if spaces:
            return spaces
        before, after = text[match.start() - 1:match.start()], text[match.end():match.end() + 1]
        return "" if hard_wrapped and _JA.match(before) and _JA.match(after) else " "

    return _LINE_BREAKS.sub(unbroken, text).strip()


@dataclass(frozen=True)
class QuoteMatch:
    """Where a quote is in a source's text, whitespace aside; when it is not there, where
    the longest beginning of it is (``matched`` characters of it, 0 if none)."""

    found: bool
    start: int
    end: int
    matched: int


class SourceText:
    """A source's text, indexed once for finding many quotes in it."""

    def __init__(self, text: str, *, hard_wrapped: bool = False):
        self.text = text
        self.hard_wrapped = hard_wrapped
        self.positions = [m.start() for m in _INK.finditer(text)]
        self.flat = "".join(text[i] for i in self.positions)

    def locate(self, quote: str) -> QuoteMatch | None:
        wanted = squeeze(quote)
        if not wanted or not self.flat:
            return None
        at = self.flat.find(wanted)
        if at >= 0:
            return QuoteMatch(True, self.positions[at], self.positions[at + len(wanted) - 1] + 1, len(wanted))
        low, high = 0, len(wanted)  # the longest beginning of the quote that is in the text
        while low < high:
            middle = (low + high + 1) // 2
            if wanted[:middle] in self.flat:
                low = middle
            else:
                high = middle - 1
        if low == 0:
            return QuoteMatch(False, 0, 0, 0)
        at = self.flat.find(wanted[:low])
        return QuoteMatch(False, self.positions[at], self.positions[at + low - 1] + 1, low)

    def passage(self, match: QuoteMatch, around: int = 40) -> str:
        """The text around a match, for an editor to compare with the quote."""
        start, end = max(0, match.start - around // 2), min(len(self.text), match.end + around)
        return one_line(self.text[start:end], hard_wrapped=self.hard_wrapped)

# --- sources -------------------------------------------------------------------


class TextOrigin(models.TextChoices):
    """How a source's stored text was obtained: what a reader is told of it."""

    PDF = "pdf", _("PDFから変換した本文")
    HTML = "html", _("ウェブページの本文")
    FILE = "txt", _("テキストファイルの本文")
    PASTED = "pasted", _("編集者が貼り付けた本文")


# What the public page says of a text, by how it was obtained. PDF and HTML conversions
# break lines (and, from a PDF, words) where the original did not.
TEXT_ORIGIN_NOTES = {
    TextOrigin.PDF: _("PDFから変換した本文です。改行や空白は原文と異なることがあります。"),
    TextOrigin.HTML: _("ウェブページの本文です。改行や空白は原文の表示と異なることがあります。"),
    TextOrigin.FILE: _("テキストファイルの本文です。"),
    TextOrigin.PASTED: _("編集者が貼り付けた本文です。"),
}


class Source(Publishable):
    """One source document that citations point into."""

    slug = models.SlugField(_("スラッグ"), max_length=120, unique=True, help_text=SLUG_HELP)
    title_ja = models.CharField(_("題名（日本語）"), max_length=300)
    title_en = models.CharField(_("題名（英語）"), max_length=300, blank=True)
    publisher_ja = models.CharField(_("発行者（日本語）"), max_length=200, help_text=_("例: 防衛省、外務省"))
    publisher_en = models.CharField(_("発行者（英語）"), max_length=200, blank=True)
    edition = models.CharField(_("版"), max_length=100, blank=True, help_text=_("例: 令和7年版、2025"))
    year = models.PositiveSmallIntegerField(_("発行年"), null=True, blank=True)
    issued_date = date_field(_("発行日"))
    issued_precision = PrecisionField(_("発行日の精度"))
    issued_qualifier = qualifier_field(QUALIFIER_LABEL)
    part = models.CharField(_("該当部分"), max_length=300, blank=True, help_text=_("章・節の見出しなど。"))
    part_en = models.CharField(
        _("該当部分（英語）"),
        max_length=300,
        blank=True,
        help_text=_("英語のページに表示する見出し。資料の英語版の見出しでなければ、レジストリによる訳です。"),
    )
    file_name = models.CharField(
        _("テキストファイル名"),
        max_length=200,
        blank=True,
        help_text=_("fixtures/sources/ にある本文テキストのファイル名。引用の照合に使います。"),
    )
    url = models.URLField(_("URL"), blank=True)
    licence = models.CharField(_("利用条件"), max_length=200, blank=True, help_text=_("例: 政府標準利用規約（第2.0版）"))
    licence_en = models.CharField(
        _("利用条件（英語）"), max_length=200, blank=True, help_text=_("例: Government of Japan Standard Terms of Use")
    )
    text = models.TextField(
        _("本文"),
        blank=True,
        help_text=_("資料の全文。引用はこの本文と照合され、公開の資料ページに引用箇所を示して表示されます。"),
    )
    text_origin = models.CharField(
        _("本文の入手方法"),
        max_length=8,
        choices=TextOrigin.choices,
        blank=True,
        default="",
        help_text=_(
            "本文をどう得たか。公開の資料ページに表示します。本文を貼り付けるかファイルから読み込むと自動で設定されます。"
            "PDFから写した本文を貼り付けたときは「PDFから変換した本文」を選んでください。"
        ),
    )

    history = HistoricalRecords()
    objects = SlugKeyManager.from_queryset(RecordQuerySet)()

    class Meta:
        verbose_name = _("資料")
        verbose_name_plural = _("資料")
        permissions = [("publish_source", _("公開・非公開を切り替えられる"))]
        ordering = ["-year", "slug"]
        constraints = [precision_constraint("source", "issued")]

    def __str__(self):
        return f"{self.title_ja} {self.part}".strip()

    def get_absolute_url(self):
        return detail_url("alliance:source-detail", self.slug)

    def natural_key(self):
        return (self.slug,)

    @property
    def text_origin_note(self) -> str:
        """What the public page tells a reader of the text ("" when nothing is recorded)."""
        return TEXT_ORIGIN_NOTES.get(self.text_origin, "")

    @cached_property
    def indexed_text(self) -> SourceText:
        return SourceText(self.text, hard_wrapped=self.text_origin == TextOrigin.PDF)

    def locate(self, quote: str) -> QuoteMatch | None:
        """Where ``quote`` is in the text, whitespace aside (None when there is no text)."""
        return self.indexed_text.locate(quote)

    def span_of(self, citation) -> tuple[int, int] | None:
        """Where a citation of this source stands in the text: at its anchor while the text
        there still reads the quote (the intake's quotes, picked from the text), else where
        the quote is found, whitespace aside; None when it is not in the text."""
        start, end = citation.quote_start, citation.quote_end
        if start is not None and end is not None and self.text[start:end] == citation.quote:
            return start, end
        match = self.locate(citation.quote)
        return (match.start, match.end) if match is not None and match.found else None


