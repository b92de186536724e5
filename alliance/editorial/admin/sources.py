"""Sources (with their text) and citations."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from ...models import (
    CITED_FIELDS,
    Citation,
    Source,
)
from .. import resources, textchange
from ..forms import registry_form
from ..publishing import can_publish, needs_review
from .base import (
    RegistryAdmin,
    citation_record_paths,
)


@admin.register(Source)
class SourceAdmin(RegistryAdmin):
    form = registry_form(Source)
    resource_classes = [resources.SourceResource]
    list_display = ("slug", "title_ja", "edition", "issued_or_year", "publisher_ja", "has_text", "status")
    list_filter = ("status", "publisher_ja", "year")
    search_fields = ("slug", "title_ja", "title_en", "part", "file_name")
    search_rank_fields = ("title_ja", "title_en")
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 12, "cols": 80})},
    }
    fieldsets = (
        (None, {"fields": (("title_ja", "title_en"), ("publisher_ja", "publisher_en"), ("issued", "year"), "edition", "slug", "status")}),
        (_("本文"), {"fields": ("url", "text", "text_file", "text_origin", "part", "part_en", "licence", "licence_en")}),
        (_("シードデータ"), {"fields": ("file_name",), "classes": ("collapse",)}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        # A change of the text is checked against the source's citations first (textchange.py).
        return [
            (name, {**options, "fields": (*options["fields"], "withdraw_broken_citations")} if "text" in options["fields"] else options)
            for name, options in fieldsets
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.proposing = obj is not None and needs_review(request.user, obj)
        form.may_withdraw_published = can_publish(request.user, Citation)
        return form

    def save_model(self, request, obj, form, change):
        broken = getattr(form, "broken_citations", [])
        super().save_model(request, obj, form, change)
        if not broken:
            return
        lines = " / ".join(item.line() for item in broken)
        if getattr(request, "_alliance_proposing", False):
            self.message_user(
                request,
                _(
                    "注意: この本文の修正案を反映すると、出典 %(n)d 件の引用が本文に見つからなくなります。"
                    "公開担当は反映のときに、これらを直すか下書きに戻すかを決めます: %(list)s"
                )
                % {"n": len(broken), "list": lines},
                messages.WARNING,
            )
            return
        textchange.withdraw(broken, user=request.user, because=str(_("資料「%(source)s」の本文の変更") % {"source": obj.slug}))
        self.message_user(
            request,
            _("本文に引用が見つからなくなった出典 %(n)d 件を下書きに戻しました（履歴に理由を残しました）: %(list)s")
            % {"n": len(broken), "list": lines},
            messages.WARNING,
        )

    def get_queryset(self, request):
        # The list does not need the texts themselves.
        return super().get_queryset(request).defer("text").annotate(text_length=Length("text"))

    @admin.display(description=_("発行日"))
    def issued_or_year(self, obj):
        return obj.issued.iso() if obj.issued else (obj.year or "—")

    @admin.display(description=_("本文あり"), boolean=True)
    def has_text(self, obj):
        return bool(getattr(obj, "text_length", 0))


@admin.register(Citation)
class CitationAdmin(RegistryAdmin):
    form = registry_form(Citation)
    resource_classes = [resources.CitationResource]
    list_display = ("source", "locator", "quote_excerpt", "cited_record", "field", "status")
    list_filter = ("status", "source")
    search_fields = ("quote", "locator", "key")
    autocomplete_fields = ("source", *CITED_FIELDS)
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("source", "locator", "quote", "field", "status")}),
        (_("根拠づける記録（ちょうど一つ）"), {"fields": (*CITED_FIELDS, "covers_parts")}),
        (_("識別子"), {"fields": ("key",), "classes": ("collapse",)}),
    )

    @admin.display(description=_("引用"))
    def quote_excerpt(self, obj):
        return obj.quote if len(obj.quote) <= 60 else obj.quote[:60] + "…"

    @admin.display(description=_("記録"))
    def cited_record(self, obj):
        return obj.record

    def get_queryset(self, request):
        # The record column follows whichever foreign key is set: fetch them all at once.
        # (The changelist skips list_select_related once a queryset has its own.)
        return super().get_queryset(request).select_related("source", *citation_record_paths()).defer("source__text")
