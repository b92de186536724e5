"""Checks of the registry against its sources: quotes found verbatim in the text each
source stores, every record cited."""

from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q

from ..models import CITED_FIELDS, Citation, Meeting, NameBasis, Source, Status
from ..models.sources import SourceText, squeeze

__all__ = ["squeeze", "quote_found", "quotes_not_found", "cited_models", "uncited", "sources_without_text", "source_dir"]


def source_dir() -> Path:
    """Where the seed data's source texts are (the seed command fills Source.text from them)."""
    return Path(settings.FIXTURE_DIRS[0]) / "sources"


def quote_found(citation: Citation) -> bool:
    """The quote appears in its source's stored text, whitespace aside."""
    match = citation.source.locate(citation.quote)
    return match is not None and match.found


def quotes_not_found():
    """Citations whose quote is not in their source's text (or whose source has none).
    Each source's text is read and indexed once, not once per citation."""
    texts = {pk: SourceText(text) for pk, text in Source.objects.values_list("pk", "text")}
    missing = []
    for citation in Citation.objects.select_related("source").defer("source__text"):
        match = texts[citation.source_id].locate(citation.quote)
        if match is None or not match.found:
            missing.append(citation)
    return missing


def cited_models():
    """(model, related name of its citations) for every model a citation can point at."""
    return [(Citation._meta.get_field(name).related_model, name) for name in CITED_FIELDS]


# Records a citation of another record may cover: an attendee or a document through a
# citation of its meeting marked "covers_parts".
COVERED_THROUGH = {"participation": "meeting", "meetingdocument": "meeting"}


def uncited(model):
    """Records with no citation of their own, nor one of the record that covers them. A
    published record is cited only by a published citation (the public page shows no
    draft); a draft citation of it is pending, listed with the drafts."""
    published = Q(status=Status.PUBLISHED)
    rows = model._default_manager.annotate(
        n=Count("citations"), n_published=Count("citations", filter=Q(citations__status=Status.PUBLISHED))
    ).filter((published & Q(n_published=0)) | (~published & Q(n=0)))
    through = COVERED_THROUGH.get(model._meta.model_name)
    if through:
        covering = Citation.objects.filter(covers_parts=True)
        rows = rows.exclude(
            (published & Q(**{f"{through}__in": covering.filter(status=Status.PUBLISHED).values(through)}))
            | (~published & Q(**{f"{through}__in": covering.values(through)}))
        )
    return rows


def sources_without_text():
    return list(Source.objects.filter(text="").defer("text"))


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


def fill_source_texts(reason: str) -> int:
    """Give each source without a text the one in its seed file: fill, never overwrite."""
    filled = 0
    for source in Source.objects.filter(text="").exclude(file_name=""):
        path = source_dir() / source.file_name
        if path.is_file():
            source.text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
            source._change_reason = reason
            source.save(update_fields=["text"])
            filled += 1
    return filled
