"""The guided "add a meeting" page: a meeting from one press release — its body, date,
place, session, outcomes, attendees (existing people and posts, or new ones) and the
source with its quote — written in one step, and published with what it depends on
when a publisher asks."""

import hashlib

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from ..models import (
    Body,
    Citation,
    Meeting,
    Organization,
    Participation,
    Person,
    Post,
    Side,
    Source,
    Status,
    TextOrigin,
)
from .forms import PartialDateFormField, suggest_slug
from .naming import meeting_name_ja
from .publishing import PublishPlan, can_publish, publish_with_dependencies

COUNTRY_OF_SIDE = {Side.JAPAN: "jp", Side.US: "us", Side.OTHER: "intl"}
REASON = "「会議を追加」ページ"


def _autocomplete(model, name):
    return AutocompleteSelect(model._meta.get_field(name), admin.site, attrs={"style": "width:16em"})


class GuidedMeetingForm(forms.Form):
    body = forms.ModelChoiceField(Body.objects.order_by("name_ja"), label=_("協議体・形式"))
    kind = forms.ChoiceField(label=_("種別"), choices=Meeting.Kind.choices, initial=Meeting.Kind.WORKING_GROUP)
    start = PartialDateFormField(label=_("開催日"), required=True)
    session_number = forms.IntegerField(label=_("回次"), required=False, min_value=1, widget=forms.NumberInput(attrs={"style": "width:5em"}))
    name_ja = forms.CharField(label=_("会議名（日本語）"), required=False, max_length=300,
                              help_text=_("空欄なら回次と協議体の名称から作ります（例: 第5回同盟調整グループ）。"))
    name_en = forms.CharField(label=_("会議名（英語）"), required=False, max_length=300)
    place_ja = forms.CharField(label=_("場所（日本語）"), required=False, max_length=200)
    place_en = forms.CharField(label=_("場所（英語）"), required=False, max_length=200)
    outcomes_ja = forms.CharField(label=_("成果（日本語）"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("1行に1項目。"))
    outcomes_en = forms.CharField(label=_("成果（英語）"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    source = forms.ModelChoiceField(Source.objects.defer("text"), label=_("登録済みの資料"), required=False,
                                    widget=_autocomplete(Citation, "source"),
                                    help_text=_("新しい資料なら空欄のまま、下に題名と本文を入れます。"))
    source_title_ja = forms.CharField(label=_("資料の題名（日本語）"), required=False, max_length=300)
    source_title_en = forms.CharField(label=_("資料の題名（英語）"), required=False, max_length=300)
    # No default: 外務省 was silently wrong for every 防衛省 release.
    source_publisher_ja = forms.CharField(label=_("発行者"), required=False, max_length=200,
                                          help_text=_("新しい資料のとき必須。例: 防衛省、外務省"))
    source_issued = PartialDateFormField(label=_("発行日"))
    source_url = forms.URLField(label=_("URL"), required=False, assume_scheme="https")
    source_text = forms.CharField(label=_("資料の本文"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                                  help_text=_("報道発表などの全文を貼り付けます。引用はこの本文と照合されます。"))
    locator = forms.CharField(label=_("箇所"), max_length=200, initial=_("本文"))
    quote = forms.CharField(label=_("引用"), widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=_("資料の文言をそのまま写します。出席者と文書もこの出典で裏付けられます。"))
    publish = forms.BooleanField(label=_("依存する下書きと一緒に公開する"), required=False)

    MEETING = ("body", "kind", "start", "session_number", "name_ja", "name_en", "place_ja", "place_en")
    SOURCE = ("source", "source_title_ja", "source_title_en", "source_publisher_ja", "source_issued", "source_url")

    def meeting_fields(self):
        return [self[name] for name in self.MEETING]

    def source_fields(self):
        return [self[name] for name in self.SOURCE]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_publish(user, Meeting):
            del self.fields["publish"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("source") and not (cleaned.get("source_title_ja") and cleaned.get("source_text")):
            raise ValidationError(_("登録済みの資料を選ぶか、新しい資料の題名と本文を入れてください。"))
        if not cleaned.get("source") and not cleaned.get("source_publisher_ja"):
            self.add_error("source_publisher_ja", _("新しい資料の発行者を入れてください（例: 防衛省）。"))
        if cleaned.get("body") and cleaned.get("start"):
            probe = Meeting(body=cleaned["body"], session_number=cleaned.get("session_number"))
            probe.start = cleaned["start"]
            existing = Meeting.objects.likely_duplicates_of(probe).first()
            if existing is not None:
                self.add_error("start", _("同じ協議体・開催日・回次の会議がすでにあります: %(meeting)s（%(slug)s）。その会議を開いて直してください。")
                               % {"meeting": existing.name_ja, "slug": existing.slug})
        return cleaned


class AttendeeForm(forms.Form):
    side = forms.ChoiceField(label=_("側"), choices=Side.choices)
    person = forms.ModelChoiceField(Person.objects.all(), label=_("人物（登録済み）"), required=False,
                                    widget=_autocomplete(Participation, "person"))
    person_name_ja = forms.CharField(label=_("新しい人物の氏名"), required=False, max_length=200)
    person_name_en = forms.CharField(label=_("氏名（英語）"), required=False, max_length=200)
    post = forms.ModelChoiceField(Post.objects.all(), label=_("役職（登録済み）"), required=False,
                                  widget=_autocomplete(Participation, "post"))
    post_name_ja = forms.CharField(label=_("新しい役職名"), required=False, max_length=300)
    post_name_en = forms.CharField(label=_("役職名（英語）"), required=False, max_length=300)
    post_organization = forms.ModelChoiceField(Organization.objects.all(), label=_("役職の組織"), required=False,
                                               widget=_autocomplete(Post, "organization"),
                                               help_text=_("新しい役職の属する組織（例: 外務省）。"))
    role = forms.CharField(label=_("立場"), required=False, max_length=100)
    role_en = forms.CharField(label=_("立場（英語）"), required=False, max_length=100)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("person") and cleaned.get("person_name_ja"):
            self.add_error("person_name_ja", _("登録済みの人物を選んだときは空欄にします。"))
        if cleaned.get("post") and cleaned.get("post_name_ja"):
            self.add_error("post_name_ja", _("登録済みの役職を選んだときは空欄にします。"))
        if self.has_changed() and not any(cleaned.get(k) for k in ("person", "person_name_ja", "post", "post_name_ja")):
            raise ValidationError(_("人物か役職を選ぶか、新しく入力してください。"))
        return cleaned


AttendeeFormSet = forms.formset_factory(AttendeeForm, extra=2, max_num=40)


class AlreadyAdded(Exception):
    """The meeting this page would add exists already (added a moment ago by a second
    click of the same form, or by someone else): nothing was written."""

    def __init__(self, meeting):
        super().__init__(meeting.slug)
        self.meeting = meeting


def _one_writer_per_meeting(body, start, session_number) -> None:
    """Two submissions that would add the same meeting (a double click; two tabs; two
    editors with one release) take their turns: the second waits for the first to commit
    and then finds its meeting, instead of failing on the slug's unique index."""
    key = f"guided-meeting:{body.pk}:{start.iso() if start else ''}:{session_number or ''}"
    lock_id = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def _saved(obj, user):
    obj._history_user = user
    obj._change_reason = REASON
    obj.full_clean()
    obj.save()
    return obj


def meeting_add(*, user, data: dict, attendees: list[dict]) -> tuple[Meeting, PublishPlan | None]:
    """Write the meeting, its attendees (with the new people and posts), the source (if
    new) and one citation covering attendees and documents, as drafts, in one
    transaction; then publish them together if asked and allowed. A ValidationError
    leaves nothing written; its message_dict names the step ("source", "quote" …)."""
    with transaction.atomic():
        body = data["body"]
        start = data["start"]
        _one_writer_per_meeting(body, start, data.get("session_number"))
        probe = Meeting(body=body, session_number=data.get("session_number"))
        probe.start = start
        existing = Meeting.objects.likely_duplicates_of(probe).first()
        if existing is not None:
            raise AlreadyAdded(existing)
        name_ja = data.get("name_ja") or meeting_name_ja(body, data.get("session_number"))
        meeting = Meeting(
            body=body, kind=data["kind"], session_number=data.get("session_number"), name_ja=name_ja,
            name_en=data.get("name_en", ""), place_ja=data.get("place_ja", ""), place_en=data.get("place_en", ""),
            outcomes_ja=data.get("outcomes_ja", ""), outcomes_en=data.get("outcomes_en", ""), status=Status.DRAFT,
        )
        meeting.start = start
        meeting.slug = suggest_slug(Meeting, {"body": body, "start": start}, meeting)
        _saved(meeting, user)

        for position, row in enumerate(attendees, 1):
            country = COUNTRY_OF_SIDE.get(row["side"], "intl")
            person = row.get("person")
            if person is None and row.get("person_name_ja"):
                person = Person(name_ja=row["person_name_ja"], name_en=row.get("person_name_en", ""), country=country)
                person.slug = suggest_slug(Person, {"name_en": person.name_en}, person) or f"{meeting.slug}-person-{position}"
                _saved(person, user)
            post = row.get("post")
            if post is None and row.get("post_name_ja"):
                post = Post(name_ja=row["post_name_ja"], name_en=row.get("post_name_en", ""), country=country,
                            organization=row.get("post_organization"))
                post.slug = suggest_slug(Post, {"name_en": post.name_en}, post) or f"{meeting.slug}-post-{position}"
                _saved(post, user)
            _saved(Participation(meeting=meeting, position=position, side=row["side"], person=person, post=post,
                                 role=row.get("role", ""), role_en=row.get("role_en", "")), user)

        source = data.get("source")
        if source is None:
            source = Source(
                title_ja=data["source_title_ja"], title_en=data.get("source_title_en", ""),
                publisher_ja=data.get("source_publisher_ja") or "", url=data.get("source_url", ""),
                text=data["source_text"], text_origin=TextOrigin.PASTED,
            )
            source.issued = data.get("source_issued")
            source.year = source.issued.start.year if source.issued else None
            source.slug = suggest_slug(Source, {"title_en": source.title_en, "year": source.year}, source) or f"{meeting.slug}-source"
            try:
                _saved(source, user)
            except ValidationError as exc:
                raise ValidationError({"source_title_ja": exc.messages}) from None
        citation = Citation(source=source, meeting=meeting, locator=data["locator"], quote=data["quote"], covers_parts=True)
        try:
            _saved(citation, user)
        except ValidationError as exc:
            raise ValidationError({"quote": exc.messages}) from None

        plan = None
        if data.get("publish"):
            plan = PublishPlan(user, [meeting])
            if plan.allowed:
                publish_with_dependencies(user, [meeting], reason=REASON)
    return meeting, plan
