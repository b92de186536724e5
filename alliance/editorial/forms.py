"""Forms for the editorial admin: one text box per partial date, slugs suggested when left blank."""

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ..models import TextOrigin
from ..partial_dates import PartialDate
from . import locking

PARTIAL_DATE_HELP = _(
    "例: 1996 / 2009-11 / 2017-04-25 / 2009年11月 / 2017年4月25日 / 平成21年11月 / 令和7年3月 / 2022年度 / 2025年3月末 / 1996年末。"
    "分かる精度までで構いません。"
)


class PartialDateFormField(forms.CharField):
    """A date typed at year, month or day precision, in Western or Japanese era form."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", PARTIAL_DATE_HELP)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"placeholder": _("例 2009-11"), "size": 18, "maxlength": 40, "class": "partial-date"}
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, PartialDate):
            return value.iso()
        return value

    def to_python(self, value):
        if isinstance(value, PartialDate):
            return value
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        return PartialDate.parse(value)


class RegistryModelForm(forms.ModelForm):
    """Puts the partial-date text boxes on the instance and suggests a slug if none is typed."""

    change_reason = forms.CharField(
        label=_("変更理由"),
        required=False,
        max_length=100,
        help_text=_("任意。履歴に残ります（例: 令和7年版白書に合わせて修正）。"),
    )

    # What the record and its inline rows looked like when the form was opened: a save over
    # a record that someone else changed since is refused with a conflict, not written over
    # their change (see locking.py).
    edit_token = forms.CharField(widget=forms.HiddenInput, required=False)

    # True for a record's own change page (the admin sets it); an inline row's form is
    # covered by its parent's fingerprint instead.
    guards_edits = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.guards_edits and self.instance.pk is not None and not self.is_bound:
            self.fields["edit_token"].initial = record_fingerprint(self.instance)
        for name in getattr(self._meta.model, "partial_date_names", ()):
            if name in self.fields:
                self.initial.setdefault(name, getattr(self.instance, name))
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("空欄なら英語名・略称などから自動で作ります。") + " " + str(
                self.fields["slug"].help_text
            )

    def clean(self):
        cleaned = super().clean()
        if self.guards_edits and self.instance.pk is not None:
            self.check_not_changed(cleaned.get("edit_token"))
        for name in getattr(self._meta.model, "partial_date_names", ()):
            if name in self.fields and name not in self.errors:
                setattr(self.instance, name, cleaned.get(name))
        if "slug" in self.fields and not cleaned.get("slug") and "slug" not in self.errors:
            suggestion = suggest_slug(self._meta.model, cleaned, self.instance)
            if not suggestion:
                self.add_error("slug", _("自動で作れませんでした。英数字で入力してください。"))
            else:
                cleaned["slug"] = suggestion
        return cleaned


    def check_not_changed(self, token):
        """Lock the record (its parents first), then compare what is stored now with what
        the form was opened with. Runs inside the admin's transaction, so the lock is held
        until this save commits: a simultaneous save waits here, then sees the change."""
        if not token:
            raise forms.ValidationError(
                _(
                    "このフォームには、開いたときの記録の状態（確認用の値）がありません。上書きを防ぐため保存しませんでした。"
                    "ページを開き直してから変更してください。"
                ),
                code="token_missing",
            )
        locking.lock(self.instance)
        if token != record_fingerprint(self.instance):
            raise forms.ValidationError(CONFLICT, code="conflict")


CONFLICT = _(
    "この記録（または一覧内の行）は、あなたがこのページを開いた後にほかの人が変更しました。上書きしないよう保存を止めました。"
    "別のタブで最新の内容を開き、必要な変更を入れ直してください（履歴で相手の変更を確かめられます）。"
)


def record_fingerprint(instance) -> str:
    """A digest of the record as stored now, with its many-to-many links and inline rows."""
    return locking.fingerprint(type(instance), instance.pk)


def _slug_of(value):
    return getattr(value, "slug", "") if value is not None else ""


def suggest_slug(model, data, instance) -> str:
    """A unique slug from what the editor typed: English name, abbreviation or related slugs."""
    name = model._meta.model_name
    if name == "seat":
        member = data.get("post") or data.get("organization") or data.get("person")
        parts = [_slug_of(data.get("body")), data.get("side") or "", _slug_of(member)]
    elif name == "tenure":
        parts = [_slug_of(data.get("post")), _slug_of(data.get("person"))]
    elif name == "meeting":
        start = data.get("start")
        parts = [_slug_of(data.get("body")) or slugify(data.get("name_en") or ""), start.iso() if start else ""]
    elif name == "source":
        parts = [data.get("title_en") or "", str(data.get("year") or "")]
    else:
        parts = [data.get("name_en") or data.get("abbreviation") or ""]
    base = slugify("-".join(p for p in parts if p))[:100].strip("-")
    if not base:
        return ""
    candidate, counter = base, 2
    others = model._default_manager.exclude(pk=instance.pk) if instance.pk else model._default_manager.all()
    while others.filter(slug=candidate).exists():
        candidate = f"{base}-{counter}"
        counter += 1
    return candidate


class SourceForm(RegistryModelForm):
    """A source's text is pasted, or read from an uploaded text, PDF or HTML file. New
    text is checked against every citation of the source first (textchange.py): a change
    that would leave quotes not found in it is refused with the list, unless the person
    saving ticks the box that withdraws those citations."""

    text_file = forms.FileField(
        label=_("本文のファイル"),
        required=False,
        help_text=_("テキスト（.txt）、PDF、HTML のどれか。選ぶと、その本文で上の「本文」を置き換えます。"),
    )
    withdraw_broken_citations = forms.BooleanField(
        label=_("本文に見つからなくなる出典を下書きに戻す"),
        required=False,
        help_text=_(
            "本文を変えると引用が見つからなくなる出典があるとき、保存は止まり、その出典の一覧が出ます。"
            "一覧の出典を下書きに戻して（取り下げて）保存するときだけ選んでください。履歴に理由が残ります。"
        ),
    )

    # Set by the admin for the request (admin/sources.py): the save will only propose a
    # revision (an editor's change to a published source), and whether the user may
    # withdraw published citations.
    proposing = False
    may_withdraw_published = False

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("text_file")
        if upload:
            from .sourcetext import SourceFileError, read_upload

            try:
                from_file = read_upload(upload.name, upload.read())
            except SourceFileError as exc:
                self.add_error("text_file", str(exc))
            else:
                cleaned["text"], cleaned["text_origin"] = from_file.text, from_file.origin
        elif cleaned.get("text") and not self.instance.text and "text_origin" not in self.changed_data:
            # A first text, pasted into the box (an editor who says where it came from is
            # believed). A correction of a text keeps what the text was.
            cleaned["text_origin"] = TextOrigin.PASTED
        self.broken_citations = []
        if self.instance.pk is not None and "text" in cleaned and not self.errors:
            self._check_citations(cleaned)
        return cleaned

    def _check_citations(self, cleaned):
        from . import textchange

        broken = textchange.broken_citations(self.instance, cleaned["text"])
        self.broken_citations = broken
        if not broken or self.proposing:
            return  # a proposal is saved with a warning; the publisher decides when applying
        if not cleaned.get("withdraw_broken_citations"):
            self.add_error("text", [textchange.refusal(self.instance, broken), *(item.line() for item in broken)])
        elif any(item.published for item in broken) and not self.may_withdraw_published:
            self.add_error(
                "withdraw_broken_citations",
                _("公開中の出典を下書きに戻すには公開担当の権限が必要です。引用が見つかるよう本文を直すか、公開担当に依頼してください。"),
            )


def registry_form(model) -> type[RegistryModelForm]:
    """A ModelForm base for ``model`` with one PartialDateFormField per partial date."""
    attrs = {}
    for name in getattr(model, "partial_date_names", ()):
        label = model._meta.get_field(f"{name}_date").verbose_name
        attrs[name] = PartialDateFormField(label=label)
    base = SourceForm if model._meta.model_name == "source" else RegistryModelForm
    return type(f"{model.__name__}Form", (base,), attrs)
