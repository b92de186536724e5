"""The intake pages (paste a release, confirm what was read, one save) and the changeset
queue where a publisher reviews, publishes or sends back what one intake made. The
pages call the operations in editorial/intake/ and editorial/changesets.py; they decide
nothing themselves."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ...models import Body, Changeset, Citation, Meeting, Organization, Person, Post, Side, TextOrigin
from .. import changesets
from ..forms import PartialDateFormField
from ..intake.anchoring import describe
from ..intake.highlight import highlighted
from ..intake.reader import read
from ..intake.save import intake_save
from ..sourcetext import SourceFileError, read_upload
from .base import listed


def _lf(text: str) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n")


class IntakeTextForm(forms.Form):
    """Step 1: the release's text (pasted or from a file) and where it is published."""

    text = forms.CharField(label=_("本文"), required=False, widget=forms.Textarea(attrs={"rows": 14, "style": "width:100%"}),
                           help_text=_("報道発表の全文を貼り付けます。題名・発行者・日付は本文から読み取ります。"))
    text_file = forms.FileField(label=_("またはファイル"), required=False, help_text=_("テキスト（.txt）、HTML、PDF。"))
    url = forms.URLField(label=_("URL"), required=False, assume_scheme="https")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("text_file")
        cleaned["text_origin"] = TextOrigin.PASTED
        if upload:
            try:
                from_file = read_upload(upload.name, upload.read())
            except SourceFileError as exc:
                self.add_error("text_file", str(exc))
            else:
                cleaned["text"], cleaned["text_origin"] = from_file.text, from_file.origin
        cleaned["text"] = _lf(cleaned.get("text"))
        if not cleaned["text"] and not self.errors:
            raise ValidationError(_("本文を貼り付けるか、ファイルを選んでください。"))
        return cleaned


class QuoteWidget(forms.MultiWidget):
    """A quote picked from the text: exact, prefix, suffix and the position it was read at."""

    template_name = "alliance/admin/intake_quote_widget.html"

    def __init__(self, attrs=None):
        super().__init__([forms.HiddenInput(attrs={"data-part": p}) for p in ("exact", "prefix", "suffix", "start")], attrs)

    def decompress(self, value):
        value = value or {}
        return [value.get("exact", ""), value.get("prefix", ""), value.get("suffix", ""), value.get("start", "")]


class QuoteField(forms.MultiValueField):
    widget = QuoteWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__([forms.CharField(required=False, strip=False) for _ in range(3)] + [forms.IntegerField(required=False)],
                         require_all_fields=False, **kwargs)

    def compress(self, values):
        if not values or not values[0]:
            return {}
        return {"exact": values[0], "prefix": values[1] or "", "suffix": values[2] or "", "start": values[3]}


class IntakeConfirmForm(forms.Form):
    """Step 2: what was read, for the editor to confirm or correct."""

    text = forms.CharField(widget=forms.HiddenInput, strip=False)
    # How the text came in (step 1: pasted, or the kind of file read), kept for the source.
    text_origin = forms.ChoiceField(choices=TextOrigin.choices, widget=forms.HiddenInput, required=False)
    url = forms.URLField(widget=forms.HiddenInput, required=False, assume_scheme="https")
    title_ja = forms.CharField(label=_("資料の題名"), max_length=300)
    title_en = forms.CharField(label=_("題名（英語）"), max_length=300, required=False)
    publisher_ja = forms.CharField(label=_("発行者"), max_length=200,
                                   help_text=_("本文に組織名の行があれば読み取ります。なければ入力してください。"))
    issued = PartialDateFormField(label=_("発行日"))
    existing = forms.ModelChoiceField(Meeting.objects.all(), required=False, widget=forms.HiddenInput)
    body = forms.ModelChoiceField(Body.objects.order_by("name_ja"), label=_("協議体・形式"), required=False)
    kind = forms.ChoiceField(label=_("種別"), choices=Meeting.Kind.choices)
    start = PartialDateFormField(label=_("開催日"), required=True)
    session_number = forms.IntegerField(label=_("回次"), required=False, min_value=1, widget=forms.NumberInput(attrs={"style": "width:5em"}))
    name_ja = forms.CharField(label=_("会議名"), required=False, max_length=300,
                              help_text=_("空欄なら「第N回」と協議体の名称から作ります（例: 第6回同盟調整グループ）。"))
    place_ja = forms.CharField(label=_("場所"), required=False, max_length=200)
    place_en = forms.CharField(label=_("場所（英語）"), required=False, max_length=200)
    quote = QuoteField(label=_("会議の引用"))
    outcomes_ja = forms.CharField(label=_("成果"), required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=_("1行に1項目。"))
    outcomes_en = forms.CharField(label=_("成果（英語）"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    outcomes_quote = QuoteField(label=_("成果の引用"))

    SOURCE = ("title_ja", "title_en", "publisher_ja", "issued")
    MEETING = ("body", "kind", "start", "session_number", "name_ja", "place_ja", "place_en")

    def source_fields(self):
        return [self[n] for n in self.SOURCE]

    def meeting_fields(self):
        return [self[n] for n in self.MEETING]

    def clean_text(self):
        return _lf(self.cleaned_data["text"])

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("quote"):
            self.add_error("quote", _("会議を述べた文を本文から選んでください。"))
        if cleaned.get("existing") is None and not cleaned.get("body") and not cleaned.get("name_ja"):
            self.add_error("body", _("協議体を選ぶか、会議名を入れてください。"))
        return cleaned


class AttendeeForm(forms.Form):
    side = forms.ChoiceField(label=_("側"), choices=Side.choices)
    person = forms.ModelChoiceField(Person.objects.order_by("name_ja"), label=_("人物（登録済み）"), required=False)
    person_name_ja = forms.CharField(label=_("新しい人物"), required=False, max_length=200)
    person_name_en = forms.CharField(label=_("氏名（英語）"), required=False, max_length=200)
    post = forms.ModelChoiceField(Post.objects.order_by("name_ja"), label=_("役職（登録済み）"), required=False)
    post_name_ja = forms.CharField(label=_("新しい役職"), required=False, max_length=300)
    post_name_en = forms.CharField(label=_("役職名（英語）"), required=False, max_length=300)
    post_organization = forms.ModelChoiceField(Organization.objects.order_by("name_ja"), label=_("役職の組織"), required=False)
    role = forms.CharField(label=_("立場"), required=False, max_length=100)
    role_en = forms.CharField(label=_("立場（英語）"), required=False, max_length=100)
    seat = forms.BooleanField(label=_("協議体の席にも"), required=False,
                              help_text=_("この役職が協議体の構成員（席）としてまだ登録されていなければ、席を作ります。"))
    quote = QuoteField(label=_("引用"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("person") and cleaned.get("person_name_ja"):
            self.add_error("person_name_ja", _("登録済みの人物を選んだときは空欄にします。"))
        if cleaned.get("post") and cleaned.get("post_name_ja"):
            self.add_error("post_name_ja", _("登録済みの役職を選んだときは空欄にします。"))
        if self.is_blank(cleaned):
            return cleaned
        if not cleaned.get("quote"):
            self.add_error("quote", _("この出席者を述べた文を本文から選んでください。"))
        return cleaned

    @staticmethod
    def is_blank(cleaned) -> bool:
        return not any(cleaned.get(k) for k in ("person", "person_name_ja", "post", "post_name_ja"))


AttendeeFormSet = forms.formset_factory(AttendeeForm, extra=1, max_num=40)


def _anchor_of(text, start, end):
    return describe(text, start, end).as_dict() if end > start else {}


def proposal_initial(proposal, url="", text_origin=TextOrigin.PASTED):
    """The confirm forms' initial values from what the reader proposed."""
    text = proposal.text
    meeting_quote = {}
    for fact in (proposal.body, proposal.start):
        if fact is not None:
            meeting_quote = _anchor_of(text, fact.start, fact.end)
            break
    existing = proposal.existing_meeting
    initial = {
        "text": text, "text_origin": text_origin, "url": url, "title_ja": proposal.title,
        "publisher_ja": Organization.objects.filter(pk=proposal.publisher_id).values_list("name_ja", flat=True).first() or "",
        "issued": proposal.issued,
        "existing": existing.pk if existing else None,
        "body": proposal.body.value if proposal.body else None,
        "kind": existing.kind if existing else proposal.kind,
        "start": proposal.start.value if proposal.start else None,
        "session_number": proposal.session.value if proposal.session else None,
        "place_ja": proposal.place.value if proposal.place else "",
        "place_en": proposal.place_en,
        "quote": meeting_quote,
        "outcomes_ja": "\n".join(o.value for o in proposal.outcomes),
        "outcomes_quote": _anchor_of(text, proposal.outcomes[0].start, proposal.outcomes[-1].end) if proposal.outcomes else {},
    }
    rows = []
    for a in proposal.attendees:
        if a.already_there:
            continue
        rows.append({
            "side": a.side, "person": a.person_id, "person_name_ja": a.person_name_ja, "post": a.post_id,
            "post_name_ja": a.post_name_ja, "post_organization": a.post_organization_id, "role": a.role,
            "role_en": a.role_en, "seat": bool(a.post_name_ja), "quote": _anchor_of(text, *a.quote),
        })
    return initial, rows


class IntakeViews:
    """The two steps of the intake, as views of the changeset admin."""

    def __init__(self, model_admin):
        self.admin = model_admin

    def check(self, request):
        user = request.user
        if not all(user.has_perm(f"alliance.add_{m}") for m in ("source", "meeting", "citation", "participation", "person", "post")):
            raise PermissionDenied

    def render(self, request, template, context):
        context = {**self.admin.admin_site.each_context(request), "opts": self.admin.opts, **context}
        return TemplateResponse(request, template, context)

    def view(self, request):
        self.check(request)
        if request.method == "POST" and "_save" in request.POST:
            return self.confirm(request)
        form = IntakeTextForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            proposal = read(form.cleaned_data["text"])
            initial, rows = proposal_initial(proposal, form.cleaned_data.get("url", ""), form.cleaned_data["text_origin"])
            confirm = IntakeConfirmForm(initial=initial)
            formset = AttendeeFormSet(initial=rows, prefix="attendee")
            return self.confirm_page(request, confirm, formset, proposal.text, proposal=proposal)
        return self.render(request, "alliance/admin/intake.html", {"title": _("報道発表から登録"), "form": form, "media": self.admin.media})

    def confirm_page(self, request, form, formset, text, proposal=None):
        existing = None
        value = form["existing"].value()
        if value:
            existing = Meeting.objects.filter(pk=value).first()
        return self.render(request, "alliance/admin/intake_confirm.html", {
            "title": _("読み取った内容の確認"), "form": form, "formset": formset, "existing": existing,
            "source_html": highlighted(text, proposal),
            "media": self.admin.media + form.media + formset.media,
        })

    def confirm(self, request):
        form = IntakeConfirmForm(request.POST)
        formset = AttendeeFormSet(request.POST, prefix="attendee")
        text = _lf(request.POST.get("text", ""))
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            rows = [f.cleaned_data for f in formset if f.cleaned_data and not AttendeeForm.is_blank(f.cleaned_data)]
            try:
                changeset = intake_save(
                    user=request.user,
                    source={"text": data["text"], "text_origin": data["text_origin"] or TextOrigin.PASTED,
                            "title_ja": data["title_ja"], "title_en": data["title_en"],
                            "publisher_ja": data["publisher_ja"], "issued": data["issued"], "url": data["url"]},
                    meeting={**data, "existing": data.get("existing")},
                    attendees=rows,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.admin.message_user(request, format_html(
                    _("保存しました（下書き）。変更セット #{} として公開担当の確認を待ちます。"), changeset.pk))
                return HttpResponseRedirect(reverse("admin:alliance_changeset_change", args=[changeset.pk]))
        return self.confirm_page(request, form, formset, text)


@admin.register(Changeset)
class ChangesetAdmin(admin.ModelAdmin):
    """The queue: what intakes made, waiting for a publisher, each reviewed on one page."""

    list_display = ("id", "label", "state", "author", "created_at")
    list_filter = ("state",)
    list_select_related = ("author",)
    search_fields = ("label",)
    change_form_template = "alliance/admin/changeset_review.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        intake = IntakeViews(self)
        return [
            path("intake/", self.admin_site.admin_view(intake.view), name="alliance_changeset_intake"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        changeset = self.get_object(request, object_id)
        if changeset is None or not self.has_view_permission(request, changeset):
            raise PermissionDenied
        if request.method == "POST":
            return self.decide(request, changeset)
        records, revisions = changesets.members(changeset)
        citations = [r for r in records if isinstance(r, Citation)]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": _("変更セット #%(n)d の確認") % {"n": changeset.pk},
            "changeset": changeset, "original": changeset,
            "records": [(r._meta.verbose_name, r, reverse(f"admin:alliance_{r._meta.model_name}_change", args=[r.pk]),
                         [c for c in citations if c.record == r]) for r in records if not isinstance(r, Citation)],
            "revisions": revisions,
            "reviews": changeset.reviews.select_related("reviewer"),
            "source_html": highlighted(changeset.source.text, citations=citations),
            "may_review": changesets.may_review(request.user),
            "is_author": request.user == changeset.author,
            "has_view_permission": True, "has_change_permission": False,
        }
        return TemplateResponse(request, self.change_form_template, context)

    def decide(self, request, changeset):
        action = request.POST.get("action")
        try:
            if action == "publish":
                plan = changesets.publish(changeset, request.user)
                if not plan.allowed:
                    self.message_user(request, _("公開できない記録があります: %(list)s") % {"list": listed(plan.labels(plan.refused))}, messages.ERROR)
                else:
                    meeting = next((r for r in changesets.members(changeset)[0] if isinstance(r, Meeting)), None)
                    self.message_user(request, format_html(
                        _("変更セット #{} を公開しました（{} 件と依存する記録）。"), changeset.pk, changeset.members.count()))
                    if meeting is not None:
                        self.message_user(request, format_html('<a href="{}">{}</a>', meeting.get_absolute_url(), meeting.name_ja))
            elif action == "send_back":
                changesets.send_back(changeset, request.user, request.POST.get("note", ""))
                self.message_user(request, _("差し戻しました。登録者の編集メニューにメモが表示されます。"))
            elif action == "resubmit":
                if request.user != changeset.author and not changesets.may_review(request.user):
                    raise PermissionDenied
                changesets.resubmit(changeset, request.user, request.POST.get("note", ""))
                self.message_user(request, _("再提出しました。公開担当の確認を待ちます。"))
        except changesets.ChangesetError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:alliance_changeset_change", args=[changeset.pk]))
