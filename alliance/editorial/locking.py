"""Every editorial write that could race checks and writes under one lock.

A record's *fingerprint* is a digest of what its change page shows and saves: its stored
columns, its many-to-many links, and the rows of every inline the page edits with it (a
meeting's attendees, documents and citations; a body's seats and links). The change form
carries the fingerprint it was opened with (``edit_token``); the save first locks the
record, then compares, so of two simultaneous saves the second waits for the first to
commit and then sees that the record changed (django-concurrency's conditional UPDATE, as
a row lock taken before comparing).

An inline row is written by its parent's page and by its own (an attendee by the
meeting's page and the attendee's), by imports and by applying a revision. Each of those
paths calls :func:`lock` first, which locks the parents (the records whose pages save this
one as an inline row) before the row itself, always in the same order, so two paths never
wait for each other in a circle.

The locks are ``FOR NO KEY UPDATE``: editorial writers queue behind each other, while
inserts that merely point at the record (a new attendee's foreign key check) do not wait.
"""

import functools
import hashlib

from django.db import models, transaction


def _admin_registry():
    from django.contrib import admin

    return admin.site._registry


@functools.cache
def _relations():
    """(parent model → [(child model, fk field)]) for every inline that saves rows."""
    from django.forms.models import _get_foreign_key

    children: dict[type, list[tuple[type, models.Field]]] = {}
    for parent, model_admin in _admin_registry().items():
        for inline in model_admin.inlines:
            if not getattr(inline, "edits_rows", True):
                continue
            fk = _get_foreign_key(parent, inline.model, fk_name=inline.fk_name)
            children.setdefault(parent, []).append((inline.model, fk))
    return children


def inline_relations(model) -> list[tuple[type, models.Field]]:
    """(child model, foreign key to ``model``) for each inline ``model``'s page saves with it."""
    return _relations().get(model, [])


def parent_links(model) -> list[tuple[type, models.Field]]:
    """(parent model, foreign key on ``model``) for each page that saves ``model`` as an inline row."""
    return [(parent, fk) for parent, links in _relations().items() for child, fk in links if child is model]


def fingerprint(model, pk, inlines=True) -> str:
    """A digest of the record's stored columns, its many-to-many links and (unless
    ``inlines`` is false: an import row writes only the record) its inline rows, read from
    the database now."""
    names = [f.attname for f in model._meta.concrete_fields]
    parts = [model._default_manager.filter(pk=pk).values_list(*names).first()]
    for field in model._meta.many_to_many:
        through = field.remote_field.through
        source = field.m2m_field_name()
        target = field.m2m_reverse_field_name()
        parts.append(sorted(through._default_manager.filter(**{f"{source}_id": pk}).values_list(f"{target}_id", flat=True)))
    for child, fk in inline_relations(model) if inlines else ():
        child_names = [f.attname for f in child._meta.concrete_fields]
        parts.append(list(child._default_manager.filter(**{fk.attname: pk}).order_by("pk").values_list(*child_names)))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _lock_rows(model, ids) -> None:
    ids = sorted({i for i in ids if i is not None})
    if ids:
        list(model._default_manager.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk"))


def lock(instance) -> None:
    """Lock the records whose pages save ``instance`` as an inline row (as stored and as the
    instance now points), then ``instance``'s own row. Must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locking.lock() must run inside transaction.atomic()")
    model = type(instance)
    links = parent_links(model)
    stored = {}
    if links and instance.pk is not None:
        row = model._default_manager.filter(pk=instance.pk).values(*[fk.attname for _parent, fk in links]).first()
        stored = row or {}
    wanted: dict[type, set] = {}
    for parent, fk in links:
        wanted.setdefault(parent, set()).update({stored.get(fk.attname), getattr(instance, fk.attname, None)})
    for parent in sorted(wanted, key=lambda m: m._meta.db_table):
        _lock_rows(parent, wanted[parent])
    if instance.pk is not None:
        _lock_rows(model, [instance.pk])
