"""The editorial admin: every model, with partial-date inputs, inlines, citations,
import and export, history with revert, and publishing gated by a permission."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ConfirmImportForm, ImportForm, SelectableFieldsExportForm
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

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
    Revision,
    Seat,
    Source,
    Status,
    Tenure,
)
from ..public.search import normalize_query, search_q
from . import resources
from . import resources as resources_module
from .forms import registry_form
from .publishing import (
    PublishPlan,
    RevisionConflict,
    allowed_status,
    apply_revision,
    can_publish,
    may_set_status,
    needs_review,
    propose,
    publish_with_dependencies,
    reject_revision,
    revision_diff,
    stored_status,
)

NAME_SEARCH = ("slug", "name_ja", "name_en", "abbreviation", "other_names")


class RegistryImportForm(ImportForm):
    """Only CSV (UTF-8) and XLSX within the import limits, and the file must be what it claims."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.format_classes = formats
        self.fields["resource"].label = _("取込の種類")
        self.fields["format"].label = _("形式")
        self.fields["import_file"].label = _("取り込むファイル")
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


class RegistryExportForm(SelectableFieldsExportForm):
    """The export's column choices named as the form names them (名称（日本語）), with the
    file's column name beside, instead of "Name Ja"."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["resource"].label = _("書き出しの種類")
        self.fields["format"].label = _("形式")

    def _get_field_label(self, resource, field_name):
        model = resource._meta.model
        field = resource.fields.get(field_name)
        column = field.column_name if field else field_name
        attribute = (field.attribute if field else None) or field_name
        for name in (attribute, f"{attribute}_date"):
            try:
                label = model._meta.get_field(name).verbose_name
            except FieldDoesNotExist:
                continue
            return f"{label} ({column})"
        return column


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


def _line(number) -> str:
    return _("%(line)s行目") % {"line": number + 1}


class LabelledHistoryHelper(HistoricalRecordContextHelper):
    """History diffs in words: a choice's label (公開, 日), not its stored value."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if getattr(field, "choices", None) and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value) if value not in (None, "") else "—"
        return super().prepare_delta_change_value(change, value)


class HistoryImportExportAdmin(ImportExportModelAdmin, SimpleHistoryAdmin):
    """Import/export (CSV, XLSX) with a dry-run preview; history of every change, with revert.

    No full COUNT(*) on every changelist page, since tables grow large.
    """

    show_full_result_count = False
    save_on_top = True
    import_form_class = RegistryImportForm
    export_form_class = RegistryExportForm
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
        if context:
            context["title"] = _("%(name)sの取込") % {"name": self.opts.verbose_name_plural}
        if context.get("result") is not None:
            context["warnings"] = any(getattr(row, "warnings", None) for row in context["result"].rows)
        if context.get("confirm_form") is not None and context.get("result") is not None:
            context["confirm_form"].initial["preview_digest"] = resources.outcome_digest(context["result"])
        return response

    def export_action(self, request):
        response = super().export_action(request)
        context = getattr(response, "context_data", None)
        if context:
            context["title"] = _("%(name)sの書き出し") % {"name": self.opts.verbose_name_plural}
        return response

    def add_success_message(self, result, request):
        totals = result.totals
        messages.success(
            request,
            _("取込が終わりました（%(name)s）: 新規 %(new)d 件、更新 %(update)d 件、削除 %(delete)d 件、変更なし %(skip)d 件。")
            % {"name": self.opts.verbose_name_plural, "new": totals["new"], "update": totals["update"],
               "delete": totals["delete"], "skip": totals["skip"]},
        )

    def get_historical_record_context_helper(self, request, historical_record):
        return LabelledHistoryHelper(self.model, historical_record)

    def history_view_title(self, request, obj):
        return _("変更の履歴: %(record)s") % {"record": obj}

    def history_form_view_title(self, request, obj):
        return _("この時点に戻す: %(record)s") % {"record": obj}

    def process_result(self, result, request):
        """A confirmation that did not write every row says so, and wrote nothing."""
        if result.has_errors() or result.has_validation_errors():
            reasons = [str(error.error) for error in result.base_errors]
            # The file's line: the header is line 1, the first data row line 2.
            for row in result.invalid_rows:
                for field, messages_ in row.error_dict.items():
                    reasons.append(f"{_line(row.number)}: {field}: {' '.join(str(m) for m in messages_)}")
            for number, errors in result.row_errors():
                reasons += [f"{_line(number)}: {error.error}" for error in errors]
            self.message_user(
                request,
                _("取り込んでいません（1行も書き込んでいません）。プレビューの後にデータが変わったか、行に誤りがあります: %(reasons)s")
                % {"reasons": " / ".join(reasons[:10])},
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        proposed = [row.instance for row in result.rows if getattr(row.instance, "_alliance_proposed", False)]
        if proposed:
            self.message_user(
                request,
                _("公開中の記録への変更 %(n)d 件は、書き込まずに公開担当の確認待ちの修正案にしました。") % {"n": len(proposed)},
                messages.WARNING,
            )
        return super().process_result(result, request)

    def get_search_results(self, request, queryset, search_term):
        """Search through the trigram-indexed search_text, as the public site does (and so do
        the autocomplete boxes); an exact slug matches too."""
        if search_term.strip() and any(f.name == "search_text" for f in self.model._meta.get_fields()):
            # The search as a subquery: OR-ed straight with the slug, its index lookup
            # would be re-checked row by row, computing every row's pieces again.
            found = self.model._default_manager.filter(search_q(normalize_query(search_term))).values("pk")
            condition = Q(slug=search_term.strip()) | Q(pk__in=found)
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

    class Media:
        css = {"all": ("alliance/admin.css",)}

    actions = ["publish", "unpublish"]

    def has_publish_permission(self, request):
        return can_publish(request.user, self.model)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            readonly.append("status")
        if self._shows_dependencies(request, obj):
            readonly.append("draft_dependencies")
        return readonly

    def _shows_dependencies(self, request, obj):
        return obj is not None and obj.status == Status.DRAFT and self.has_publish_permission(request)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        named = {name for _label, options in fieldsets for line in options["fields"] for name in (line if isinstance(line, tuple | list) else (line,))}
        if self._shows_dependencies(request, obj) and "draft_dependencies" not in named:
            fieldsets = [*fieldsets[:-1], (_("公開"), {"fields": ("draft_dependencies",)}), fieldsets[-1]]
        return fieldsets

    @admin.display(description=_("公開すると一緒に公開される下書き"))
    def draft_dependencies(self, obj):
        plan = PublishPlan(None, [obj])
        if not plan.dependencies:
            return _("なし（この記録だけが公開されます）")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((label,) for label in plan.labels(plan.dependencies))))

    def save_model(self, request, obj, form, change):
        if change and needs_review(request.user, obj):
            # A published record: the editor's change waits for a publisher.
            m2m = {f.name: form.cleaned_data[f.name] for f in obj._meta.many_to_many if f.name in form.cleaned_data}
            reason = form.cleaned_data.get("change_reason", "") if hasattr(form, "cleaned_data") else ""
            self._proposed(request).append(propose(request.user, obj, m2m=m2m, reason=reason, via=str(_("フォーム"))))
            request._alliance_proposing = True
            return
        if not may_set_status(request.user, obj):
            # A revert to a version with another status would publish or hide it.
            obj.status = allowed_status(request.user, obj)
            self.message_user(request, _("公開状態は変更していません（公開担当の権限が必要です）。"), messages.WARNING)
        request._alliance_publishing = obj.status == Status.PUBLISHED and stored_status(obj) != Status.PUBLISHED
        super().save_model(request, obj, form, change)

    @staticmethod
    def _proposed(request) -> list:
        if not hasattr(request, "_alliance_revisions"):
            request._alliance_revisions = []
        return request._alliance_revisions

    def save_related(self, request, form, formsets, change):
        if getattr(request, "_alliance_proposing", False):
            # The record's own many-to-many values went into the revision; its inline rows
            # are saved (or proposed) row by row.
            for formset in formsets:
                self.save_formset(request, form, formset, change=change)
            return
        super().save_related(request, form, formsets, change)
        if getattr(request, "_alliance_publishing", False):
            # Published through the status field: what it needs goes public with it (its
            # inline rows just saved included), or it stays a draft.
            self._publish_dependencies(request, form.instance)

    def _publish_dependencies(self, request, obj):
        plan = PublishPlan(request.user, [obj])
        if not plan.dependencies:
            return
        if not plan.allowed:
            obj.status = Status.DRAFT
            obj._change_reason = str(_("依存する下書きを公開できないため下書きのまま"))
            obj.save(update_fields=["status"])
            self.message_user(request, refusal_message(plan), messages.ERROR)
            return
        publish_with_dependencies(request.user, plan.dependencies, reason=_("%(record)s と一緒に公開") % {"record": obj})
        self.message_user(
            request,
            _("この記録が依存する下書き %(n)d 件も一緒に公開しました: %(list)s")
            % {"n": len(plan.dependencies), "list": "、".join(plan.labels(plan.dependencies))},
            messages.INFO,
        )

    def save_formset(self, request, form, formset, change):
        """Inline rows obey the same rule as the record's own form: a new row an editor
        adds is a draft, and an editor's change to a published row becomes a revision."""
        instances = formset.save(commit=False)
        refused = False
        for obj in instances:
            if needs_review(request.user, obj):
                self._proposed(request).append(propose(request.user, obj, via=str(_("フォーム（一覧内の行）"))))
                continue
            if hasattr(obj, "status") and not may_set_status(request.user, obj):
                obj.status = allowed_status(request.user, obj)
                refused = True
            if isinstance(obj, Participation) and obj.position is None:
                obj.position = Participation.next_position(obj.meeting_id)
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()
        if refused:
            self.message_user(request, _("公開状態は変更していません（公開担当の権限が必要です）。"), messages.WARNING)

    def response_change(self, request, obj):
        revisions = [r for r in getattr(request, "_alliance_revisions", []) if r is not None]
        if revisions:
            self.message_user(
                request,
                _("公開中の記録への変更は、公開担当の確認待ちの修正案（%(ids)s）になりました。確認されるまで公開ページは変わりません。")
                % {"ids": "、".join(f"#{r.pk}" for r in revisions)},
                messages.WARNING,
            )
            return HttpResponseRedirect(request.path)
        if getattr(request, "_alliance_proposing", False):
            self.message_user(request, _("変更はありませんでした。"), messages.INFO)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            pending = Revision.objects.pending().for_record(obj).count()
            if pending:
                self.message_user(
                    request,
                    _("この記録には確認待ちの修正案が %(n)d 件あります（「修正案」の一覧で確認できます）。") % {"n": pending},
                    messages.INFO,
                )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @admin.action(description=_("選択した記録を公開する"), permissions=["publish"])
    def publish(self, request, queryset):
        """Publishes the selection and the drafts it depends on, after a page that lists
        them (or refuses with the list of those the user may not publish)."""
        plan = PublishPlan(request.user, list(queryset))
        if plan.allowed and (not plan.dependencies or request.POST.get("publish_confirmed") == "yes"):
            publish_with_dependencies(request.user, plan.records, reason=_("一括公開"))
            n = len(plan.drafts) + len(plan.dependencies)
            self.message_user(request, _("%(n)d 件を「公開」にしました（依存していた下書きを含む）。") % {"n": n})
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("依存する下書きも公開しますか"),
            "opts": self.opts,
            "plan": plan,
            "drafts": plan.labels(plan.drafts),
            "dependencies": plan.labels(plan.dependencies),
            "refused": plan.labels(plan.refused),
            "selected": [obj.pk for obj in plan.records],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "alliance/admin/publish_confirm.html", context)

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


def refusal_message(plan):
    return _("公開しませんでした。依存する次の下書きを公開する権限がありません: %(list)s") % {
        "list": "、".join(plan.labels(plan.refused))
    }


class StatusInlineMixin:
    """An inline of records with a status: the status is read-only to whoever may not publish."""

    extra = 0

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not can_publish(request.user, self.model):
            readonly.append("status")
        return readonly


class StatusInline(StatusInlineMixin, admin.TabularInline):
    pass


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


class CitationInline(StatusInlineMixin, admin.StackedInline):
    model = Citation
    extra = 0
    fields = (("source", "locator", "field", "status"), "quote")
    autocomplete_fields = ("source",)
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 90})}}
    verbose_name = _("出典")
    verbose_name_plural = _("出典（資料・箇所・引用）")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "locator":
            # A press release is cited as a whole: the usual locator is written in already.
            kwargs["initial"] = _("本文")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class MeetingCitationInline(CitationInline):
    """A meeting's citation may also stand for its attendees and documents: citing a
    meeting from one press release is one row, not one per attendee."""

    fields = (("source", "locator", "field", "status"), "quote", "covers_parts")


# --- sources and citations -------------------------------------------------------


@admin.register(Source)
class SourceAdmin(RegistryAdmin):
    form = registry_form(Source)
    resource_classes = [resources.SourceResource]
    list_display = ("slug", "title_ja", "edition", "issued_or_year", "publisher_ja", "has_text", "status")
    list_filter = ("status", "publisher_ja", "year")
    search_fields = ("slug", "title_ja", "title_en", "part", "file_name")
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 12, "cols": 80})},
    }
    fieldsets = (
        (None, {"fields": (("title_ja", "title_en"), ("publisher_ja", "publisher_en"), ("issued", "year"), "edition", "slug", "status")}),
        (_("本文"), {"fields": ("url", "text", "text_file", "part", "part_en", "licence", "licence_en")}),
        (_("シードデータ"), {"fields": ("file_name",), "classes": ("collapse",)}),
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
    list_display = ("name_ja", "abbreviation", "slug", "kind", "level", "parent", "established_display", "status")
    list_filter = ("status", "kind", "level", "name_en_basis")
    list_select_related = ("parent",)
    search_fields = (*NAME_SEARCH, "purpose_ja", "purpose_en")
    autocomplete_fields = ("parent", "legal_basis", "established_at", "predecessor")
    inlines = (SeatInline, BodyLinkInline, SubBodyInline, CitationInline)
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
        (_("役割"), {"fields": (("role", "role_en", "level"), "as_needed", "position", ("start", "end"), "note")}),
    )

    @admin.display(description=_("構成員"))
    def member_label(self, obj):
        return obj.member_label()


# --- meetings --------------------------------------------------------------------


class ParticipationInlineForm(forms.ModelForm):
    """表示順 may be left blank: the row is numbered after the meeting's last attendee."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["position"].help_text = _("空欄なら末尾に続く番号を振ります。")
        self.fields["position"].widget.attrs.update({"style": "width:4em", "placeholder": _("自動")})
        for name, width in (("name_text", "10em"), ("role", "7em"), ("role_en", "7em")):
            self.fields[name].widget.attrs["style"] = f"width:{width}"


class ParticipationInline(StatusInline):
    model = Participation
    form = ParticipationInlineForm
    fields = ("position", "side", "person", "post", "organization", "name_text", "role", "role_en", "status")
    autocomplete_fields = ("person", "post", "organization")
    verbose_name_plural = _("出席者")


class MeetingDocumentInline(StatusInline):
    model = MeetingDocument
    fields = ("agreement", "kind", "status")
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
    inlines = (ParticipationInline, MeetingDocumentInline, MeetingCitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "slug", "status")}),
        (_("会議"), {"fields": (("body", "kind"), "session_number", ("start", "end"), ("place_ja", "place_en"))}),
        (_("内容"), {"fields": ("summary_ja", "summary_en", "outcomes_ja", "outcomes_en")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    start_display = date_column(Meeting, "start")

    def get_urls(self):
        from django.urls import path

        guided = path("guided/", self.admin_site.admin_view(self.guided_view), name="alliance_meeting_guided")
        return [guided, *super().get_urls()]

    def guided_view(self, request):
        """One page for a meeting from a press release (see editorial/guided.py)."""
        from django.core.exceptions import PermissionDenied

        from .guided import AttendeeFormSet, GuidedMeetingForm, meeting_add

        if not self.has_add_permission(request):
            raise PermissionDenied
        posted = request.method == "POST"
        form = GuidedMeetingForm(request.POST if posted else None, user=request.user)
        formset = AttendeeFormSet(request.POST if posted else None, prefix="attendee")
        if posted and form.is_valid() and formset.is_valid():
            rows = [f.cleaned_data for f in formset if f.has_changed() and f.cleaned_data]
            try:
                meeting, plan = meeting_add(user=request.user, data=form.cleaned_data, attendees=rows)
            except ValidationError as exc:
                for field, errors in (exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]):
                    form.add_error(field if field in form.fields else None, errors)
            else:
                if plan is not None and not plan.allowed:
                    self.message_user(request, refusal_message(plan), messages.ERROR)
                elif plan is not None:
                    self.message_user(
                        request,
                        format_html(_("会議を追加し、依存する {} 件と一緒に公開しました。公開ページ: <a href=\"{}\">{}</a>"),
                                    len(plan.dependencies), meeting.get_absolute_url(), meeting.name_ja),
                    )
                else:
                    self.message_user(request, _("会議を下書きとして追加しました。公開担当が公開します。"))
                return HttpResponseRedirect(reverse("admin:alliance_meeting_change", args=[meeting.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("会議を追加（報道発表から）"),
            "opts": self.opts,
            "form": form,
            "formset": formset,
            "media": self.media + form.media + formset.media,
        }
        return TemplateResponse(request, "alliance/admin/guided_meeting.html", context)


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
class ParticipationAdmin(RegistryAdmin):
    form = registry_form(Participation)
    resource_classes = [resources.ParticipationResource]
    list_display = ("meeting", "position", "side", "person", "post", "organization", "name_text", "role", "role_en", "status")
    list_filter = ("status", "side")
    list_select_related = ("meeting", "person", "post", "organization")
    search_fields = ("meeting__name_ja", "meeting__slug", "person__name_ja", "post__name_ja", "name_text")
    autocomplete_fields = ("meeting", "person", "post", "organization")
    inlines = (CitationInline,)
    show_full_result_count = False


@admin.register(MeetingDocument)
class MeetingDocumentAdmin(RegistryAdmin):
    form = registry_form(MeetingDocument)
    resource_classes = [resources.MeetingDocumentResource]
    list_display = ("meeting", "kind", "agreement", "status")
    list_filter = ("status", "kind")
    list_select_related = ("meeting", "agreement")
    search_fields = ("meeting__name_ja", "meeting__slug", "agreement__name_ja", "agreement__slug")
    autocomplete_fields = ("meeting", "agreement")
    inlines = (CitationInline,)
    show_full_result_count = False


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    """Editors' changes to published records, for a publisher to apply or reject."""

    list_display = ("id", "record_label", "content_type", "author", "created_at", "via", "state")
    list_filter = ("state", "content_type")
    list_select_related = ("content_type", "author")
    search_fields = ("record_label", "reason")
    actions = ["apply", "reject"]
    fields = ("record_link", "content_type", "author", "created_at", "via", "reason", "diff", "state", "reviewer", "reviewed_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return request.user.has_perm("alliance.change_revision")

    @admin.display(description=_("記録"))
    def record_link(self, obj):
        record = obj.record
        if record is None:
            return obj.record_label
        url = reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_change", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, obj.record_label)

    @admin.display(description=_("変更内容（現在 → 提案）"))
    def diff(self, obj):
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("項目"),
            _("現在"),
            _("提案"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", revision_diff(obj)),
        )

    @admin.action(description=_("選択した修正案を反映する（公開ページが変わります）"), permissions=["review"])
    def apply(self, request, queryset):
        applied, conflicts = 0, []
        for revision in queryset.filter(state=Revision.State.PENDING).select_related("content_type", "author"):
            try:
                apply_revision(revision, request.user)
                applied += 1
            except RevisionConflict as exc:
                conflicts.append(f"#{revision.pk}: {exc}")
            except ValidationError as exc:
                conflicts.append(f"#{revision.pk}: {' '.join(exc.messages)}")
        self.message_user(request, _("%(n)d 件の修正案を反映しました。") % {"n": applied})
        if conflicts:
            self.message_user(
                request,
                _("提案の後に記録が変更されたため、または内容に誤りがあるため反映しなかった修正案: %(list)s")
                % {"list": " / ".join(conflicts)},
                messages.ERROR,
            )

    @admin.action(description=_("選択した修正案を却下する"), permissions=["review"])
    def reject(self, request, queryset):
        n = 0
        for revision in queryset.filter(state=Revision.State.PENDING):
            reject_revision(revision, request.user)
            n += 1
        self.message_user(request, _("%(n)d 件の修正案を却下しました。") % {"n": n})


def quality_report_view(request):
    """The quality report: what editors should look at, each item linking to its record."""
    from django.template.response import TemplateResponse

    from .quality import report

    context = {**admin.site.each_context(request), "title": _("品質レポート"), "sections": report()}
    return TemplateResponse(request, "alliance/admin/quality.html", context)


admin.site.index_template = "alliance/admin/index.html"
# The model list beside every form took a quarter of a 1,280 px window and pushed the
# attendee and seat tables off screen; the index and the breadcrumbs lead everywhere.
admin.site.enable_nav_sidebar = False
