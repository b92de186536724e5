"""Atom feeds of newly published and changed records: all of them, and one body's.

Changes come from the records' history (django-simple-history), counted only while the
record was published, and only for records the public may see now; each item is named
and linked from the current record, so a draft's text never reaches a feed.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from ..models import Status
from .cells import xml_text
from .entities import ENTITIES

FEED_SIZE = 50
# What the whole registry's feed follows, and, for one body, the field tying each to it.
FOLLOWED = ["agreement", "body", "seat", "meeting", "person", "organization", "post"]
OF_A_BODY = {"body": ("id", "parent_id"), "seat": ("body_id",), "meeting": ("body_id",)}


@dataclass
class Change:
    when: datetime
    record: object
    entity: object
    created: bool
    history_id: int


def changes(body=None) -> list[Change]:
    """The latest change of each recently changed public record, newest first: three
    queries per kind of record (its history, how many published versions each has, and
    the current records), whatever the size. A record's first published version, whether
    it was created published or a draft until then, is "newly published"."""
    out = []
    for name in (OF_A_BODY if body else FOLLOWED):
        entity = ENTITIES[name]
        history = entity.model.history.filter(status=Status.PUBLISHED)
        if body is not None:
            tie = Q()
            for field in OF_A_BODY[name]:
                tie |= Q(**{field: body.pk})
            history = history.filter(tie)
        rows = history.order_by("-history_date", "-history_id").values_list(
            "id", "history_date", "history_type", "history_id"
        )[: FEED_SIZE * 4]
        latest = {}
        for pk, when, kind, history_id in rows:
            latest.setdefault(pk, (when, kind, history_id))
        if not latest:
            continue
        versions = dict(
            entity.model.history.filter(status=Status.PUBLISHED, id__in=list(latest))
            .order_by()
            .values_list("id")
            .annotate(n=Count("history_id"))
        )
        current = entity.base_queryset().filter(pk__in=list(latest)).in_bulk()
        for pk, (when, _kind, history_id) in latest.items():
            if pk in current:
                out.append(Change(when, current[pk], entity, versions.get(pk) == 1, history_id))
    out.sort(key=lambda change: (change.when, change.history_id), reverse=True)
    return out[:FEED_SIZE]


class ChangesFeed(Feed):
    """Newly published and changed records: all, or one body's (itself, its parts, seats and meetings)."""

    feed_type = Atom1Feed

    def get_object(self, request, slug=None):
        if slug is None:
            return None
        return get_object_or_404(ENTITIES["body"].public(), slug=slug)

    def title(self, obj):
        if obj is None:
            return _("日米同盟レジストリ: 新規公開・更新")
        return xml_text(_("%(name)s: 新規公開・更新") % {"name": obj.name})

    def link(self, obj):
        return obj.get_absolute_url() if obj is not None else reverse("alliance:home")

    def feed_url(self, obj):
        return reverse("alliance:body-feed", args=[obj.slug]) if obj is not None else reverse("alliance:feed")

    def subtitle(self, obj):
        return _("公開された記録の新規公開と更新（出典つきの記録へのリンク）。下書きは含みません。")

    def items(self, obj):
        return changes(body=obj)

    def item_title(self, item):
        # A name may hold a character XML cannot (a vertical tab pasted from Word).
        return xml_text(f"{item.entity.model._meta.verbose_name}: {item.record}")

    def item_description(self, item):
        return _("新規公開") if item.created else _("更新")

    def item_link(self, item):
        return item.record.get_absolute_url()

    def item_guid(self, item):
        return f"{item.record.get_absolute_url()}#change-{item.history_id}"

    def item_guid_is_permalink(self, item):
        return False

    def item_pubdate(self, item):
        return item.when

    def item_updateddate(self, item):
        return item.when
