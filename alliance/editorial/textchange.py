"""A change to a source's text re-verifies every citation of that source first.

New text for a source (pasted or uploaded on its page, or an editor's revision that a
publisher applies) is checked against the quotes of all its citations before it is
written. The citations whose quote would no longer be found in it (whitespace aside, as
every quote is checked) are listed with their record, field and quote, and the change is
refused unless the person making it withdraws them explicitly: they are set back to
draft, each with a history entry saying which change of text took its quote away, so an
editor can fix the quote against the new text and have it published again. Nothing is
left quoting text that is not there, and nothing is withdrawn without being listed.

The source page's form (forms.SourceForm), the admin (admin/sources.py, admin/review.py)
and applying a revision (publishing.apply_revision) all call these functions.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..models import Citation, Status
from ..models.base import newlines_to_lf
from ..models.sources import SourceText


class CitationsWouldBreak(Exception):
    """The new text would leave these citations quoting text that is not in it."""

    def __init__(self, source, broken: list["BrokenCitation"]):
        self.source, self.broken = source, broken
        super().__init__(refusal(source, broken))


@dataclass(frozen=True)
class BrokenCitation:
    """A citation whose quote the new text no longer holds, described for the person deciding."""

    citation: Citation

    @property
    def pk(self) -> int:
        return self.citation.pk

    @property
    def record(self) -> str:
        record = self.citation.record
        return f"{record._meta.verbose_name}: {record}" if record is not None else "—"

    @property
    def field(self) -> str:
        return self.citation.field or _("記録全体")

    @property
    def quote(self) -> str:
        quote = " ".join(self.citation.quote.split())
        return quote if len(quote) <= 80 else quote[:80] + "…"

    @property
    def published(self) -> bool:
        return self.citation.status == Status.PUBLISHED

    def line(self) -> str:
        return _("出典 #%(id)s（%(status)s）— %(record)s — 項目: %(field)s — 引用「%(quote)s」") % {
            "id": self.pk,
            "status": self.citation.get_status_display(),
            "record": self.record,
            "field": self.field,
            "quote": self.quote,
        }


def _record_paths() -> list[str]:
    from .admin.base import citation_record_paths

    return citation_record_paths()


def broken_citations(source, new_text: str) -> list[BrokenCitation]:
    """The citations of ``source`` whose quote is not in ``new_text`` (all of them when the
    new text is empty), in the order of their ids. Empty when the text does not change."""
    new_text = newlines_to_lf(new_text or "")
    stored = type(source)._default_manager.filter(pk=source.pk).values_list("text", flat=True).first()
    if source.pk is None or stored is None or new_text == stored:
        return []
    index = SourceText(new_text)
    broken = []
    citations = Citation.objects.filter(source_id=source.pk).select_related(*_record_paths()).order_by("pk")
    for citation in citations:
        match = index.locate(citation.quote)
        if match is None or not match.found:
            broken.append(BrokenCitation(citation))
    return broken


def refusal(source, broken: list[BrokenCitation]) -> str:
    return _(
        "この本文にすると、資料「%(source)s」の出典 %(n)d 件の引用が本文に見つからなくなります。"
        "引用が見つかるよう本文を直すか、これらの出典を下書きに戻して（取り下げて）から変更してください。"
    ) % {"source": source.title_ja, "n": len(broken)}


def withdraw(broken: list[BrokenCitation], *, user, because: str) -> int:
    """Set the listed citations back to draft, each with a history entry saying why.
    Returns how many were withdrawn (drafts already are recorded too, with the reason)."""
    for item in broken:
        citation = item.citation
        citation.status = Status.DRAFT
        citation._history_user = user
        citation._change_reason = (_("本文の変更で引用が見つからないため取り下げ: %(because)s") % {"because": because})[:100]
        citation.save(update_fields=["status"])
    return len(broken)


def check(source, new_text: str, *, withdraw_ids=None) -> list[BrokenCitation]:
    """The citations the new text breaks, after making sure each is allowed to go: raise
    CitationsWouldBreak unless every one of them is among ``withdraw_ids`` (the ones the
    person saw listed and agreed to withdraw; None: none agreed)."""
    broken = broken_citations(source, new_text)
    agreed = set(withdraw_ids or ())
    if any(item.pk not in agreed for item in broken):
        raise CitationsWouldBreak(source, broken)
    return broken
