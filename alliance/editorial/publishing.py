"""The one publishing rule: only a publisher changes what the public sees.

- What an editor adds starts as a draft, and an editor cannot change a status.
- An editor's change to something already published is not written: it becomes a
  *revision* (models.Revision) that a publisher reviews, with the diff, and applies or
  rejects. This holds for every model the public sees (sources, citations, attendees,
  relations and documents included) and for every path: forms, inlines, imports and
  reverts from the history.
The admin and the import resources ask the functions below; nothing else decides.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Publishable, Revision, Source, Status
from . import locking, textchange


class RevisionConflict(Exception):
    """The record changed since the revision was proposed; the message names the fields."""


class RevisionStale(Exception):
    """The revision cannot be applied any more: its record was deleted, or it was applied,
    rejected or closed meanwhile. The message says which, for the publisher."""


def can_publish(user, model) -> bool:
    """The user holds the publish permission of ``model`` (publishers do; see roles.py)."""
    return user is not None and user.has_perm(f"alliance.publish_{model._meta.model_name}")


def stored_status(instance) -> str | None:
    """The status the record has in the database (None for a new record)."""
    if instance.pk is None:
        return None
    return type(instance)._default_manager.filter(pk=instance.pk).values_list("status", flat=True).first()


def allowed_status(user, instance) -> str:
    """The status ``instance`` may have when ``user`` saves it."""
    if can_publish(user, type(instance)):
        return instance.status
    return stored_status(instance) or Status.DRAFT


def may_set_status(user, instance) -> bool:
    """Whether ``user`` may save ``instance`` with the status it carries. A script run
    with no user (``import_file`` without ``--user``) is trusted like the shell."""
    return user is None or instance.status == allowed_status(user, instance)


def needs_review(user, instance) -> bool:
    """A change by ``user`` to ``instance`` must wait for a publisher: the record is
    published and the user may not publish it."""
    if user is None or instance.pk is None or not isinstance(instance, Publishable):
        return False
    return not can_publish(user, type(instance)) and stored_status(instance) == Status.PUBLISHED


# --- revisions --------------------------------------------------------------------------


def _editable_fields(model):
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and not isinstance(f, models.GeneratedField)
    ]


def _text(field, obj):
    value = field.value_from_object(obj)
    return None if value is None else field.value_to_string(obj)


def _ids(values) -> list:
    return sorted(getattr(v, "pk", v) for v in values)


def propose(user, instance, *, m2m=None, reason="", via="") -> Revision | None:
    """Hold ``instance``'s unsaved changes (and many-to-many values, if given) as a revision.
    None when nothing differs from what is stored."""
    model = type(instance)
    stored = model._default_manager.get(pk=instance.pk)
    changes = {}
    for field in _editable_fields(model):
        old, new = _text(field, stored), _text(field, instance)
        if old != new:
            changes[field.name] = [old, new]
    for name, values in (m2m or {}).items():
        old, new = _ids(getattr(stored, name).all()), _ids(values)
        if old != new:
            changes[name] = [old, new]
    if not changes:
        return None
    return Revision.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_id=instance.pk,
        record_label=str(stored)[:300],
        changes=changes,
        reason=(reason or "")[:200],
        via=(via or "")[:100],
        author=user,
    )


def add_to_revision(revision, instance, name, values):
    """A many-to-many change arriving after the record's own fields (imports save them last)."""
    old, new = _ids(getattr(type(instance)._default_manager.get(pk=instance.pk), name).all()), _ids(values)
    if old != new:
        revision.changes[name] = [old, new]
        revision.save(update_fields=["changes"])


def apply_revision(revision, reviewer, *, withdraw=None):
    """Write a pending revision to its record, as the reviewer. Raises RevisionConflict
    when the record has changed since it was proposed, RevisionStale when the record is
    gone or the revision is no longer pending, and textchange.CitationsWouldBreak when it
    changes a source's text so that citations would quote text no longer in it, unless
    every one of them is in ``withdraw`` (citation ids the publisher saw and agreed to set
    back to draft; ``revision.withdrawn`` then lists those withdrawn). Nothing is written
    when it raises (a revision of a deleted record is closed).

    The record is locked as every editorial write locks it (locking.lock: its parents,
    as stored and as the revision would point, then the record), before the revision row,
    in the order a deletion takes them (a record's deletion closes its revisions)."""
    model = revision.content_type.model_class()
    if not Revision.objects.filter(pk=revision.pk, state=Revision.State.PENDING).exists():
        raise RevisionStale(_not_pending(Revision.objects.filter(pk=revision.pk).first() or revision))
    with transaction.atomic():
        obj = _locked_target(revision, model)
        if obj is not None:
            _write(revision, model, obj, reviewer, withdraw)
    if obj is None:
        raise RevisionStale(_gone(revision))
    return obj


def _locked_target(revision, model):
    """The revision's record, locked and read again after the lock, or None when it is gone
    (the revision is then closed). Raises RevisionStale when the revision is no longer pending."""
    target = model._default_manager.filter(pk=revision.object_id).first()
    if target is not None:
        for name, (_old, new) in revision.changes.items():
            field = _field(model, name)
            if field is not None and field.concrete and not field.many_to_many:
                setattr(target, field.attname, _value(field, new))
        locking.lock(target)
    locked = Revision.objects.select_for_update().filter(pk=revision.pk).first()
    if locked is None or locked.state != Revision.State.PENDING:
        raise RevisionStale(_not_pending(locked or revision))
    obj = model._default_manager.filter(pk=revision.object_id).first()
    if obj is None:
        close_revision(locked)
    return obj


def _write(revision, model, obj, reviewer, withdraw):
    conflicts = []
    for name, (old, _new) in revision.changes.items():
        field = _field(model, name)
        if field is None:
            raise RevisionConflict(name)
        current = _ids(getattr(obj, name).all()) if field.many_to_many else _text(field, obj)
        if current != old:
            conflicts.append(str(field.verbose_name))
    if conflicts:
        raise RevisionConflict(", ".join(conflicts))
    broken = []
    if "text" in revision.changes and isinstance(obj, Source):
        broken = textchange.check(obj, revision.changes["text"][1], withdraw_ids=withdraw)
    later = {}
    for name, (_old, new) in revision.changes.items():
        field = model._meta.get_field(name)
        if field.many_to_many:
            later[name] = new
        else:
            setattr(obj, field.attname, _value(field, new))
    obj.full_clean()
    author = revision.author.get_username() if revision.author else "?"
    obj._history_user = reviewer
    obj._change_reason = f"修正案 #{revision.pk}（{author}）: {revision.reason}"[:100]
    obj.save()
    for name, ids in later.items():
        getattr(obj, name).set(ids)
    textchange.withdraw(broken, user=reviewer, because=f"修正案 #{revision.pk}")
    revision.withdrawn = [item.citation for item in broken]
    revision.state = Revision.State.APPLIED
    revision.reviewer = reviewer
    revision.reviewed_at = timezone.now()
    revision.save(update_fields=["state", "reviewer", "reviewed_at"])


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _value(field, text):
    return None if text is None else field.to_python(text)


def _not_pending(revision) -> str:
    if revision.state == Revision.State.CLOSED:
        return _gone(revision)
    return str(_("修正案 #%(id)s はすでに「%(state)s」です。") % {"id": revision.pk, "state": revision.get_state_display()})


def _gone(revision) -> str:
    return str(
        _("修正案 #%(id)s の記録「%(record)s」は削除されています。この修正案は「記録の削除で終了」にしました。")
        % {"id": revision.pk, "record": revision.record_label}
    )


def close_revision(revision):
    """Close a pending revision whose record is gone (the database does it when the record
    is deleted; this is for one found pending all the same, e.g. from an older backup)."""
    Revision.objects.filter(pk=revision.pk, state=Revision.State.PENDING).update(
        state=Revision.State.CLOSED, reviewed_at=timezone.now()
    )
    revision.state = Revision.State.CLOSED


def reject_revision(revision, reviewer):
    revision.state = Revision.State.REJECTED
    revision.reviewer = reviewer
    revision.reviewed_at = timezone.now()
    revision.save(update_fields=["state", "reviewer", "reviewed_at"])


def revision_diff(revision) -> list[tuple[str, str, str]]:
    """(field label, stored, proposed) for display: choice labels, related records' names."""
    model = revision.content_type.model_class()
    rows = []
    for name, (old, new) in revision.changes.items():
        field = model._meta.get_field(name)
        rows.append((str(field.verbose_name), _display(field, old), _display(field, new)))
    return rows


def _display(field, value):
    if value is None or value == "":
        return "—"
    if field.many_to_many or field.many_to_one:
        ids = value if isinstance(value, list) else [field.to_python(value)]
        names = {o.pk: str(o) for o in field.related_model._default_manager.filter(pk__in=ids)}
        return "、".join(names.get(i, f"#{i}") for i in ids) or "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


# --- publishing with what a record depends on ----------------------------------------

# What a record needs for the public to see it whole. ``parts`` are shown on its own page
# (its attendees, its documents, its seats, its citations) and go public with it, with
# what they need in turn; ``names`` are records it points at (the meeting's body, an
# attendee's person and post, a citation's source), which go public too, with what they
# name and their own citations, but not their parts (publishing a meeting does not
# publish its body's seats). An attendee also needs the tenure that says its person held
# its post. This is the one place the rule is written.
_CITED = ("citations",)
DEPENDENCIES = {
    "meeting": {"parts": ("participations", "meeting_documents", *_CITED), "names": ("body",)},
    "participation": {"parts": _CITED, "names": ("person", "post", "organization", "tenure")},
    "meetingdocument": {"parts": _CITED, "names": ("agreement",)},
    "body": {"parts": ("seats", *_CITED), "names": ()},
    "seat": {"parts": _CITED, "names": ("post", "organization", "person")},
    "tenure": {"parts": _CITED, "names": ("person", "post")},
    "post": {"parts": _CITED, "names": ("organization",)},
    "person": {"parts": _CITED, "names": ()},
    "organization": {"parts": _CITED, "names": ()},
    "agreement": {"parts": ("relations_out", *_CITED), "names": ("parties",)},
    "agreementrelation": {"parts": _CITED, "names": ("object",)},
    "event": {"parts": _CITED, "names": ("part_of",)},
    "bodylink": {"parts": _CITED, "names": ("from_body", "to_body")},
    "citation": {"parts": (), "names": ("source",)},
    "source": {"parts": (), "names": ()},
}


def _related(obj, name) -> list:
    if name == "tenure":
        # The tenure that shows the attendee's person in the post they attended in.
        if getattr(obj, "person_id", None) and getattr(obj, "post_id", None):
            from ..models import Tenure

            return list(Tenure.objects.filter(person_id=obj.person_id, post_id=obj.post_id))
        return []
    field = obj._meta.get_field(name)
    if field.many_to_one or field.one_to_one:
        value = getattr(obj, name)
        return [value] if value is not None else []
    return list(getattr(obj, field.get_accessor_name() if field.auto_created else name).all())


def _key(obj):
    return (obj._meta.model_name, obj.pk)


def dependencies(records) -> list:
    """Every record the given ones depend on (see DEPENDENCIES), the given ones excluded,
    in the order found: parts before what they name."""
    roots = {_key(r) for r in records}
    seen, found = set(roots), []
    queue = [(r, True) for r in records]
    while queue:
        obj, whole = queue.pop(0)
        rule = DEPENDENCIES.get(obj._meta.model_name, {"parts": (), "names": ()})
        parts = rule["parts"] if whole else tuple(n for n in rule["parts"] if n in _CITED)
        for name in parts:
            for related in _related(obj, name):
                if _key(related) not in seen:
                    seen.add(_key(related))
                    found.append(related)
                    queue.append((related, whole))
        for name in rule["names"]:
            for related in _related(obj, name):
                if _key(related) not in seen:
                    seen.add(_key(related))
                    found.append(related)
                    queue.append((related, False))
    return found


class PublishPlan:
    """What publishing ``records`` takes: the drafts among them and their dependencies,
    and those of the drafts the user may not publish."""

    def __init__(self, user, records):
        self.records = list(records)
        self.drafts = [r for r in self.records if getattr(r, "status", None) == Status.DRAFT]
        self.dependencies = [d for d in dependencies(self.records) if getattr(d, "status", None) == Status.DRAFT]
        self.refused = [d for d in [*self.drafts, *self.dependencies] if user is not None and not can_publish(user, type(d))]

    @property
    def allowed(self) -> bool:
        return not self.refused

    def labels(self, records) -> list[str]:
        return [f"{r._meta.verbose_name}: {r}" for r in records]


def publish_with_dependencies(user, records, *, reason="") -> PublishPlan:
    """Publish ``records`` and every draft they depend on, in one transaction, or nothing
    when the user may not publish one of them (the plan's ``refused`` says which)."""
    plan = PublishPlan(user, records)
    if not plan.allowed:
        return plan
    with transaction.atomic():
        for obj in [*plan.drafts, *plan.dependencies]:
            obj.status = Status.PUBLISHED
            obj._history_user = user
            obj._change_reason = str(reason)[:100]
            obj.save(update_fields=["status"])
    return plan
