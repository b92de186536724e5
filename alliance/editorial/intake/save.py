"""The one save of an intake: the source, the meeting (or additions to one already
recorded), its attendees, any new people, posts, tenures and seats, each with a citation
to the sentence that states it, and the changeset grouping them — in one transaction,
or nothing. Quotes arrive as exact text with context (the browser's selection) and are
placed in the source's text here, so every quote is a slice of it."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ...models import (
    Changeset,
    ChangesetMember,
    Citation,
    Meeting,
    Participation,
    Person,
    Post,
    Seat,
    Side,
    Source,
    Status,
    Tenure,
    TextOrigin,
)
from .. import locking
from ..forms import suggest_slug
from ..naming import fallback_slug, meeting_name_ja
from ..publishing import needs_review, propose
from .anchoring import anchor, digest

COUNTRY_OF_SIDE = {Side.JAPAN: "jp", Side.US: "us", Side.OTHER: "intl"}
LOCATOR = "本文"


def reason_of(changeset) -> str:
    """What the history of every record the intake writes says (simple-history's reason)."""
    return f"報道発表の取込 #{changeset.pk}"


class _Writer:
    def __init__(self, user, text):
        self.user, self.text, self.digest = user, text, digest(text)
        self.changeset = None
        self.members = []

    def save(self, obj, *, member=True):
        obj._history_user = self.user
        obj._change_reason = reason_of(self.changeset) if self.changeset else "報道発表の取込"
        obj.full_clean()
        obj.save()
        if member:
            self.members.append(obj)
        return obj

    def place(self, quote: dict, what: str):
        found = anchor(self.text, quote.get("exact", ""), quote.get("prefix", ""), quote.get("suffix", ""), quote.get("start"))
        if found is None:
            raise ValidationError(_("%(what)s の引用が本文に見つかりません。本文から選び直してください。") % {"what": what})
        return found

    def cite(self, source, record, quote: dict, what: str, field: str = "", covers_parts=False):
        if not quote or not quote.get("exact"):
            raise ValidationError(_("%(what)s の引用がありません。本文から選んでください。") % {"what": what})
        found = self.place(quote, what)
        citation = Citation(
            source=source, locator=LOCATOR, quote=found.exact, field=field, covers_parts=covers_parts,
            quote_prefix=found.prefix, quote_suffix=found.suffix, quote_start=found.start, quote_end=found.end,
            text_digest=self.digest, status=Status.DRAFT,
        )
        setattr(citation, record._meta.model_name if record._meta.model_name != "meetingdocument" else "meeting_document", record)
        return self.save(citation)


def intake_save(*, user, source: dict, meeting: dict, attendees: list[dict]) -> Changeset:
    """Write what the editor confirmed (see admin/intake.py for the shapes), as drafts,
    with one citation per record, grouped in a new changeset. A ValidationError leaves
    nothing written."""
    text = source["text"]
    w = _Writer(user, text)
    with transaction.atomic():
        src = Source(
            title_ja=source["title_ja"], title_en=source.get("title_en", ""), publisher_ja=source["publisher_ja"],
            publisher_en=source.get("publisher_en", ""), url=source.get("url", ""), text=text,
            text_origin=source.get("text_origin") or TextOrigin.PASTED, status=Status.DRAFT,
        )
        src.issued = source.get("issued")
        src.year = src.issued.start.year if src.issued else None
        src.slug = suggest_slug(Source, {"title_en": src.title_en, "year": src.year}, src) or suggest_slug(
            Source, {"title_en": "press-release", "year": src.year}, src
        )
        w.save(src)
        w.changeset = Changeset.objects.create(source=src, label=src.title_ja[:300], author=user)
        src.history.filter(history_change_reason="報道発表の取込").update(history_change_reason=reason_of(w.changeset))

        existing = meeting.get("existing")
        if existing is not None:
            locking.lock(existing)
            record = existing
            _additions(w, existing, meeting)
        else:
            record = Meeting(
                body=meeting.get("body"), kind=meeting["kind"], session_number=meeting.get("session_number"),
                place_ja=meeting.get("place_ja", ""), place_en=meeting.get("place_en", ""),
                outcomes_ja=meeting.get("outcomes_ja", ""), outcomes_en=meeting.get("outcomes_en", ""),
                status=Status.DRAFT,
            )
            record.start = meeting["start"]
            record.name_ja = meeting.get("name_ja") or meeting_name_ja(record.body, record.session_number, record.kind)
            record.slug = fallback_slug(Meeting, {"body": record.body, "start": record.start}, record, f"meeting-{w.changeset.pk}")
            w.save(record)
        w.cite(src, record, meeting.get("quote"), _("会議"))
        if meeting.get("outcomes_quote") and meeting["outcomes_quote"].get("exact") and meeting.get("outcomes_ja"):
            w.cite(src, record, meeting["outcomes_quote"], _("成果"), field="outcomes_ja")

        position = Participation.next_position(record.pk)
        for n, row in enumerate(attendees, 1):
            what = _("出席者%(n)d") % {"n": n}
            country = COUNTRY_OF_SIDE.get(row["side"], "intl")
            quote = row.get("quote") or meeting.get("quote")
            person = row.get("person")
            if person is None and row.get("person_name_ja"):
                person = Person(name_ja=row["person_name_ja"], name_en=row.get("person_name_en", ""), country=country, status=Status.DRAFT)
                person.slug = fallback_slug(Person, {"name_en": person.name_en}, person, f"person-{w.changeset.pk}-{n}")
                w.save(person)
                w.cite(src, person, quote, what)
            post = row.get("post")
            if post is None and row.get("post_name_ja"):
                post = Post(name_ja=row["post_name_ja"], name_en=row.get("post_name_en", ""), country=country,
                            organization=row.get("post_organization"), status=Status.DRAFT)
                post.slug = fallback_slug(Post, {"name_en": post.name_en}, post, f"post-{w.changeset.pk}-{n}")
                w.save(post)
                w.cite(src, post, quote, what)
            if person is None and post is None:
                continue
            participation = Participation(meeting=record, position=position, side=row["side"], person=person, post=post,
                                          role=row.get("role", ""), role_en=row.get("role_en", ""), status=Status.DRAFT)
            position += 1
            w.save(participation)
            w.cite(src, participation, quote, what)
            if person is not None and post is not None:
                held = Tenure.objects.filter(person=person, post=post)
                if not any(t.start is None or t.start <= record.start and (t.end is None or t.end >= record.start) for t in held):
                    tenure = Tenure(person=person, post=post, status=Status.DRAFT)
                    tenure.start = record.start
                    tenure.end = record.start
                    tenure.slug = suggest_slug(Tenure, {"post": post, "person": person}, tenure)
                    w.save(tenure)
                    w.cite(src, tenure, quote, what)
            if row.get("seat") and record.body is not None and post is not None:
                if not Seat.objects.filter(body=record.body, post=post).exists():
                    seat = Seat(body=record.body, side=row["side"], post=post, role=row.get("role", ""),
                                role_en=row.get("role_en", ""), status=Status.DRAFT)
                    seat.slug = suggest_slug(Seat, {"body": record.body, "side": seat.side, "post": post}, seat)
                    w.save(seat)
                    w.cite(src, seat, quote, what)

        _add_members(w.changeset, w.members)
    return w.changeset


def _additions(w, meeting, data):
    """A second release about a recorded meeting: what it adds to empty fields. A change
    to a published meeting by someone who may not publish waits as a revision."""
    changed = False
    for name in ("place_ja", "place_en", "outcomes_ja", "outcomes_en"):
        if data.get(name) and not getattr(meeting, name):
            setattr(meeting, name, data[name])
            changed = True
    if not changed:
        return
    if needs_review(w.user, meeting):
        revision = propose(w.user, meeting, reason=reason_of(w.changeset), via=reason_of(w.changeset))
        if revision is not None:
            w.members.append(revision)
    else:
        w.save(meeting, member=False)


def _add_members(changeset, records):
    types = {}
    rows = []
    for position, obj in enumerate(records):
        model = type(obj)
        if model not in types:
            types[model] = ContentType.objects.get_for_model(model)
        rows.append(ChangesetMember(changeset=changeset, content_type=types[model], object_id=obj.pk, position=position))
    ChangesetMember.objects.bulk_create(rows)


def proposed_meeting_exists(body, start, session_number):
    probe = Meeting(body=body, session_number=session_number)
    probe.start = start
    return Meeting.objects.likely_duplicates_of(probe).first()
