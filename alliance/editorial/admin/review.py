"""What publishers review: revisions, and the quality report."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ...models import (
    Revision,
    Source,
)
from .. import textchange
from ..publishing import (
    RevisionConflict,
    RevisionStale,
    apply_revision,
    reject_revision,
    revision_diff,
)
from .base import listed


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    """Editors' changes to published records, for a publisher to apply or reject."""

    list_display = ("id", "record_label", "content_type", "author", "created_at", "via", "state")
    list_filter = ("state", "content_type")
    list_select_related = ("content_type", "author")
    search_fields = ("record_label", "reason")
    actions = ["apply", "reject"]
    fields = (
        "record_link", "content_type", "author", "created_at", "via", "reason", "diff", "breaks_citations",
        "state", "reviewer", "reviewed_at",
    )
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

    @admin.display(description=_("反映すると本文に見つからなくなる引用"))
    def breaks_citations(self, obj):
        """For a pending change of a source's text: the citations whose quote the new text
        would not hold, checked now against every citation of the source."""
        broken = self._broken(obj)
        if broken is None:
            return "—"
        if not broken:
            return _("なし（この資料の出典の引用はすべて新しい本文にあります）")
        return format_html(
            "<p>{}</p><ul class=\"broken-citations\">{}</ul>",
            textchange.refusal(obj.record, broken),
            format_html_join("", "<li>{}</li>", ((item.line(),) for item in broken)),
        )

    @staticmethod
    def _broken(revision):
        if revision.state != Revision.State.PENDING or "text" not in revision.changes:
            return None
        source = revision.record
        if not isinstance(source, Source):
            return None
        return textchange.broken_citations(source, revision.changes["text"][1])

    @admin.action(description=_("選択した修正案を反映する（公開ページが変わります）"), permissions=["review"])
    def apply(self, request, queryset):
        """Applies the selection. A revision of a source's text that would leave citations
        quoting text no longer in it is not applied: a page lists those citations, and the
        publisher applies it by withdrawing them (back to draft, with a history entry) or
        goes back to fix them. Only the citations listed on that page are withdrawn."""
        confirmed = request.POST.get("withdraw_confirmed") == "yes"
        agreed = {int(pk) for pk in request.POST.getlist("withdraw_citation") if pk.isdigit()} if confirmed else set()
        applied, conflicts, stale, breaking, withdrawn = 0, [], [], [], []
        for revision in queryset.select_related("content_type", "author"):
            try:
                apply_revision(revision, request.user, withdraw=agreed)
                applied += 1
                withdrawn += revision.withdrawn
            except textchange.CitationsWouldBreak as exc:
                breaking.append((revision, exc))
            except RevisionStale as exc:
                stale.append(str(exc))
            except RevisionConflict as exc:
                conflicts.append(f"#{revision.pk}: {exc}")
            except ValidationError as exc:
                conflicts.append(f"#{revision.pk}: {' '.join(exc.messages)}")
        self.message_user(request, _("%(n)d 件の修正案を反映しました。") % {"n": applied})
        if withdrawn:
            self.message_user(
                request,
                _("本文に引用が見つからなくなった出典 %(n)d 件を下書きに戻しました（履歴に理由を残しました）: %(ids)s")
                % {"n": len(withdrawn), "ids": listed(f"#{c.pk}" for c in withdrawn)},
                messages.WARNING,
            )
        if stale:
            self.message_user(request, _("反映できなかった修正案: %(list)s") % {"list": " / ".join(stale)}, messages.WARNING)
        if conflicts:
            self.message_user(
                request,
                _("提案の後に記録が変更されたため、または内容に誤りがあるため反映しなかった修正案: %(list)s")
                % {"list": " / ".join(conflicts)},
                messages.ERROR,
            )
        if breaking:
            return self._confirm_withdrawal(request, breaking)
        return None

    def _confirm_withdrawal(self, request, breaking):
        context = {
            **self.admin_site.each_context(request),
            "title": _("引用が本文に見つからなくなる出典があります"),
            "opts": self.opts,
            "breaking": [
                {"revision": revision, "message": str(exc), "citations": [
                    {"line": item.line(), "url": reverse("admin:alliance_citation_change", args=[item.pk]), "pk": item.pk}
                    for item in exc.broken
                ]}
                for revision, exc in breaking
            ],
            "selected": [revision.pk for revision, _exc in breaking],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "alliance/admin/revision_apply_confirm.html", context)

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
