"""The editorial admin: every model, with partial-date inputs, inlines, citations,
import and export, history with revert, and publishing gated by a permission."""

from django import forms
from django.contrib import admin, messages
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ConfirmImportForm, ImportForm
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    CITABLE,
    CITED_FIELDS,
    Agreement,
    AgreementRelation,
    Body,
    BodyLink,
    Citation,
    Event,
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
from . import resources as resources_module
from .forms import registry_form
from .publishing import allowed_status, can_publish, may_set_status

NAME_SEARCH = ("slug", "name_ja", "name_en", "abbreviation", "other_names")


class RegistryImportForm(ImportForm):
    """Only CSV (UTF-8) and XLSX within the import limits, and the file must be what it claims."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.format_classes = formats
        self.fields["import_file"].help_text = _(
            "CSV（UTF-8、Excelでは「CSV UTF-8（コンマ区切り）」で保存）または XLSX、5MB・%(rows)s行まで。"
            "1行目は列名（エクスポートしたファイルと同じ）。"
        ) % {"rows": f"{resources_module.MAX_IMPORT_ROWS:,}"}

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        index = cleaned.get("format")
        if upload is None or index in (None, ""):
            return cleaned
        fmt = self.format_classes[int(index)]
        if upload.size > resources_module.MAX_IMPORT_BYTES:
            raise forms.ValidationError({"import_file": resources_module.TOO_LARGE})
        data = upload.read()
        upload.seek(0)
        try:
            resources_module.check_import_file(upload.name or "", data, xlsx=fmt.__name__ == "RegistryXLSX")
        except resources_module.ImportFileError as exc:
            raise forms.ValidationError({"import_file": str(exc)}) from None
        return cleaned


class RegistryConfirmForm(ConfirmImportForm):
    """The confirmation step: the temporary file's name must be one the preview made (it
    cannot name any other file), and the preview's outcome travels along so that the
    confirmation can tell when the data changed in between."""

    preview_digest = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_import_file_name(self):
        name = self.cleaned_data["import_file_name"]
        if not resources_module.valid_tmp_name(name):
            raise forms.ValidationError(_("取込ファイルの指定が正しくありません。もう一度ファイルを選んでください。"))
        return name


class HistoryImportExportAdmin(ImportExportModelAdmin, SimpleHistoryAdmin):
    """Import/export (CSV, XLSX) with a dry-run preview; history of every change, with revert.

    No full COUNT(*) on every changelist page, since tables grow large.
    """

    show_full_result_count = False
    save_on_top = True
    import_form_class = RegistryImportForm
    confirm_form_class = RegistryConfirmForm
    import_formats = resources.FORMATS
    export_formats = resources.FORMATS
    tmp_storage_class = resources.RegistryTmpStorage

    def get_import_data_kwargs(self, **kwargs):
        """Every row or none, at the preview and at the confirmation: a row that fails
        rolls the whole import back. The confirmation carries the preview's outcome."""
        form = kwargs.get("form")
        extra = {"rollback_on_validation_errors": True}
        if isinstance(form, RegistryConfirmForm):
            extra["preview_digest"] = form.cleaned_data.get("preview_digest") or ""
        return {**super().get_import_data_kwargs(**kwargs), **extra}

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if context.get("confirm_form") is not None and context.get("result") is not None:
            context["confirm_form"].initial["preview_digest"] = resources.outcome_digest(context["result"])
        return response

    def process_result(self, result, request):
        """A confirmation that did not write every row says so, and wrote nothing."""
        if result.has_errors() or result.has_validation_errors():
            reasons = [str(error.error) for error in result.base_errors]
            for row in result.invalid_rows:
                for field, messages_ in row.error_dict.items():
                    reasons.append(f"{row.number}: {field}: {' '.join(str(m) for m in messages_)}")
            for number, errors in result.row_errors():
                reasons += [f"{number}: {error.error}" for error in errors]
            self.message_user(
                request,
                _("取り込んでいません（1行も書き込んでいません）。プレビューの後にデータが変わったか、行に誤りがあります: %(reasons)s")
                % {"reasons": " / ".join(reasons[:10])},
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        return super().process_result(result, request)

    def get_search_results(self, request, queryset, search_term):
        """Search through the trigram-indexed search_text, as the public site does (and so do
        the autocomplete boxes); an exact slug matches too."""
        if search_term.strip() and any(f.name == "search_text" for f in self.model._meta.get_fields()):
            condition = Q(slug=search_term.strip()) | search_q(normalize_query(search_term))
            return queryset.filter(condition), False
        return super().get_search_results(request, queryset, search_term)

    def get_fieldsets(self, request, obj=None):
        """The model's fieldsets, then the reason for the change, which the history keeps
        (with the hidden fingerprint that detects a conflicting edit)."""
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            names = [f for f in options["fields"] if f not in ("change_reason", "edit_token")]
            fieldsets.append((name, {**options, "fields": names}))
        return [*fieldsets, (_("変更の記録"), {"fields": ("change_reason", "edit_token")})]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Two editors adding the same slug (or attendee number) at once: the second save
        hits the unique constraint after its form validated. Validate once more, now that
        the first row exists, so the clash is shown as a form error, not a 500."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError:
            if getattr(request, "_retried_after_integrity_error", False):
                raise
            request._retried_after_integrity_error = True
            return super().changeform_view(request, object_id, form_url, extra_context)

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

    def save_formset(self, request, form, formset, change):
        """Inline rows with a status (seats on a body, tenures on a person or post) obey the
        same rule as the record's own form: only a publisher changes what the public sees."""
        instances = formset.save(commit=False)
        refused = False
        for obj in instances:
            if hasattr(obj, "status") and not may_set_status(request.user, obj):
                obj.status = allowed_status(request.user, obj)
                refused = True
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()
        if refused:
            self.message_user(request, _("公開状態は変更していません（公開担当の権限が必要です）。"), messages.WARNING)

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


class StatusInline(admin.TabularInline):
    """An inline of records with a status: the status is read-only to whoever may not publish."""

    extra = 0

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not can_publish(request.user, self.model):
            readonly.append("status")
        return readonly


def registry_inline(model, base=StatusInline):
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
    list_filter = ("status", "country", "kind")
    list_select_related = ("parent",)
    search_fields = NAME_SEARCH
    autocomplete_fields = ("parent",)
    inlines = (CitationInline,)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "name_en", "other_names", "slug", "status")}),
        (_("位置づけ"), {"fields": (("kind", "country"), "parent", ("established", "ended"))}),
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
    resource_classes = [resources.PersonResource]
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
    list_filter = ("status", "kind", "signed_precision")
    search_fields = (*NAME_SEARCH, "official_name_ja", "official_name_en")
    autocomplete_fields = ("parties",)
    inlines = (AgreementRelationInline, AgreementMeetingInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "name_en", "other_names", "kind", "slug", "status")}),
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
    fields = ("side", "post", "organization", "person", "role", "level", "as_needed", "position", "start", "end", "slug", "status")
    autocomplete_fields = ("post", "organization", "person")
    verbose_name_plural = _("構成員（席）— 役職・組織・人物のどれか一つ")


class BodyLinkInline(registry_inline(BodyLink)):
    fk_name = "from_body"
    fields = ("kind", "to_body", "label_ja", "start", "end", "slug", "status")
    autocomplete_fields = ("to_body",)
    verbose_name_plural = _("他の協議体との関係（この協議体が…）")


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
    list_filter = ("status", "kind", "level")
    list_select_related = ("parent",)
    search_fields = (*NAME_SEARCH, "purpose_ja", "purpose_en")
    autocomplete_fields = ("parent", "legal_basis", "established_at", "predecessor")
    inlines = (SeatInline, BodyLinkInline, SubBodyInline, CitationInline)
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


@admin.register(BodyLink)
class BodyLinkAdmin(RegistryAdmin):
    resource_classes = [resources.BodyLinkResource]
    form = registry_form(BodyLink)
    list_display = ("from_body", "kind", "to_body", "label_ja", "start_display", "status")
    list_filter = ("status", "kind")
    list_select_related = ("from_body", "to_body")
    search_fields = ("slug", "label_ja", "from_body__name_ja", "from_body__abbreviation", "to_body__name_ja", "to_body__abbreviation")
    autocomplete_fields = ("from_body", "to_body")
    inlines = (CitationInline,)
    fieldsets = (
        (None, {"fields": (("from_body", "kind", "to_body"), ("label_ja", "label_en"), ("start", "end"), "slug", "status")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    start_display = date_column(BodyLink, "start")


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
    resource_classes = [resources.MeetingResource]
    form = registry_form(Meeting)
    list_display = ("name_ja", "body", "kind", "start_display", "session_number", "place_ja", "status")
    ordering = ("-start_date", "-id")  # the meeting_admin_order index
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


@admin.register(Event)
class EventAdmin(RegistryAdmin):
    resource_classes = [resources.EventResource]
    form = registry_form(Event)
    list_display = ("name_ja", "kind", "start_display", "end_display", "place_ja", "status")
    ordering = ("start_date", "id")
    list_filter = ("status", "kind", "start_precision")
    search_fields = (*NAME_SEARCH, "place_ja", "place_en", "summary_ja", "summary_en")
    autocomplete_fields = ("part_of", "bodies", "organizations", "people", "agreements", "meetings")
    inlines = (CitationInline,)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "name_en", "other_names", "slug", "status")}),
        (_("出来事"), {"fields": ("kind", ("start", "end"), ("place_ja", "place_en"), "part_of")}),
        (_("関わったもの"), {"fields": ("bodies", "organizations", "people", "agreements", "meetings")}),
        (_("内容"), {"fields": ("summary_ja", "summary_en")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    start_display = date_column(Event, "start")
    end_display = date_column(Event, "end")


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
