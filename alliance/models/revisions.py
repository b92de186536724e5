"""Changes that editors propose to published records, waiting for a publisher."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class RevisionQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=Revision.State.PENDING)

    def for_record(self, obj):
        return self.filter(content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk)


class Revision(models.Model):
    """An editor's change to a published record, held until a publisher applies or rejects it.

    ``changes`` maps each changed field to [stored value, proposed value], both as the
    field's serialised text (many-to-many fields as lists of ids), so the publisher sees
    exactly what would change and applying it can tell if the record moved on meanwhile.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("承認待ち")
        APPLIED = "applied", _("反映済み")
        REJECTED = "rejected", _("却下")
        # Closed by the database when the record is deleted (see CLOSE_ON_DELETE_SQL).
        CLOSED = "closed", _("記録の削除で終了")

    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("記録の種類"),
        # A content type outlives the rows that name it.
        on_delete=models.PROTECT,
        related_name="alliance_revisions",
    )
    object_id = models.PositiveBigIntegerField(_("記録のID"))
    record = GenericForeignKey("content_type", "object_id")
    record_label = models.CharField(_("記録"), max_length=300)
    changes = models.JSONField(_("変更内容"), default=dict)
    reason = models.CharField(_("変更理由"), max_length=200, blank=True)
    via = models.CharField(_("経路"), max_length=100, blank=True, help_text=_("フォーム、取込（ファイル名）、履歴からの復元など。"))
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.PENDING)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提案者"),
        null=True,
        # The proposal stays on record when an account is removed.
        on_delete=models.SET_NULL,
        related_name="alliance_revisions",
    )
    created_at = models.DateTimeField(_("提案日時"), auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("確認者"),
        null=True,
        blank=True,
        # As above: the review stays on record.
        on_delete=models.SET_NULL,
        related_name="alliance_reviews",
    )
    reviewed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("修正案（承認待ちの変更）")
        verbose_name_plural = _("修正案（承認待ちの変更）")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "state"], name="revision_record_state"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.record_label}"


# A pending revision of a deleted record is closed in the database by a statement-level
# trigger on every registry table (installed after every migrate from the REGISTRY, like
# the data-version triggers): deletions by cascade and by raw SQL are covered too, and a
# publisher never meets a revision whose record is gone.
CLOSE_ON_DELETE_SQL = """
CREATE OR REPLACE FUNCTION alliance_close_revisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE alliance_revision AS r SET state = 'closed', reviewed_at = clock_timestamp()
    FROM django_content_type AS ct
    WHERE ct.app_label = TG_ARGV[0] AND ct.model = TG_ARGV[1] AND r.content_type_id = ct.id
      AND r.state = 'pending' AND r.object_id IN (SELECT id FROM gone);
    RETURN NULL;
END $$
"""


def close_on_delete_trigger_sql(model) -> str:
    table, opts = model._meta.db_table, model._meta
    return (
        f"CREATE OR REPLACE TRIGGER {table}_close_revisions AFTER DELETE ON {table} "
        "REFERENCING OLD TABLE AS gone FOR EACH STATEMENT "
        f"EXECUTE FUNCTION alliance_close_revisions('{opts.app_label}', '{opts.model_name}')"
    )


def install_close_on_delete_triggers(connection, registry):
    """The trigger that closes a deleted record's pending revisions, on every registry model."""
    with connection.cursor() as cursor:
        cursor.execute(CLOSE_ON_DELETE_SQL)
        for entry in registry:
            cursor.execute(close_on_delete_trigger_sql(entry.model))
