"""Meetings, their attendees and documents, the guided meeting page, and events."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ...models import (
    Event,
    Meeting,
    MeetingDocument,
    Participation,
)
from .. import resources
from ..forms import registry_form
from .base import (
    NAME_SEARCH,
    CitationInline,
    MeetingCitationInline,
    RegistryAdmin,
    StatusInline,
    date_column,
    refusal_message,
)


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

        from ..guided import AlreadyAdded, AttendeeFormSet, GuidedMeetingForm, meeting_add

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
            except AlreadyAdded as exc:
                existing = exc.meeting
                if _added_just_now_by(existing, request.user):
                    # The same page sent twice (a double click, a reload): the first one wrote it.
                    self.message_user(
                        request,
                        _("この会議はさきほど追加されています（同じ送信が2回届きました）。2回目は何も書き込んでいません。"),
                        messages.WARNING,
                    )
                    return HttpResponseRedirect(reverse("admin:alliance_meeting_change", args=[existing.pk]))
                form.add_error("start", _("同じ協議体・開催日・回次の会議がすでにあります: %(meeting)s（%(slug)s）。その会議を開いて直してください。")
                               % {"meeting": existing.name_ja, "slug": existing.slug})
            except IntegrityError:
                form.add_error(None, _("同じ時に、ほかの人が同じ名前の記録を作りました。何も書き込んでいません。もう一度「保存」を押してください。"))
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


def _added_just_now_by(meeting, user, minutes=10) -> bool:
    """Whether ``user`` added ``meeting`` in the last few minutes (by its first history row)."""
    first = meeting.history.order_by("history_date").first()
    return (
        first is not None and first.history_user_id == user.pk
        and first.history_date >= timezone.now() - timedelta(minutes=minutes)
    )


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
