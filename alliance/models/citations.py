"""Citations: the evidence for every record, one foreign key per citable model."""

import functools
import operator
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import Publishable, RecordQuerySet, published_q
from .registry import CITABLE
from .sources import Source

# The models a citation can point at (from the registry): one nullable foreign key
# each, named as the registry says, exactly one of them set.
CITED_FIELDS = tuple(entry.cited_as for entry in CITABLE)


def _cited_record_links():
    """An abstract model holding one foreign key per citable model, made from the registry:
    a model added there is citable (its column appears in the next migration, and in the
    citation's history) without another list to edit."""
    attrs = {"__module__": __name__, "Meta": type("Meta", (), {"abstract": True})}
    for entry in CITABLE:
        attrs[entry.cited_as] = models.ForeignKey(
            entry.model,
            verbose_name=entry.model._meta.verbose_name,
            null=True,
            blank=True,
            on_delete=models.CASCADE,
            related_name="citations",
        )
    return type("CitedRecordLinks", (models.Model,), attrs)


CitedRecordLinks = _cited_record_links()


def citable_field_names(model) -> set[str]:
    """The names a citation's 対象の項目 may take for ``model``: its editable fields, with
    each partial date by its own name (start, signed …) as well as its columns."""
    names = {f.name for f in model._meta.concrete_fields if f.editable and not f.primary_key and f.name not in ("status", "slug", "note")}
    return names | set(getattr(model, "partial_date_names", ()))


def new_citation_key():
    return uuid.uuid4().hex


class CitationQuerySet(RecordQuerySet):
    def published(self):
        """Published citations, from published sources, of records the public may see
        (each citable model's own published())."""
        return super().published().filter(published_q("source")).filter(
            functools.reduce(
                operator.or_,
                (Q(**{f"{entry.cited_as}__in": entry.model.objects.published()}) for entry in CITABLE),
            )
        )

    def of_public_record(self):
        """Published citations from published sources, for a record already known to be
        public (its detail page, its JSON): published() would test every citable table's
        publication again, a scan of each on every page."""
        return RecordQuerySet.published(self).filter(published_q("source"))


class CitationManager(models.Manager.from_queryset(CitationQuerySet)):
    def get_by_natural_key(self, key):
        return self.get(key=key)


class Citation(Publishable, CitedRecordLinks):
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
    covers_parts = models.BooleanField(
        _("出席者・文書も裏付ける"),
        default=False,
        help_text=_("会議の出典で、同じ資料が出席者と署名・発出された文書も示しているとき。出席者・文書ごとの出典は要らなくなります。"),
    )
    # Where the quote is in its source's text, as the W3C TextQuoteSelector and
    # TextPositionSelector keep it: a little context either side, and code-point offsets
    # (end excluded) over the text whose digest is stored beside them. Set together when
    # a quote is picked from the text (the intake); blank for quotes typed by hand.
    quote_prefix = models.CharField(_("引用の前の文脈"), max_length=64, blank=True, editable=False)
    quote_suffix = models.CharField(_("引用の後の文脈"), max_length=64, blank=True, editable=False)
    quote_start = models.PositiveIntegerField(_("引用の開始位置"), null=True, blank=True, editable=False)
    quote_end = models.PositiveIntegerField(_("引用の終了位置"), null=True, blank=True, editable=False)
    text_digest = models.CharField(_("本文のダイジェスト"), max_length=64, blank=True, editable=False)
    history = HistoricalRecords()
    objects = CitationManager()

    class Meta:
        verbose_name = _("出典")
        verbose_name_plural = _("出典")
        permissions = [("publish_citation", _("公開・非公開を切り替えられる"))]
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
            models.CheckConstraint(
                condition=Q(covers_parts=False) | Q(meeting__isnull=False), name="citation_covers_parts_of_a_meeting"
            ),
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
        if self.covers_parts and set_fields != ["meeting"]:
            raise ValidationError({"covers_parts": _("出席者・文書も裏付けられるのは会議の出典だけです。")})
        if self.field:
            model = Citation._meta.get_field(set_fields[0]).related_model
            if self.field not in citable_field_names(model):
                raise ValidationError({"field": _("「%(field)s」は%(model)sの項目ではありません。次のどれかにするか、空欄にします: %(names)s") % {
                    "field": self.field, "model": model._meta.verbose_name, "names": ", ".join(sorted(citable_field_names(model)))}})
        self.check_quote()

    def check_quote(self):
        """The quote must be in its source's text, whitespace aside (when the text is stored)."""
        if self.source_id is None or not self.quote.strip():
            return
        source = self.source
        match = source.locate(self.quote)
        if match is None or match.found:
            return
        if match.matched >= 2:
            message = _(
                "引用が資料「%(source)s」の本文に見つかりません。引用の最初の%(n)d文字が一致するのはこの箇所です: "
                "「%(passage)s」。資料の文言のとおりに写してください（空白・改行の違いは無視します）。"
            ) % {"source": source.title_ja, "n": match.matched, "passage": source.indexed_text.passage(match)}
        else:
            message = _("引用が資料「%(source)s」の本文に見つかりません（似た箇所もありません）。資料の選択と引用を確かめてください。") % {
                "source": source.title_ja
            }
        raise ValidationError({"quote": message})



