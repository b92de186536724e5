"""The gazetteer: every body, post, person, organization and agreement by its Japanese and
English names, abbreviation and other names, and every place one of them occurs in a
text. The registry's own records are the dictionary.

Every occurrence is enumerated and the leftmost-longest is kept, here, in our code (a
library's "longest" iterator has a history of missed matches). A Latin alias needs a word
boundary (SACO is not found inside SACOM); an alias two records share is kept with both,
as a question for the editor."""

from collections import defaultdict
from dataclasses import dataclass, field

from ...models import Agreement, Body, Organization, Person, Post
from .normalise import Normalised, norm, normalise

# What the reader looks up, in the order a tie between kinds is settled.
KINDS = {"body": Body, "post": Post, "person": Person, "organization": Organization, "agreement": Agreement}
MIN_LENGTH = 2


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def aliases(obj) -> list[str]:
    """The names ``obj`` is known by: Japanese, English, abbreviation, other names."""
    names = [getattr(obj, "name_ja", ""), getattr(obj, "name_en", ""), getattr(obj, "abbreviation", "")]
    names += [line.strip().strip("「」") for line in (getattr(obj, "other_names", "") or "").splitlines()]
    names += [line.strip() for line in (getattr(obj, "other_names", "") or "").splitlines()]
    return [n for n in dict.fromkeys(names) if n]


@dataclass(frozen=True)
class Hit:
    """One occurrence of a known name: ``start``/``end`` in the original text."""

    start: int
    end: int
    kind: str
    ids: tuple[int, ...]  # more than one: the alias is shared, the editor chooses

    @property
    def ambiguous(self) -> bool:
        return len(self.ids) > 1


@dataclass
class Gazetteer:
    by_first: dict = field(default_factory=lambda: defaultdict(dict))  # first char → {alias: {(kind, id)}}
    labels: dict = field(default_factory=dict)  # (kind, id) → name_ja

    @classmethod
    def from_registry(cls) -> "Gazetteer":
        gazetteer = cls()
        for kind, model in KINDS.items():
            columns = [f.name for f in model._meta.concrete_fields if f.name in ("name_ja", "name_en", "abbreviation", "other_names")]
            for obj in model._default_manager.only("pk", *columns):
                gazetteer.add(kind, obj.pk, aliases(obj), obj.name_ja)
        return gazetteer

    def add(self, kind: str, pk: int, names, label: str = ""):
        self.labels[(kind, pk)] = label
        for name in names:
            key = norm(name)
            if len(key) < MIN_LENGTH:
                continue
            self.by_first[key[0]].setdefault(key, set()).add((kind, pk))

    def find(self, text: str | Normalised) -> list[Hit]:
        """The leftmost-longest occurrences of known names in ``text``, in order."""
        source = text if isinstance(text, Normalised) else normalise(text)
        flat, hits, i = source.text, [], 0
        while i < len(flat):
            best = None
            for alias, owners in self.by_first.get(flat[i], {}).items():
                if best is not None and len(alias) <= len(best[0]):
                    continue
                if not flat.startswith(alias, i):
                    continue
                end = i + len(alias)
                if _latin(alias[0]) and i > 0 and _latin(flat[i - 1]):
                    continue
                if _latin(alias[-1]) and end < len(flat) and _latin(flat[end]):
                    continue
                best = (alias, owners)
            if best is None:
                i += 1
                continue
            alias, owners = best
            kinds = sorted({k for k, _ in owners}, key=list(KINDS).index)
            ids = tuple(sorted(pk for k, pk in owners if k == kinds[0]))
            start, end = source.span(i, i + len(alias))
            hits.append(Hit(start, end, kinds[0], ids))
            i += len(alias)
        return hits
