"""What every editorial admin page shares: import and export with a preview, history with revert, drafts and publishing, the inline mixins."""

import datetime
import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, router, transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from ...models import (
    CITABLE,
    Citation,
    Participation,
    Revision,
    Status,
)
from ...partial_dates import PartialDate
from ...public.search import NAME_FIELDS, name_rank, normalize_query, search_q
from .. import locking, resources
from ..forms import registry_form
from ..importfiles import ImportAlreadyTaken
from ..publishing import (
    PublishPlan,
    allowed_status,
    can_publish,
    may_set_status,
    needs_review,
    propose,
    publish_with_dependencies,
    stored_status,
)
from .importing import RegistryConfirmForm, RegistryExportForm, RegistryImportForm, _line

NAME_SEARCH = ("slug", "name_ja", "name_en", "abbreviation", "other_names")
PREVIEW_INVALID_ROWS = 100  # rows with errors the preview lists (all are counted)


def import_counts(result) -> dict:
    """What an import did, row by row, in the words an editor needs: a row that became a
    revision is not an update (the public page has not changed), a new row may be a draft."""
    counts = {"new": 0, "drafts": 0, "update": 0, "revision": 0, "delete": 0, "skip": 0, "invalid": len(result.invalid_rows)}
    for row in result.rows:
        kind = row.import_type
        if kind == "update" and getattr(row, "proposed", False):
            kind = "revision"
        if kind in counts:
            counts[kind] += 1
        if kind == "new" and getattr(row.instance, "status", None) == Status.DRAFT:
            counts["drafts"] += 1
    return counts


def import_summary(counts: dict) -> str:
    """The counts in one sentence, in the reader's language: a qualifier that is zero (no
    drafts among the new rows, no revisions) is left out rather than shown as "0"."""
    if counts["drafts"]:
        parts = [_("新規 %(new)d 件（うち下書き %(drafts)d 件）") % counts]
    else:
        parts = [_("新規 %(new)d 件") % counts]
    parts.append(_("更新 %(update)d 件") % counts)
    if counts["revision"]:
        parts.append(_("公開担当の確認待ちの修正案 %(revision)d 件") % counts)
    parts.append(_("変更なし %(skip)d 件") % counts)
    parts.append(_("削除 %(delete)d 件") % counts)
    return listed(parts) + pgettext("sentence end", "。")


def listed(items) -> str:
    """Items joined as the reader's language lists them (「A、B」, "A, B")."""
    return pgettext("list separator", "、").join(str(item) for item in items)


def sentences(parts) -> str:
    """Sentences, each ended as the reader's language ends one (「…。…。」, "…. ….")."""
    end = pgettext("sentence end", "。")
    return ("" if end == "。" else " ").join(f"{part}{end}" for part in parts)


# An inline row's change belongs to the record's save that came just before it, when it
# came within this long (the admin saves the record, then its inline rows).
INLINE_WINDOW = datetime.timedelta(seconds=30)


def inline_row_change(model, row) -> str:
    """「出典「…」を追加（下書き）」: one inline row's historical record in words."""
    action = {"+": _("追加"), "-": _("削除")}.get(row.history_type, _("変更"))
    label = str(row.instance)
    if len(label) > 80:
        label = label[:80] + "…"
    text = _("%(model)s「%(label)s」を%(action)s") % {"model": model._meta.verbose_name, "label": label, "action": action}
    if getattr(row, "status", None) == Status.DRAFT:
        text = _("%(text)s（下書き）") % {"text": text}
    return text


class _OneChange:
    """A delta holding some of another's changes (for the default formatting of those)."""

    def __init__(self, changes):
        self.changes = changes


def _partial_date_text(record, base: str) -> str:
    """A historical record's partial date ``base`` as the active language writes it."""
    day = getattr(record, f"{base}_date", None)
    if day is None:
        return "—"
    try:
        return PartialDate(day, getattr(record, f"{base}_precision", ""), getattr(record, f"{base}_qualifier", "") or "").display()
    except ValueError:
        return day.isoformat()


class LabelledHistoryHelper(HistoricalRecordContextHelper):
    """History diffs in words: a choice's label (公開, 日), not its stored value."""

    def context_for_delta_changes(self, delta):
        """A partial date is three columns (the first day of its period, its precision, its
        qualifier); a change to it is shown once, as the editor wrote it (2024年6月 →
        2024年度), not as the stored first days and precisions (2024-06-01 → 2024-04-01,
        精度: 月 → 年度)."""
        dates = {
            field.name.removesuffix("_precision")
            for field in self.model._meta.get_fields()
            if field.name.endswith("_precision") and hasattr(self.model, field.name.removesuffix("_precision") + "_date")
        }
        out, shown = [], set()
        for change in delta.changes:
            base = next((b for b in dates if change.field in (f"{b}_date", f"{b}_precision", f"{b}_qualifier")), None)
            if base is None:
                out.extend(super().context_for_delta_changes(_OneChange([change])))
                continue
            if base in shown:
                continue
            shown.add(base)
            label = self.model._meta.get_field(f"{base}_date").verbose_name
            out.append({
                "field": capfirst(label),
                "old": _partial_date_text(delta.old_record, base),
                "new": _partial_date_text(delta.new_record, base),
            })
        return out

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
        rolls the whole import back."""
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if context:
            context["title"] = _("%(name)sの取込") % {"name": self.opts.verbose_name_plural}
        result = context.get("result")
        if result is not None:
            context["warnings"] = any(getattr(row, "warnings", None) for row in result.rows)
            context["counts"] = import_counts(result)
            context["summary"] = import_summary(context["counts"])
            context["preview_rows"] = resources.PREVIEW_ROWS
            context["preview_slice"] = f":{resources.PREVIEW_ROWS}"
            context["shown_invalid"] = result.invalid_rows[:PREVIEW_INVALID_ROWS]
        if context.get("confirm_form") is not None and result is not None:
            # What the preview compared each row with, kept beside the file on the server:
            # the confirmation refuses if any row would now do something else.
            storage = self.get_tmp_storage_class()(name=context["confirm_form"].initial["import_file_name"])
            storage.save_preview(json.dumps(resources.row_outcome(result)))
        return response

    def process_import(self, request, **kwargs):
        """The confirmation: claims the preview's file (so a second click or a second tab
        is told it was confirmed already, and nothing is written twice), imports it
        against what the preview saw, and removes it."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        import_page = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        if not confirm_form.is_valid():
            self.message_user(request, " ".join(e for errors in confirm_form.errors.values() for e in errors), messages.ERROR)
            return HttpResponseRedirect(import_page)
        input_format = self.get_import_formats()[int(confirm_form.cleaned_data["format"])](encoding=self.from_encoding)
        storage = self.get_tmp_storage_class()(
            name=confirm_form.cleaned_data["import_file_name"],
            encoding=None if input_format.is_binary() else self.from_encoding,
            read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),
        )
        try:
            storage.claim()
        except ImportAlreadyTaken:
            self.message_user(
                request,
                _("この取込はすでに確定されたか、そのプレビューが見つかりません（ボタンの二度押しや、古い画面からの確定）。"
                  "このボタンでは何も書き込んでいません。取り込まれたかどうかは一覧で確かめてください。"),
                messages.ERROR,
            )
            return HttpResponseRedirect(import_page)
        try:
            preview = storage.read_preview()
            if preview is None:
                self.message_user(
                    request, _("プレビューの記録が見つかりません。何も書き込んでいません。もう一度ファイルを選んでプレビューしてください。"),
                    messages.ERROR,
                )
                return HttpResponseRedirect(import_page)
            dataset = input_format.create_dataset(storage.read())
            result = self.process_dataset(dataset, confirm_form, request, preview_outcome=json.loads(preview), **kwargs)
        finally:
            storage.remove()
        return self.process_result(result, request)

    def export_action(self, request):
        response = super().export_action(request)
        context = getattr(response, "context_data", None)
        if context:
            context["title"] = _("%(name)sの書き出し") % {"name": self.opts.verbose_name_plural}
        return response

    def add_success_message(self, result, request):
        messages.success(
            request,
            _("取込が終わりました（%(name)s）: %(summary)s")
            % {"name": self.opts.verbose_name_plural, "summary": import_summary(import_counts(result))},
        )

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """Beside each change of the record, what the same save did to its inline rows (a
        citation, an attendee or a document added, changed or deleted on its page): those
        rows keep histories of their own, which the record's history did not show."""
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        records = sorted(historical_records, key=lambda r: r.history_date)
        if not records:
            return
        pk = records[0].id
        window = (records[0].history_date, records[-1].history_date + INLINE_WINDOW)
        rows = []
        for inline_model, fk in locking.inline_relations(self.model):
            history = getattr(inline_model, "history", None)
            if history is None:
                continue
            for row in history.filter(**{fk.attname: pk, "history_date__range": window}).order_by("history_date"):
                rows.append((row.history_date, inline_row_change(inline_model, row)))
        for record in records:
            record.inline_changes = []
        for when, text in rows:
            owner = max((r for r in records if r.history_date <= when), key=lambda r: r.history_date, default=None)
            if owner is not None and when - owner.history_date <= INLINE_WINDOW:
                owner.inline_changes.append(text)

    def get_historical_record_context_helper(self, request, historical_record):
        return LabelledHistoryHelper(self.model, historical_record)

    def history_view_title(self, request, obj):
        return _("変更の履歴: %(record)s") % {"record": obj}

    def history_form_view_title(self, request, obj):
        return _("この時点に戻す: %(record)s") % {"record": obj}

    def delete_model(self, request, obj):
        # A deletion takes the record's lock first, as every editorial write does (see
        # locking.py): otherwise it locks the inline rows before the record (Django's
        # collector deletes children first) while a save holds the record and waits for
        # those rows, and PostgreSQL aborts one of the two as a deadlock.
        with transaction.atomic(using=router.db_for_write(self.model)):
            locking.lock(obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset.order_by("pk"):
                locking.lock(obj)
            super().delete_queryset(request, queryset)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A revert saves through the change form, whose edit check locks the record until
        # the save commits: one transaction, as Django runs changeform_view.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(request, object_id, version_id, extra_context)

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

    # The names that rank search results (see rank_search_results); by default those of
    # NAME_FIELDS the model has.
    search_rank_fields = None

    def get_search_results(self, request, queryset, search_term):
        """Search through the trigram-indexed search_text, as the public site does (and so do
        the autocomplete boxes); an exact slug matches too. What the editor typed comes
        first (rank_search_results)."""
        if search_term.strip() and any(f.name == "search_text" for f in self.model._meta.get_fields()):
            # The search as a subquery: OR-ed straight with the slug, its index lookup
            # would be re-checked row by row, computing every row's pieces again.
            found = self.model._default_manager.filter(search_q(normalize_query(search_term))).values("pk")
            condition = Q(slug=search_term.strip()) | Q(pk__in=found)
            return self.rank_search_results(request, queryset.filter(condition), search_term), False
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return self.rank_search_results(request, queryset, search_term), may_have_duplicates

    def rank_search_results(self, request, queryset, search_term):
        """The record whose name (or slug) is what the editor typed first, then those whose
        name starts with it, then the rest, each group in the usual order: typing 防衛省
        finds 防衛省 before its bureaus, whose other names start with it. A column the
        editor sorted the changelist by is left as chosen.

        The rank is a CASE over the found rows' own columns in the same query, so the
        indexes still do the finding and no row costs a query."""
        if ORDER_VAR in request.GET:
            return queryset
        names = {f.name for f in self.model._meta.get_fields()}
        fields = self.search_rank_fields or [name for name in NAME_FIELDS if name in names]
        rank = name_rank(search_term, fields, Q(slug=search_term.strip()) if "slug" in names else None) if fields else None
        if rank is None:
            return queryset
        usual = list(queryset.query.order_by) or (list(self.model._meta.ordering) if queryset.query.default_ordering else [])
        if not {"pk", "-pk", "id", "-id"} & {str(part) for part in usual}:
            usual.append("pk")  # pages of an autocomplete box hold still when names tie
        return queryset.annotate(search_rank=rank).order_by("search_rank", *usual)

    def get_fieldsets(self, request, obj=None):
        """The model's fieldsets, then the reason for the change, which the history keeps
        (with the hidden fingerprint that detects a conflicting edit)."""
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            names = [f for f in options["fields"] if f not in ("change_reason", "edit_token")]
            fieldsets.append((name, {**options, "fields": names}))
        return [*fieldsets, (_("変更の記録"), {"fields": ("change_reason", "edit_token")})]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # The record's own page: its save is checked against what the page was opened with.
        form.guards_edits = True
        return form

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
    def _inline_counts(request) -> dict:
        """The inline rows this save wrote, by what became of them (for the message)."""
        if not hasattr(request, "_alliance_inline_counts"):
            request._alliance_inline_counts = {"drafts": 0, "changed_drafts": 0, "saved": 0, "deleted": 0}
        return request._alliance_inline_counts

    def _inline_message(self, request) -> str:
        counts = self._inline_counts(request)
        parts = []
        if counts["drafts"]:
            parts.append(_("新しい行 %(n)d 件を下書きとして保存しました（公開担当が公開するまで公開ページには出ません）") % {"n": counts["drafts"]})
        if counts["changed_drafts"]:
            parts.append(_("下書きの行 %(n)d 件を保存しました") % {"n": counts["changed_drafts"]})
        if counts["saved"]:
            parts.append(_("行 %(n)d 件を保存しました") % {"n": counts["saved"]})
        if counts["deleted"]:
            parts.append(_("行 %(n)d 件を削除しました") % {"n": counts["deleted"]})
        return sentences(parts)

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
            % {"n": len(plan.dependencies), "list": listed(plan.labels(plan.dependencies))},
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
            created = obj.pk is None
            obj.save()
            kind = "drafts" if getattr(obj, "status", None) == Status.DRAFT else "saved"
            self._inline_counts(request)[kind if created or kind == "saved" else "changed_drafts"] += 1
        for obj in formset.deleted_objects:
            obj.delete()
            self._inline_counts(request)["deleted"] += 1
        formset.save_m2m()
        if refused:
            self.message_user(request, _("公開状態は変更していません（公開担当の権限が必要です）。"), messages.WARNING)

    def response_change(self, request, obj):
        """Says what the save did: changes held as revisions for a publisher, inline rows
        saved as drafts, rows saved or deleted — "no change" only when nothing was written."""
        revisions = [r for r in getattr(request, "_alliance_revisions", []) if r is not None]
        rows = self._inline_message(request)
        if revisions:
            self.message_user(
                request,
                _("公開中の記録への変更は、公開担当の確認待ちの修正案（%(ids)s）になりました。確認されるまで公開ページは変わりません。")
                % {"ids": listed(f"#{r.pk}" for r in revisions)},
                messages.WARNING,
            )
            if rows:
                self.message_user(request, rows, messages.INFO)
            return HttpResponseRedirect(request.path)
        if getattr(request, "_alliance_proposing", False):
            self.message_user(request, rows or _("変更はありませんでした。"), messages.INFO)
            return HttpResponseRedirect(request.path)
        if self._inline_counts(request)["drafts"]:
            self.message_user(request, rows, messages.INFO)
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
        "list": listed(plan.labels(plan.refused))
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
