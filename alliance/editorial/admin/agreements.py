"""Agreements and the relations between them."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from ...models import (
    Agreement,
    AgreementRelation,
    MeetingDocument,
)
from .. import resources
from ..forms import registry_form
from .base import (
    NAME_SEARCH,
    CitationInline,
    RegistryAdmin,
    StatusInline,
    date_column,
)


class AgreementRelationInline(StatusInline):
    model = AgreementRelation
    fk_name = "subject"
    fields = ("kind", "object", "note", "status")
    autocomplete_fields = ("object",)
    verbose_name = _("この協定から他の協定への関係")
    verbose_name_plural = _("他の協定との関係（この協定が…する）")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 40})}}


class AgreementMeetingInline(StatusInline):
    model = MeetingDocument
    fields = ("meeting", "kind", "status")
    autocomplete_fields = ("meeting",)
    verbose_name_plural = _("この文書を扱った会議")


@admin.register(Agreement)
class AgreementAdmin(RegistryAdmin):
    resource_classes = [resources.AgreementResource]
    form = registry_form(Agreement)
    list_display = ("name_ja", "abbreviation", "kind", "signed_display", "in_force_display", "ended_display", "status")
    list_filter = ("status", "kind", "signed_precision", "name_en_basis")
    search_fields = (*NAME_SEARCH, "official_name_ja", "official_name_en")
    autocomplete_fields = ("parties",)
    inlines = (AgreementRelationInline, AgreementMeetingInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "kind", "slug", "status")}),
        (_("正式名称"), {"fields": ("official_name_ja", "official_name_en")}),
        (
            _("当事者と日付"),
            {"fields": ("parties", ("signed", "issued"), ("adopted", "approved"), ("in_force", "ended"), ("period_from", "period_until"))},
        ),
        (_("概要"), {"fields": ("summary_ja", "summary_en")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    signed_display = date_column(Agreement, "signed")
    in_force_display = date_column(Agreement, "in_force")
    ended_display = date_column(Agreement, "ended")


@admin.register(AgreementRelation)
class AgreementRelationAdmin(RegistryAdmin):
    form = registry_form(AgreementRelation)
    resource_classes = [resources.AgreementRelationResource]
    list_display = ("subject", "kind", "object", "status")
    list_filter = ("status", "kind")
    list_select_related = ("subject", "object")
    search_fields = ("subject__name_ja", "subject__slug", "object__name_ja", "object__slug")
    autocomplete_fields = ("subject", "object")
    inlines = (CitationInline,)
    show_full_result_count = False
