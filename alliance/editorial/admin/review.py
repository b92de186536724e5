"""What publishers review: revisions, and the quality report."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ...models import (
    Revision,
)
from ..publishing import (
    RevisionConflict,
    RevisionStale,
    apply_revision,
    reject_revision,
    revision_diff,
)


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
            return format_html("{} {}", obj.record_label, _("（この記録は削除されています）"))
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
        applied, conflicts, stale = 0, [], []
        for revision in queryset.select_related("content_type", "author"):
            try:
                apply_revision(revision, request.user)
                applied += 1
            except RevisionStale as exc:
                stale.append(str(exc))
            except RevisionConflict as exc:
                conflicts.append(f"#{revision.pk}: {exc}")
            except ValidationError as exc:
                conflicts.append(f"#{revision.pk}: {' '.join(exc.messages)}")
        self.message_user(request, _("%(n)d 件の修正案を反映しました。") % {"n": applied})
        if stale:
            self.message_user(request, _("反映できなかった修正案: %(list)s") % {"list": " / ".join(stale)}, messages.WARNING)
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

    from ..quality import report

    context = {**admin.site.each_context(request), "title": _("品質レポート"), "sections": report()}
    return TemplateResponse(request, "alliance/admin/quality.html", context)
