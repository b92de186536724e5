"""Load the seed data without ever overwriting or bringing back what editors did.

`make run` and the container's entrypoint run this on every start, so it must be safe
on a registry that editors have worked on:

- a record whose natural key exists in the database is left exactly as it is (fields,
  many-to-many links, history): an editor may have changed it;
- a record this command added is recognised by the "seeded" history row it wrote then,
  which holds the record's id and the key it was given: renamed since (a new slug), it is
  kept under its new name, and the seed data's references to the old name (a new
  citation of it, a new attendee of a renamed meeting) are pointed at it; deleted since,
  it is not added again;
- a record an editor deleted (its history holds a deletion and it is not there now) is
  not added again, nor is anything in the seed data that refers to it;
- every other record is added, with its many-to-many links, and gets one history row
  whose reason is "seeded".

All of it happens in one transaction, and natural-key references between files resolve
in any order, as with loaddata.
"""

from collections import Counter
from pathlib import Path

import yaml
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand
from django.core.serializers.pyyaml import SafeLoader
from django.db import DEFAULT_DB_ALIAS, models, transaction

from alliance.editorial.seedcheck import fill_source_texts

SEEDED = "seeded"

# The fields of each model's natural key, as its manager's get_by_natural_key takes them.
NATURAL_KEY_FIELDS = {
    "alliance.citation": ("key",),
    "alliance.agreementrelation": ("subject", "kind", "object"),
    "alliance.participation": ("meeting", "position"),
    "alliance.meetingdocument": ("meeting", "kind", "agreement"),
}


def seed_files() -> list[Path]:
    files = []
    for directory in settings.FIXTURE_DIRS:
        files.extend(sorted(Path(directory).glob("*.yaml")))
    return files


def _key_part(value):
    """A natural-key part as a fixture writes it: a foreign key is a one-element list."""
    if isinstance(value, list | tuple):
        return value[0] if len(value) == 1 else tuple(value)
    return value


def fixture_key(label: str, fields: dict) -> tuple:
    return tuple(_key_part(fields.get(name)) for name in NATURAL_KEY_FIELDS.get(label, ("slug",)))


def _reference(value) -> tuple:
    """A natural-key reference in a fixture, as the key tuple of the record it names."""
    parts = tuple(value) if isinstance(value, list | tuple) else (value,)
    return tuple(_key_part(part) for part in parts)


def _historical_key(model, row) -> tuple | None:
    """The natural key a deleted record had, from its last history row."""
    parts = []
    for name in NATURAL_KEY_FIELDS.get(model._meta.label_lower, ("slug",)):
        field = model._meta.get_field(name)
        if field.is_relation:
            related = field.related_model
            related_id = getattr(row, field.attname)
            if related_id is None:
                parts.append(None)
                continue
            current = related._default_manager.filter(pk=related_id).first()
            if current is None and hasattr(related, "history"):
                current = related.history.filter(id=related_id).order_by("-history_date").first()
            if current is None:
                return None
            parts.append(current.slug)
        else:
            parts.append(getattr(row, name))
    return tuple(parts)


def _exists_by_key(model, key) -> bool:
    try:
        model._default_manager.get_by_natural_key(*key)
    except model.DoesNotExist:
        return False
    return True


def deleted_by_editors(labels) -> set[tuple[str, tuple]]:
    """(model label, natural key) of every record whose history ends in a deletion."""
    gone = set()
    for label in labels:
        model = apps.get_model(label)
        if not hasattr(model, "history"):
            continue
        for row in model.history.filter(history_type="-").order_by("history_date"):
            if model._default_manager.filter(pk=row.id).exists():
                continue  # deleted once, made again since: it exists and is kept anyway
            key = _historical_key(model, row)
            if key is not None:
                gone.add((label, key))
    return gone


def _seeded_rows(model, key_names, fixture_keys, related_ids):
    """The "+" history rows the seed wrote for ``model`` (the first for each record), limited
    to keys the seed data still holds, as (id, row values)."""
    first = key_names[0]
    field = model._meta.get_field(first)
    rows = model.history.filter(history_type="+", history_change_reason=SEEDED)
    if field.is_relation:
        rows = rows.filter(**{f"{field.attname}__in": list(related_ids.get(field.related_model._meta.label_lower, {}))})
    else:
        rows = rows.filter(**{f"{first}__in": {key[0] for key in fixture_keys}})
    names = [model._meta.get_field(name).attname for name in key_names]
    seen = {}
    for row in rows.order_by("history_date", "history_id").values("id", *names):
        seen.setdefault(row["id"], row)
    return seen


def made_by_the_seed(keys_by_label: dict[str, set]) -> dict[tuple[str, tuple], int]:
    """(model label, the natural key the seed data gives it) → id, for every record this
    command added, read from the "seeded" history row it wrote: the key it had then
    survives renames (a new slug, or a new slug of the meeting an attendee belongs to).

    Models whose natural key is made of other records' keys (attendees, documents,
    relations) are read after the records they name, through the keys those had."""
    found: dict[tuple[str, tuple], int] = {}
    ids: dict[str, dict[int, tuple]] = {}  # label → id → key as the seed gave it
    order = sorted(keys_by_label, key=lambda label: label in NATURAL_KEY_FIELDS and label != "alliance.citation")
    for label in order:
        model = apps.get_model(label)
        if not hasattr(model, "history"):
            continue
        key_names = NATURAL_KEY_FIELDS.get(label, ("slug",))
        rows = _seeded_rows(model, key_names, keys_by_label[label], ids)
        ids[label] = {}
        for pk, row in rows.items():
            parts = []
            for name in key_names:
                field = model._meta.get_field(name)
                value = row[field.attname]
                if field.is_relation:
                    related = ids.get(field.related_model._meta.label_lower, {}).get(value)
                    value = None if related is None else _key_part(list(related))
                parts.append(value)
            key = tuple(parts)
            if None in parts or key not in keys_by_label[label]:
                continue
            found[(label, key)] = pk
            ids[label][pk] = key
    return found


class Command(BaseCommand):
    help = (
        "Add the seed data in fixtures/ to the registry: records that do not exist yet are added; "
        "existing records (an editor may have changed them) and records editors deleted are left alone."
    )

    def handle(self, *args, **options):
        files = seed_files()
        if not files:
            self.stdout.write("No seed data in fixtures/ yet; nothing to load.")
            return
        entries = []
        for path in files:
            with path.open(encoding="utf-8") as stream:
                entries.extend(yaml.load(stream, Loader=SafeLoader) or [])
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            added, kept, refused = self.load(entries)
            # Sources' texts live in fixtures/sources/*.txt, not in the YAML.
            texts = fill_source_texts(SEEDED)
        total = sum(added.values())
        self.stdout.write(
            f"Seed data: added {total} record(s), kept {kept} existing record(s) as they are "
            f"({len(self.renamed)} of them renamed by an editor), "
            f"left out {len(refused)} deleted by an editor (or referring to one); "
            f"filled the text of {texts} source(s)."
        )
        if options["verbosity"] > 1:
            for label, count in sorted(added.items()):
                self.stdout.write(f"  added {count} {label}")
            for label, key in sorted(refused, key=str):
                self.stdout.write(f"  left out {label} {key}")
            for (label, key), current in sorted(self.renamed.items(), key=str):
                self.stdout.write(f"  kept {label} {key}, renamed {current}")

    def load(self, entries):
        gone = deleted_by_editors({entry["model"].lower() for entry in entries})
        keys_by_label: dict[str, set] = {}
        for entry in entries:
            label = entry["model"].lower()
            keys_by_label.setdefault(label, set()).add(fixture_key(label, entry["fields"]))
        seeded = made_by_the_seed(keys_by_label)
        renamed, gone = self._renamed_and_gone(seeded, gone)
        refused = set()  # left out: deleted by an editor, or refers to such a record
        new, deferred = [], []
        kept = 0
        for entry in entries:
            label = entry["model"].lower()
            model = apps.get_model(label)
            fields = dict(entry["fields"])
            key = fixture_key(label, fields)
            if (label, key) in gone or self._refers_to(model, fields, gone | refused, label, key, refused):
                refused.add((label, key))
                continue
            if (label, key) in renamed:
                kept += 1  # made by the seed, renamed by an editor since: kept under its new name
                continue
            self._follow_renames(model, fields, renamed)
            (obj,) = serializers.deserialize("python", [{**entry, "fields": fields}], handle_forward_references=True)
            if obj.object.pk is not None:
                kept += 1  # exists (by natural key): an editor may have changed it
                continue
            # A history row that a many-to-many change writes says "seeded" too.
            obj.object._change_reason = SEEDED
            obj.save()
            new.append(obj.object)
            if obj.deferred_fields:
                deferred.append(obj)
        for obj in deferred:  # forward references within the seed data, as loaddata resolves them
            obj.save_deferred_fields()
        added = Counter()
        by_model = {}
        for instance in new:
            by_model.setdefault(type(instance), []).append(instance)
            added[instance._meta.label_lower] += 1
        for model, instances in by_model.items():
            if hasattr(model, "history"):
                model.history.bulk_history_create(instances, default_change_reason=SEEDED)
        self.renamed = renamed
        return added, kept, refused

    @staticmethod
    def _renamed_and_gone(seeded, gone):
        """Of the records the seed made: those now known by another key (seed key → the key
        they have now), and those deleted since (added to ``gone``)."""
        by_label: dict[str, dict[int, tuple]] = {}
        for (label, key), pk in seeded.items():
            by_label.setdefault(label, {})[pk] = key
        renamed, gone = {}, set(gone)
        for label, keys in by_label.items():
            model = apps.get_model(label)
            existing = {obj.pk: obj for obj in model._default_manager.filter(pk__in=keys)}
            for pk, key in keys.items():
                obj = existing.get(pk)
                if obj is None:
                    # Deleted since it was seeded: unless an editor made a record with that key
                    # anew (then it exists by key, and is kept as any existing record is).
                    if not _exists_by_key(model, key):
                        gone.add((label, key))
                    continue
                current = tuple(obj.natural_key())
                if current != key and not _exists_by_key(model, key):
                    renamed[(label, key)] = current
        return renamed, gone

    @staticmethod
    def _follow_renames(model, fields, renamed):
        """Point the entry's references to a renamed record at its new key (in place)."""
        for name, value in list(fields.items()):
            field = model._meta.get_field(name)
            if not field.is_relation or value is None:
                continue
            target = field.related_model._meta.label_lower
            if isinstance(field, models.ManyToManyField):
                fields[name] = [list(renamed.get((target, _reference(item)), ())) or item for item in value]
            elif (target, _reference(value)) in renamed:
                fields[name] = list(renamed[(target, _reference(value))])

    @staticmethod
    def _refers_to(model, fields, blocked, label, key, refused) -> bool:
        """Whether the entry needs a record that is left out; a many-to-many link to one is
        dropped from the entry instead (the entry's `fields` is changed in place)."""
        for name, value in list(fields.items()):
            field = model._meta.get_field(name)
            if not field.is_relation or value is None:
                continue
            target = field.related_model._meta.label_lower
            if isinstance(field, models.ManyToManyField):
                fields[name] = [item for item in value if (target, _reference(item)) not in blocked]
            elif (target, _reference(value)) in blocked:
                return True
        return False
