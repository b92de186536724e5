"""Checks of the seed data against its sources: quotes found verbatim, every record cited."""

import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q

from ..models import CITED_FIELDS, Citation, Meeting, NameBasis, Source

_SPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Text with all whitespace removed: the PDF conversion broke lines and words at random."""
    return _SPACE.sub("", text)


def source_dir() -> Path:
    return Path(settings.FIXTURE_DIRS[0]) / "sources"


@cache
def _source_text(file_name: str) -> str:
    path = source_dir() / file_name
    return squeeze(path.read_text(encoding="utf-8")) if path.is_file() else ""


def quote_found(citation: Citation) -> bool:
    """The quote appears in its source's text, whitespace aside."""
    text = _source_text(citation.source.file_name) if citation.source.file_name else ""
    return bool(text) and squeeze(citation.quote) in text


def quotes_not_found():
    return [c for c in Citation.objects.select_related("source") if not quote_found(c)]


def cited_models():
    """(model, related name of its citations) for every model a citation can point at."""
    return [(Citation._meta.get_field(name).related_model, name) for name in CITED_FIELDS]


def uncited(model):
    return model._default_manager.annotate(n=Count("citations")).filter(n=0)


def sources_without_text():
    return [s for s in Source.objects.all() if not s.file_name or not (source_dir() / s.file_name).is_file()]


def without_english_name(model):
    """Records with no English name (blank, or only the registry's description), or None
    when the model has no names. Meetings without one are titled from their data instead
    (see composed_meeting_titles), so only those with a description are counted."""
    if not any(f.name == "name_en_basis" for f in model._meta.get_fields()):
        return None
    lacking = Q(name_en_basis=NameBasis.DESCRIPTION)
    if model is not Meeting:
        lacking |= Q(name_en="")
    return list(model._default_manager.filter(lacking).order_by("slug"))


def composed_meeting_titles():
    return Meeting.objects.filter(name_en="").order_by("slug")
