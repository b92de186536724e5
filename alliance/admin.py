"""The editorial admin: every model, with partial-date inputs, inlines and citations."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from .forms import registry_form
from .models import (
    Agreement,
    AgreementRelation,
    Body,
    Citation,
    Meeting,
    MeetingDocument,
    Membership,
    Organization,
    Participation,
    Person,
    Post,
    Source,
    Tenure,
)

NAME_SEARCH = ("slug", "name_ja", "name_en", "abbreviation", "other_names")


class RegistryAdmin(admin.ModelAdmin):
    """No full COUNT(*) on every changelist page: tables grow large."""

    show_full_result_count = False
    save_on_top = True


def registry_inline(model, base=admin.TabularInline):
    return type(f"{model.__name__}InlineBase", (base,), {"model": model, "form": registry_form(model), "extra": 0})


def date_column(model, name):
    field = model._meta.get_field(f"{name}_date")

    def column(self, obj):
        value = getattr(obj, name)
        return value.iso() if value else "—"

    column.short_description = field.verbose_name
    column.admin_order_field = f"{name}_date"
    column.__name__ = f"{name}_display"
    return column


class CitationInline(admin.StackedInline):
    model = Citation
    extra = 0
    fields = (("source", "locator", "field"), "quote")
    autocomplete_fields = ("source",)
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 90})}}
    verbose_name = _("出典")
    verbose_name_plural = _("出典（資料・箇所・引用）")


# --- sources and citations -------------------------------------------------------


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("slug", "title_ja", "edition", "year", "publisher_ja", "file_name")
    list_filter = ("publisher_ja", "year")
    search_fields = ("slug", "title_ja", "title_en", "part", "file_name")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("slug", ("title_ja", "title_en"), ("publisher_ja", "publisher_en"), ("edition", "year"))}),
        (_("本文"), {"fields": ("part", "file_name", "url", "licence")}),
    )


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    list_display = ("source", "locator", "quote_excerpt", "cited_record", "field")
    list_filter = ("source",)
    search_fields = ("quote", "locator", "key")
    autocomplete_fields = (
        "source",
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
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("source", "locator", "quote", "field")}),
        (
            _("根拠づける記録（ちょうど一つ）"),
            {
                "fields": (
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
            },
        ),
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
        return super().get_queryset(request).select_related(
            "source",
            "agreement",
            "agreement_relation__subject",
            "agreement_relation__object",
            "body",
            "organization",
            "post",
            "person",
            "tenure__post",
            "tenure__person",
            "membership__body",
            "membership__post",
            "membership__organization",
            "membership__person",
            "meeting",
            "participation__meeting",
            "participation__person",
            "participation__post",
            "participation__organization",
            "meeting_document__meeting",
            "meeting_document__agreement",
        )


# --- organizations, posts, people ------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(RegistryAdmin):
    form = registry_form(Organization)
    list_display = ("name_ja", "abbreviation", "name_en", "kind", "country", "parent", "status")
    list_filter = ("status", "country", "kind")
    list_select_related = ("parent",)
    search_fields = NAME_SEARCH
    autocomplete_fields = ("parent",)
    inlines = (CitationInline,)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "name_en", "other_names", "slug", "status")}),
        (_("位置づけ"), {"fields": (("kind", "country"), "parent")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )


class TenureInline(registry_inline(Tenure)):
    fields = ("post", "person", "start", "end", "slug", "status")
    autocomplete_fields = ("post", "person")


@admin.register(Post)
class PostAdmin(RegistryAdmin):
    form = registry_form(Post)
    list_display = ("name_ja", "name_en", "organization", "country", "status")
    list_filter = ("status", "country")
    list_select_related = ("organization",)
    search_fields = NAME_SEARCH
    autocomplete_fields = ("organization",)
    inlines = (TenureInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "name_en", "other_names", "slug", "status")}),
        (_("所属"), {"fields": (("organization", "country"),)}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )


@admin.register(Person)
class PersonAdmin(RegistryAdmin):
    form = registry_form(Person)
    list_display = ("name_ja", "name_en", "country", "status")
    list_filter = ("status", "country")
    search_fields = ("slug", "name_ja", "name_en", "other_names")
    inlines = (TenureInline, CitationInline)
    fieldsets = (
        (None, {"fields": ("name_ja", "name_en", "other_names", "country", "slug", "status")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )


@admin.register(Tenure)
class TenureAdmin(RegistryAdmin):
    form = registry_form(Tenure)
    list_display = ("post", "person", "start_display", "end_display", "status")
    list_filter = ("status", "post__country")
    list_select_related = ("post", "person")
    search_fields = ("slug", "post__name_ja", "post__name_en", "person__name_ja", "person__name_en")
    autocomplete_fields = ("post", "person")
    inlines = (CitationInline,)
    fieldsets = ((None, {"fields": ("post", "person", ("start", "end"), "slug", "status", "note")}),)
    start_display = date_column(Tenure, "start")
    end_display = date_column(Tenure, "end")


# --- agreements ------------------------------------------------------------------


class AgreementRelationInline(admin.TabularInline):
    model = AgreementRelation
    fk_name = "subject"
    extra = 0
    fields = ("kind", "object", "note")
    autocomplete_fields = ("object",)
    verbose_name = _("この協定から他の協定への関係")
    verbose_name_plural = _("他の協定との関係（この協定が…する）")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 40})}}


class AgreementMeetingInline(admin.TabularInline):
    model = MeetingDocument
    extra = 0
    fields = ("meeting", "kind")
    autocomplete_fields = ("meeting",)
    verbose_name_plural = _("この文書を扱った会議")


@admin.register(Agreement)
class AgreementAdmin(RegistryAdmin):
    form = registry_form(Agreement)
    list_display = ("name_ja", "abbreviation", "kind", "signed_display", "in_force_display", "ended_display", "status")
    list_filter = ("status", "kind", "signed_precision")
    search_fields = (*NAME_SEARCH, "official_name_ja", "official_name_en")
    autocomplete_fields = ("parties",)
    inlines = (AgreementRelationInline, AgreementMeetingInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "name_en", "other_names", "kind", "slug", "status")}),
        (_("正式名称"), {"fields": ("official_name_ja", "official_name_en")}),
        (_("当事者と日付"), {"fields": ("parties", ("signed", "approved"), ("in_force", "ended"))}),
        (_("概要"), {"fields": ("summary_ja", "summary_en")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    signed_display = date_column(Agreement, "signed")
    in_force_display = date_column(Agreement, "in_force")
    ended_display = date_column(Agreement, "ended")


@admin.register(AgreementRelation)
class AgreementRelationAdmin(admin.ModelAdmin):
    list_display = ("subject", "kind", "object")
    list_filter = ("kind",)
    list_select_related = ("subject", "object")
    search_fields = ("subject__name_ja", "subject__slug", "object__name_ja", "object__slug")
    autocomplete_fields = ("subject", "object")
    inlines = (CitationInline,)
    show_full_result_count = False


# --- bodies and seats ------------------------------------------------------------


class MembershipInline(registry_inline(Membership)):
    fields = ("side", "post", "organization", "person", "role", "level", "as_needed", "position", "start", "end", "slug", "status")
    autocomplete_fields = ("post", "organization", "person")
    verbose_name_plural = _("構成員（席）— 役職・組織・人物のどれか一つ")


class SubBodyInline(admin.TabularInline):
    model = Body
    fk_name = "parent"
    extra = 0
    fields = ("name_ja", "abbreviation", "kind", "level", "status")
    show_change_link = True
    can_delete = False
    verbose_name_plural = _("下位の枠組み")

    def has_add_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


@admin.register(Body)
class BodyAdmin(RegistryAdmin):
    form = registry_form(Body)
    list_display = ("name_ja", "abbreviation", "kind", "level", "parent", "established_display", "status")
    list_filter = ("status", "kind", "level")
    list_select_related = ("parent",)
    search_fields = (*NAME_SEARCH, "purpose_ja", "purpose_en")
    autocomplete_fields = ("parent", "legal_basis", "established_at", "predecessor")
    inlines = (MembershipInline, SubBodyInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "name_en", "other_names", "slug", "status")}),
        (_("位置づけ"), {"fields": (("kind", "level"), "parent", "purpose_ja", "purpose_en")}),
        (
            _("設置と変遷"),
            {
                "fields": (
                    ("established", "ended"),
                    ("legal_basis", "legal_basis_article"),
                    "established_at",
                    "establishment_note",
                    "predecessor",
                )
            },
        ),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    established_display = date_column(Body, "established")


@admin.register(Membership)
class MembershipAdmin(RegistryAdmin):
    form = registry_form(Membership)
    list_display = ("body", "side", "member_label", "role", "level", "as_needed", "status")
    list_filter = ("status", "side", "level", "as_needed", "body__kind")
    list_select_related = ("body", "post", "organization", "person")
    search_fields = (
        "slug",
        "role",
        "body__name_ja",
        "body__abbreviation",
        "post__name_ja",
        "organization__name_ja",
        "person__name_ja",
    )
    autocomplete_fields = ("body", "post", "organization", "person")
    inlines = (CitationInline,)
    fieldsets = (
        (None, {"fields": ("body", "side", "slug", "status")}),
        (_("席を占めるもの（ちょうど一つ）"), {"fields": ("post", "organization", "person")}),
        (_("役割"), {"fields": (("role", "level"), "as_needed", "position", ("start", "end"), "note")}),
    )

    @admin.display(description=_("構成員"))
    def member_label(self, obj):
        return obj.member_label()


# --- meetings --------------------------------------------------------------------


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    fields = ("position", "side", "person", "post", "organization", "name_text", "role")
    autocomplete_fields = ("person", "post", "organization")
    verbose_name_plural = _("出席者")


class MeetingDocumentInline(admin.TabularInline):
    model = MeetingDocument
    extra = 0
    fields = ("agreement", "kind")
    autocomplete_fields = ("agreement",)
    verbose_name_plural = _("署名・承認・発出された文書")


@admin.register(Meeting)
class MeetingAdmin(RegistryAdmin):
    form = registry_form(Meeting)
    list_display = ("name_ja", "body", "kind", "start_display", "session_number", "place_ja", "status")
    list_filter = ("status", "kind", "start_precision")
    list_select_related = ("body",)
    search_fields = (*NAME_SEARCH, "place_ja", "place_en", "summary_ja", "summary_en")
    autocomplete_fields = ("body",)
    inlines = (ParticipationInline, MeetingDocumentInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "name_en", "other_names", "slug", "status")}),
        (_("会議"), {"fields": (("body", "kind"), "session_number", ("start", "end"), ("place_ja", "place_en"))}),
        (_("内容"), {"fields": ("summary_ja", "summary_en", "outcomes_ja", "outcomes_en")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    start_display = date_column(Meeting, "start")


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ("meeting", "position", "side", "person", "post", "organization", "name_text", "role")
    list_filter = ("side",)
    list_select_related = ("meeting", "person", "post", "organization")
    search_fields = ("meeting__name_ja", "meeting__slug", "person__name_ja", "post__name_ja", "name_text")
    autocomplete_fields = ("meeting", "person", "post", "organization")
    inlines = (CitationInline,)
    show_full_result_count = False


@admin.register(MeetingDocument)
class MeetingDocumentAdmin(admin.ModelAdmin):
    list_display = ("meeting", "kind", "agreement")
    list_filter = ("kind",)
    list_select_related = ("meeting", "agreement")
    search_fields = ("meeting__name_ja", "meeting__slug", "agreement__name_ja", "agreement__slug")
    autocomplete_fields = ("meeting", "agreement")
    inlines = (CitationInline,)
    show_full_result_count = False
