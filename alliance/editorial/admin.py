"""The editorial admin: every model, with partial-date inputs, inlines, citations,
import and export, history with revert, and publishing gated by a permission."""

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ImportForm
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    CITABLE,
    CITED_FIELDS,
    Agreement,
    AgreementRelation,
    Body,
    Citation,
    Meeting,
    MeetingDocument,
    Organization,
    Participation,
    Person,
    Post,
    Seat,
    Source,
    Status,
    Tenure,
)
from ..public.search import normalize_query, search_q
from . import resources
from .forms import registry_form
from .publishing import allowed_status, can_publish, may_set_status

NAME_SEARCH = ("slug", "name_ja", "name_en", "abbreviation", "other_names")
MAX_IMPORT_BYTES = 5 * 1024 * 1024


class RegistryImportForm(ImportForm):
    """Only CSV (UTF-8) and XLSX, at most 5 MB, and the file must be what it claims."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.format_classes = formats
        self.fields["import_file"].help_text = _(
            "CSV（UTF-8、Excelでは「CSV UTF-8（コンマ区切り）」で保存）または XLSX、5MBまで。"
            "1行目は列名（エクスポートしたファイルと同じ）。"
        )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        index = cleaned.get("format")
        if upload is None or index in (None, ""):
            return cleaned
        fmt = self.format_classes[int(index)]
        name = (upload.name or "").lower()
        if upload.size == 0:
            raise forms.ValidationError({"import_file": _("ファイルが空です。")})
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError({"import_file": _("ファイルが大きすぎます（5MBまで）。分けて取り込んでください。")})
        head = upload.read(4)
        upload.seek(0)
        is_zip = head == b"PK\x03\x04"
        if fmt.__name__ == "RegistryXLSX":
            if not name.endswith(".xlsx") or not is_zip:
                raise forms.ValidationError({"import_file": _("XLSX形式のファイルではありません。形式の選択とファイルを確かめてください。")})
        else:
            if is_zip or not name.endswith(".csv"):
                raise forms.ValidationError({"import_file": _("CSV形式のファイルではありません。形式の選択とファイルを確かめてください。")})
            data = upload.read()
            upload.seek(0)
            try:
                data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(
                    {"import_file": _("文字コードがUTF-8ではありません（Shift_JISなど）。Excelでは「CSV UTF-8（コンマ区切り）」で保存し直してください。")}
                ) from None
        return cleaned


class HistoryImportExportAdmin(ImportExportModelAdmin, SimpleHistoryAdmin):
    """Import/export (CSV, XLSX) with a dry-run preview; history of every change, with revert.

    No full COUNT(*) on every changelist page, since tables grow large.
    """

    show_full_result_count = False
    save_on_top = True
    import_form_class = RegistryImportForm
    import_formats = resources.FORMATS
    export_formats = resources.FORMATS

    def get_search_results(self, request, queryset, search_term):
        """Search through the trigram-indexed search_text, as the public site does (and so do
        the autocomplete boxes); an exact slug matches too."""
        if search_term.strip() and any(f.name == "search_text" for f in self.model._meta.get_fields()):
            condition = Q(slug=search_term.strip()) | search_q(normalize_query(search_term))
            return queryset.filter(condition), False
        return super().get_search_results(request, queryset, search_term)

    def get_fieldsets(self, request, obj=None):
        """The model's fieldsets, then the reason for the change, which the history keeps."""
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            names = [f for f in options["fields"] if f != "change_reason"]
            fieldsets.append((name, {**options, "fields": names}))
        return [*fieldsets, (_("変更の記録"), {"fields": ("change_reason",)})]

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("change_reason") if hasattr(form, "cleaned_data") else ""
        if reason:
            obj._change_reason = reason
        super().save_model(request, obj, form, change)


class RegistryAdmin(HistoryImportExportAdmin):
    """For records with a status: editors write drafts; publishing needs the publish permission."""

    actions = ["publish", "unpublish"]

    def has_publish_permission(self, request):
        return can_publish(request.user, self.model)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            readonly.append("status")
        return readonly

    def save_model(self, request, obj, form, change):
        if not may_set_status(request.user, obj):
            # A revert to a version with another status would publish or hide it.
            obj.status = allowed_status(request.user, obj)
            self.message_user(request, _("公開状態は変更していません（公開担当の権限が必要です）。"), messages.WARNING)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("選択した記録を公開する"), permissions=["publish"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Status.PUBLISHED, _("一括公開"))

    @admin.action(description=_("選択した記録を非公開（下書き）に戻す"), permissions=["publish"])
    def unpublish(self, request, queryset):
        self._set_status(request, queryset, Status.DRAFT, _("一括非公開"))

    def _set_status(self, request, queryset, status, reason):
        changed = 0
        with transaction.atomic():
            for obj in queryset.select_for_update(of=("self",)).exclude(status=status):
                obj.status = status
                obj._change_reason = str(reason)
                obj._history_user = request.user
                obj.save(update_fields=["status"])
                changed += 1
        self.message_user(request, _("%(n)d 件を「%(status)s」にしました。") % {"n": changed, "status": Status(status).label})


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


def citation_record_paths():
    """select_related paths for every cited record and what its label (str) reads."""
    paths = []
    for entry in CITABLE:
        related = getattr(entry.model, "label_related", ())
        paths += [f"{entry.cited_as}__{name}" for name in related] or [entry.cited_as]
    return paths


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
class SourceAdmin(HistoryImportExportAdmin):
    form = registry_form(Source)
    resource_classes = [resources.SourceResource]
    list_display = ("slug", "title_ja", "edition", "year", "publisher_ja", "file_name")
    list_filter = ("publisher_ja", "year")
    search_fields = ("slug", "title_ja", "title_en", "part", "file_name")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("slug", ("title_ja", "title_en"), ("publisher_ja", "publisher_en"), ("edition", "year"))}),
        (_("本文"), {"fields": ("part", "file_name", "url", "licence")}),
    )


@admin.register(Citation)
class CitationAdmin(HistoryImportExportAdmin):
    form = registry_form(Citation)
    resource_classes = [resources.CitationResource]
    list_display = ("source", "locator", "quote_excerpt", "cited_record", "field")
    list_filter = ("source",)
    search_fields = ("quote", "locator", "key")
    autocomplete_fields = ("source", *CITED_FIELDS)
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("source", "locator", "quote", "field")}),
        (_("根拠づける記録（ちょうど一つ）"), {"fields": CITED_FIELDS}),
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
        return super().get_queryset(request).select_related("source", *citation_record_paths())


# --- organizations, posts, people ------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(RegistryAdmin):
    resource_classes = [resources.OrganizationResource]
    form = registry_form(Organization)
    list_display = ("name_ja", "abbreviation", "name_en", "kind", "country", "parent", "status")
    list_filter = ("status", "country", "kind", "name_en_basis")
    list_select_related = ("parent",)
    search_fields = NAME_SEARCH
    autocomplete_fields = ("parent",)
    inlines = (CitationInline,)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "slug", "status")}),
        (_("位置づけ"), {"fields": (("kind", "country"), "parent")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )


class TenureInline(registry_inline(Tenure)):
    fields = ("post", "person", "start", "end", "slug", "status")
    autocomplete_fields = ("post", "person")


@admin.register(Post)
class PostAdmin(RegistryAdmin):
    resource_classes = [resources.PostResource]
    form = registry_form(Post)
    list_display = ("name_ja", "name_en", "organization", "country", "status")
    list_filter = ("status", "country", "name_en_basis")
    list_select_related = ("organization",)
    search_fields = NAME_SEARCH
    autocomplete_fields = ("organization",)
    inlines = (TenureInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "slug", "status")}),
        (_("所属"), {"fields": (("organization", "country"),)}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )


@admin.register(Person)
class PersonAdmin(RegistryAdmin):
    resource_classes = [resources.PersonResource]
    form = registry_form(Person)
    list_display = ("name_ja", "name_en", "country", "status")
    list_filter = ("status", "country", "name_en_basis")
    search_fields = ("slug", "name_ja", "name_en", "other_names")
    inlines = (TenureInline, CitationInline)
    fieldsets = (
        (None, {"fields": ("name_ja", "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "country", "slug", "status")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )


@admin.register(Tenure)
class TenureAdmin(RegistryAdmin):
    resource_classes = [resources.TenureResource]
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
        (_("当事者と日付"), {"fields": ("parties", ("signed", "approved"), ("in_force", "ended"))}),
        (_("概要"), {"fields": ("summary_ja", "summary_en")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    signed_display = date_column(Agreement, "signed")
    in_force_display = date_column(Agreement, "in_force")
    ended_display = date_column(Agreement, "ended")


@admin.register(AgreementRelation)
class AgreementRelationAdmin(HistoryImportExportAdmin):
    form = registry_form(AgreementRelation)
    resource_classes = [resources.AgreementRelationResource]
    list_display = ("subject", "kind", "object")
    list_filter = ("kind",)
    list_select_related = ("subject", "object")
    search_fields = ("subject__name_ja", "subject__slug", "object__name_ja", "object__slug")
    autocomplete_fields = ("subject", "object")
    inlines = (CitationInline,)
    show_full_result_count = False


# --- bodies and seats ------------------------------------------------------------


class SeatInline(registry_inline(Seat)):
    fields = ("side", "post", "organization", "person", "role", "role_en", "level", "as_needed", "position", "start", "end", "slug", "status")
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
    resource_classes = [resources.BodyResource]
    form = registry_form(Body)
    list_display = ("name_ja", "abbreviation", "kind", "level", "parent", "established_display", "status")
    list_filter = ("status", "kind", "level", "name_en_basis")
    list_select_related = ("parent",)
    search_fields = (*NAME_SEARCH, "purpose_ja", "purpose_en")
    autocomplete_fields = ("parent", "legal_basis", "established_at", "predecessor")
    inlines = (SeatInline, SubBodyInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "slug", "status")}),
        (_("位置づけ"), {"fields": (("kind", "level"), "parent", "purpose_ja", "purpose_en")}),
        (
            _("設置と変遷"),
            {
                "fields": (
                    ("established", "ended"),
                    ("legal_basis", "legal_basis_article", "legal_basis_article_en"),
                    "established_at",
                    "establishment_note",
                    "predecessor",
                )
            },
        ),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    established_display = date_column(Body, "established")


@admin.register(Seat)
class SeatAdmin(RegistryAdmin):
    resource_classes = [resources.SeatResource]
    form = registry_form(Seat)
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
        (_("役割"), {"fields": (("role", "role_en", "level"), "as_needed", "position", ("start", "end"), "note")}),
    )

    @admin.display(description=_("構成員"))
    def member_label(self, obj):
        return obj.member_label()


# --- meetings --------------------------------------------------------------------


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    fields = ("position", "side", "person", "post", "organization", "name_text", "role", "role_en")
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
    resource_classes = [resources.MeetingResource]
    form = registry_form(Meeting)
    list_display = ("name_ja", "body", "kind", "start_display", "session_number", "place_ja", "status")
    ordering = ("-start_date", "-id")  # the meeting_admin_order index
    list_filter = ("status", "kind", "start_precision", "name_en_basis")
    list_select_related = ("body",)
    search_fields = (*NAME_SEARCH, "place_ja", "place_en", "summary_ja", "summary_en")
    autocomplete_fields = ("body",)
    inlines = (ParticipationInline, MeetingDocumentInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "slug", "status")}),
        (_("会議"), {"fields": (("body", "kind"), "session_number", ("start", "end"), ("place_ja", "place_en"))}),
        (_("内容"), {"fields": ("summary_ja", "summary_en", "outcomes_ja", "outcomes_en")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    start_display = date_column(Meeting, "start")


@admin.register(Participation)
class ParticipationAdmin(HistoryImportExportAdmin):
    form = registry_form(Participation)
    resource_classes = [resources.ParticipationResource]
    list_display = ("meeting", "position", "side", "person", "post", "organization", "name_text", "role")
    list_filter = ("side",)
    list_select_related = ("meeting", "person", "post", "organization")
    search_fields = ("meeting__name_ja", "meeting__slug", "person__name_ja", "post__name_ja", "name_text")
    autocomplete_fields = ("meeting", "person", "post", "organization")
    inlines = (CitationInline,)
    show_full_result_count = False


@admin.register(MeetingDocument)
class MeetingDocumentAdmin(HistoryImportExportAdmin):
    form = registry_form(MeetingDocument)
    resource_classes = [resources.MeetingDocumentResource]
    list_display = ("meeting", "kind", "agreement")
    list_filter = ("kind",)
    list_select_related = ("meeting", "agreement")
    search_fields = ("meeting__name_ja", "meeting__slug", "agreement__name_ja", "agreement__slug")
    autocomplete_fields = ("meeting", "agreement")
    inlines = (CitationInline,)
    show_full_result_count = False


def quality_report_view(request):
    """The quality report: what editors should look at, each item linking to its record."""
    from django.template.response import TemplateResponse

    from .quality import report

    context = {**admin.site.each_context(request), "title": _("品質レポート"), "sections": report()}
    return TemplateResponse(request, "alliance/admin/quality.html", context)


admin.site.index_template = "alliance/admin/index.html"
