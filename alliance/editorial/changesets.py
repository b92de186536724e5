"""The review actions on a changeset (what one intake made): publish all of it, send it
back with a note, resubmit it. As Wagtail's workflow does, each decision is one review
row; as django-reversion's revert does, publishing is all or nothing."""

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Changeset, ChangesetReview, Revision
from .publishing import PublishPlan, apply_revision, can_publish, publish_with_dependencies


class ChangesetError(Exception):
    """The action does not apply (the message says why); nothing was written."""


def members(changeset) -> tuple[list, list]:
    """(records, pending revisions) of a changeset, in the order the intake wrote them."""
    records, revisions = [], []
    for member in changeset.members.select_related("content_type"):
        obj = member.content_type.get_object_for_this_type(pk=member.object_id) if member.content_type.model_class() else None
        if obj is None:
            continue
        if isinstance(obj, Revision):
            if obj.state == Revision.State.PENDING:
                revisions.append(obj)
        else:
            records.append(obj)
    return records, revisions


def may_review(user) -> bool:
    from ..models import Meeting

    return can_publish(user, Meeting) and user.has_perm("alliance.change_revision")


def _locked(changeset):
    return Changeset.objects.select_for_update().get(pk=changeset.pk)


def publish(changeset, user) -> PublishPlan:
    """Publish every record of the changeset with what it depends on, and apply its
    revisions, in one transaction; or nothing (the plan's refused says who may not)."""
    if not may_review(user):
        raise ChangesetError(_("公開担当だけが変更セットを公開できます。"))
    with transaction.atomic():
        current = _locked(changeset)
        if current.state != Changeset.State.IN_REVIEW:
            raise ChangesetError(_("この変更セットは確認待ちではありません（%(state)s）。") % {"state": current.get_state_display()})
        records, revisions = members(current)
        plan = PublishPlan(user, records)
        if not plan.allowed:
            return plan
        publish_with_dependencies(user, records, reason=f"変更セット #{current.pk} の公開")
        for revision in revisions:
            apply_revision(revision, user)
        current.state = Changeset.State.PUBLISHED
        current.save(update_fields=["state"])
        current.members.update(is_open=False)
        ChangesetReview.objects.create(changeset=current, decision=ChangesetReview.Decision.PUBLISHED, reviewer=user)
    changeset.state = current.state
    return plan


def send_back(changeset, user, note: str):
    """Back to its editor with a note they see; nothing is published."""
    if not may_review(user):
        raise ChangesetError(_("公開担当だけが差し戻せます。"))
    if not note.strip():
        raise ChangesetError(_("差し戻すときは、直してほしいことをメモに書いてください。"))
    with transaction.atomic():
        current = _locked(changeset)
        if current.state != Changeset.State.IN_REVIEW:
            raise ChangesetError(_("この変更セットは確認待ちではありません（%(state)s）。") % {"state": current.get_state_display()})
        current.state = Changeset.State.NEEDS_CHANGES
        current.save(update_fields=["state"])
        ChangesetReview.objects.create(changeset=current, decision=ChangesetReview.Decision.SENT_BACK, reviewer=user, note=note.strip())
    changeset.state = current.state


def resubmit(changeset, user, note: str = ""):
    """The editor has made the changes asked for: the same changeset goes back for review."""
    with transaction.atomic():
        current = _locked(changeset)
        if current.state != Changeset.State.NEEDS_CHANGES:
            raise ChangesetError(_("差し戻された変更セットだけを再提出できます。"))
        current.state = Changeset.State.IN_REVIEW
        current.save(update_fields=["state"])
        ChangesetReview.objects.create(changeset=current, decision=ChangesetReview.Decision.RESUBMITTED, reviewer=user, note=note.strip())
    changeset.state = current.state
