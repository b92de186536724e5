"""Atom feeds of newly published and changed records: all of them, and one body's.

Changes come from the records' history (django-simple-history), counted only while the
record was published, and only for records the public may see now; each item is named
and linked from the current record, so a draft's text never reaches a feed.

The feeds are Atom as RFC 4287 defines it: every id an absolute IRI (the record's
address and the change, ``…/bodies/scc/#change-68``), the registry named as the author,
each entry titled in the feed's language by the title its page has (a meeting's composed
title, a seat's body and member), so no two entries read alike.
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
from .context_processors import absolute_url
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
    url: str = ""  # the record's absolute address, set for the feed's request


@dataclass
class Scope:
    """What one request's feed is of: the whole registry (``body`` None) or one body, and
    the request, for absolute addresses (the Feed instance is shared by every request)."""

    request: object
    body: object = None


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
        # What some titles are composed from (a meeting's attendees), for the rows that need it.
        entity.prepare_rows(list(current.values()))
        for pk, (when, _kind, history_id) in latest.items():
            if pk in current:
                out.append(Change(when, current[pk], entity, versions.get(pk) == 1, history_id))
    out.sort(key=lambda change: (change.when, change.history_id), reverse=True)
    return out[:FEED_SIZE]


class ChangesFeed(Feed):
    """Newly published and changed records: all, or one body's (itself, its parts, seats and meetings)."""

    feed_type = Atom1Feed

    def author_name(self, obj):
        return _("日米同盟レジストリ")

    def get_object(self, request, slug=None):
        body = None if slug is None else get_object_or_404(ENTITIES["body"].public(), slug=slug)
        return Scope(request, body)

    def author_link(self, obj):
        return absolute_url(obj.request, reverse("alliance:home"))

    def title(self, obj):
        if obj.body is None:
            return _("日米同盟レジストリ: 新規公開・更新")
        return xml_text(_("%(name)s: 新規公開・更新") % {"name": obj.body.name})

    def link(self, obj):
        return obj.body.get_absolute_url() if obj.body is not None else reverse("alliance:home")

    def feed_url(self, obj):
        return reverse("alliance:body-feed", args=[obj.body.slug]) if obj.body is not None else reverse("alliance:feed")

    def feed_guid(self, obj):
        return absolute_url(obj.request, self.feed_url(obj))

    def subtitle(self, obj):
        return _("公開された記録の新規公開と更新（出典つきの記録へのリンク）。下書きは含みません。")

    def items(self, obj):
        items = changes(body=obj.body)
        for item in items:
            item.url = absolute_url(obj.request, item.record.get_absolute_url())
        return distinct_titles(items)

    def item_title(self, item):
        # A name may hold a character XML cannot (a vertical tab pasted from Word).
        return xml_text(item.title)

    def item_description(self, item):
        return _("新規公開") if item.created else _("更新")

    def item_link(self, item):
        return item.url

    def item_guid(self, item):
        return f"{item.url}#change-{item.history_id}"

    def item_guid_is_permalink(self, item):
        return False

    def item_pubdate(self, item):
        return item.when

    def item_updateddate(self, item):
        return item.when


def distinct_titles(items):
    """Each change titled "<kind>: <title>" in the active language; where two records read
    alike, what tells them apart (date, kind, place) follows, then the slug."""
    for item in items:
        item.title = f"{item.entity.model._meta.verbose_name}: {item.record.title}"
    seen = {}
    for item in items:
        seen.setdefault(item.title, []).append(item)
    for same in seen.values():
        records = {item.record.pk for item in same}
        if len(records) < 2:
            continue
        for item in same:
            parts = getattr(item.record, "distinguishing_parts", lambda: [])()
            item.title += f" ({', '.join(str(p) for p in parts if p) or item.record.slug})"
    seen = {}
    for item in items:
        seen.setdefault(item.title, set()).add(item.record.pk)
    for item in items:
        if len(seen[item.title]) > 1:
            item.title += f" [{item.record.slug}]"
    return items
