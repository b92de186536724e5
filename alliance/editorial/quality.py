"""The editors' quality report: what needs attention, each item linking to its record."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import Agreement, Citation, Meeting, Seat, Status
from .seedcheck import cited_models, quotes_not_found, uncited

LIMIT = 200


@dataclass
class Section:
    key: str
    title: str
    help: str
    items: list = field(default_factory=list)  # (record label, admin URL, detail)
    total: int = 0

    @property
    def truncated(self):
        return self.total > len(self.items)


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _add(section, rows, detail=lambda obj: ""):
    for obj in rows:
        section.total += 1
        if len(section.items) < LIMIT:
            section.items.append((f"{obj._meta.verbose_name}: {obj}", change_url(obj), detail(obj)))


def _named_models():
    return [m for m, _ in cited_models() if any(f.name == "name_en" for f in m._meta.get_fields())]


def _outside(body_start, body_end, when):
    """True when a (partial) date lies wholly before a body was set up or after it ended."""
    if when is None:
        return False
    if body_start is not None and when.end < body_start.start:
        return True
    return body_end is not None and when.start > body_end.end


def report() -> list[Section]:
    sections = []

    s = Section("uncited", _("出典のない記録"), _("すべての記録に、資料・箇所・引用による出典が必要です。"))
    for model, _name in cited_models():
        _add(s, uncited(model)[: LIMIT + 1])
    sections.append(s)

    s = Section("quotes", _("資料に見つからない引用"), _("引用は資料の文言のとおりでなければなりません（空白の違いは無視します）。"))
    _add(s, quotes_not_found(), lambda c: c.quote[:80])
    sections.append(s)

    s = Section("drafts", _("公開待ちの下書き"), _("公開担当が確認して公開します。"))
    for model, _name in cited_models():
        if any(f.name == "status" for f in model._meta.get_fields()):
            _add(s, model._default_manager.filter(status=Status.DRAFT)[: LIMIT + 1])
    # A draft citation of a published record is pending: it cites nothing yet.
    _add(s, Citation.objects.filter(status=Status.DRAFT).select_related("source")[: LIMIT + 1])
    sections.append(s)

    s = Section("english", _("英語名のない記録"), _("資料に英語名があれば入力してください。なければ空欄のままで構いません。"))
    for model in _named_models():
        _add(s, model._default_manager.filter(name_en="")[: LIMIT + 1])
    sections.append(s)

    s = Section(
        "inactive_body",
        _("協議体の存続期間外の構成員・会議"),
        _("設置前または廃止後の日付を持つ席・会議です。日付か協議体の設置・廃止日を確かめてください。"),
    )
    dated_body = Q(body__established_date__isnull=False) | Q(body__ended_date__isnull=False)
    for seat in Seat.objects.select_related("body").exclude(start_date=None).filter(dated_body):
        if _outside(seat.body.established, seat.body.ended, seat.start):
            _add(s, [seat], lambda o: f"{o.start.iso()} / {o.body}")
    for meeting in Meeting.objects.select_related("body").exclude(start_date=None).filter(dated_body):
        if _outside(meeting.body.established, meeting.body.ended, meeting.start):
            _add(s, [meeting], lambda o: f"{o.start.iso()} / {o.body}")
    sections.append(s)

    s = Section(
        "agreement_dates",
        _("日付の順序がおかしい協定"),
        _("承認・了承が署名より前、または発効が承認より前になっている協定です。"),
    )
    for agreement in Agreement.objects.exclude(approved_date=None):
        signed, approved, in_force = agreement.signed, agreement.approved, agreement.in_force
        if signed and approved.end < signed.start:
            _add(s, [agreement], lambda o: f"署名 {o.signed.iso()} / 承認 {o.approved.iso()}")
        elif in_force and in_force.end < approved.start:
            _add(s, [agreement], lambda o: f"承認 {o.approved.iso()} / 発効 {o.in_force.iso()}")
    sections.append(s)
    return sections
