"""Changesets: everything one intake made from one source, reviewed and published together."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .sources import Source


class ChangesetQuerySet(models.QuerySet):
    def in_review(self):
        return self.filter(state=Changeset.State.IN_REVIEW)

    def sent_back_to(self, user):
        return self.filter(state=Changeset.State.NEEDS_CHANGES, author=user)


class Changeset(models.Model):
    """The records, citations and proposed revisions one intake of a source made."""

    class State(models.TextChoices):
        IN_REVIEW = "review", _("確認待ち")
        NEEDS_CHANGES = "changes", _("差し戻し")
        PUBLISHED = "published", _("公開済み")

    OPEN = (State.IN_REVIEW, State.NEEDS_CHANGES)

    source = models.ForeignKey(
        Source,
        verbose_name=_("資料"),
        # The record of what was reviewed outlives nothing it groups: keep the source.
        on_delete=models.PROTECT,
        related_name="changesets",
    )
    label = models.CharField(_("内容"), max_length=300)
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.IN_REVIEW)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登録者"),
        null=True,
        # The changeset stays on record when an account is removed.
        on_delete=models.SET_NULL,
        related_name="alliance_changesets",
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    objects = ChangesetQuerySet.as_manager()

    class Meta:
        verbose_name = _("変更セット（報道発表からの登録）")
        verbose_name_plural = _("変更セット（報道発表からの登録）")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"], name="changeset_state")]

    def __str__(self):
        return f"#{self.pk} {self.label}"

    @property
    def last_note(self) -> str:
        """The note of the last time it was sent back (what the editor is asked to do)."""
        sent_back = [r for r in self.reviews.all() if r.decision == ChangesetReview.Decision.SENT_BACK]
        return sent_back[-1].note if sent_back else ""

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN


class ChangesetMember(models.Model):
    """One record (or proposed revision) in a changeset."""

    changeset = models.ForeignKey(Changeset, verbose_name=_("変更セット"), on_delete=models.CASCADE, related_name="members")
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("記録の種類"),
        # A content type outlives the rows that name it.
        on_delete=models.PROTECT,
        related_name="alliance_changeset_members",
    )
    object_id = models.PositiveBigIntegerField(_("記録のID"))
    record = GenericForeignKey("content_type", "object_id")
    position = models.PositiveIntegerField(_("順"), default=0)
    # Mirrors the changeset's state being open, so one index can say "at most one open
    # changeset per record" (a partial unique index cannot look at another table).
    is_open = models.BooleanField(_("確認中"), default=True)

    class Meta:
        verbose_name = _("変更セットの記録")
        verbose_name_plural = _("変更セットの記録")
        ordering = ["changeset", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], condition=Q(is_open=True), name="changesetmember_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.changeset_id}: {self.content_type.model} #{self.object_id}"


class ChangesetReview(models.Model):
    """One decision on a changeset: published, sent back (with a note), resubmitted."""

    class Decision(models.TextChoices):
        PUBLISHED = "published", _("公開")
        SENT_BACK = "sent_back", _("差し戻し")
        RESUBMITTED = "resubmitted", _("再提出")

    changeset = models.ForeignKey(Changeset, verbose_name=_("変更セット"), on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(_("判断"), max_length=12, choices=Decision.choices)
    note = models.TextField(_("メモ"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("判断した人"),
        null=True,
        # The decision stays on record when an account is removed.
        on_delete=models.SET_NULL,
        related_name="alliance_changeset_reviews",
    )
    at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("変更セットの確認")
        verbose_name_plural = _("変更セットの確認")
        ordering = ["changeset", "at", "pk"]

    def __str__(self):
        return f"{self.changeset_id}: {self.get_decision_display()}"
