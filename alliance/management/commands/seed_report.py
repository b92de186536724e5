from django.core.management.base import BaseCommand

from alliance.editorial.seedcheck import (
    cited_models,
    composed_meeting_titles,
    quotes_not_found,
    sources_without_text,
    uncited,
    without_english_name,
)
from alliance.models import Citation, Source
from alliance.partial_dates import Precision


def partial_date_counts():
    """How many stored dates of every cited model are fiscal years, and how many are qualified."""
    fiscal = qualified = 0
    for model, _name in cited_models():
        manager = model._default_manager
        for name in getattr(model, "partial_date_names", ()):
            fiscal += manager.filter(**{f"{name}_precision": Precision.FISCAL_YEAR}).count()
            qualified += manager.exclude(**{f"{name}_qualifier": ""}).count()
    return fiscal, qualified


class Command(BaseCommand):
    help = "Report the seed data: records per type, citations, records without a citation or English name, quotes not found."

    def add_arguments(self, parser):
        parser.add_argument("--strict", action="store_true", help="Exit 1 if any record lacks a citation or a quote is not found.")
        parser.add_argument("--list", action="store_true", help="Name every record counted as a problem.")

    def handle(self, *args, strict=False, **options):
        show = options["list"]
        out = self.stdout.write
        out(f"{'type':<28}{'records':>8}{'published':>10}{'uncited':>9}{'no English':>12}")
        problems = 0
        lacking = []
        for model, _name in cited_models():
            manager = model._default_manager
            total = manager.count()
            published = manager.filter(status="published").count() if hasattr(model, "status") else total
            no_cite = list(uncited(model))
            no_en = without_english_name(model)
            lacking += [] if no_en is None else [(model, record) for record in no_en]
            out(
                f"{str(model._meta.verbose_name_plural) + ' (' + model.__name__ + ')':<28}{total:>8}{published:>10}"
                f"{len(no_cite):>9}{'—' if no_en is None else len(no_en):>12}"
            )
            problems += len(no_cite)
            if show:
                for record in no_cite:
                    out(f"    uncited: {record}")
        out(f"Records without an English name: {len(lacking)}")
        for model, record in lacking:
            reason = record.name_en_note.strip().replace("\n", " ") or "no reason recorded"
            shown = f" (described as: {record.name_en})" if record.name_en else ""
            out(f"    {model.__name__.lower()} {record.slug} {record.name_ja}{shown}: {reason}")
        composed = composed_meeting_titles()
        out(f"Meetings without a name of their own, titled from their data: {composed.count()}")
        if show:
            for meeting in composed:
                out(f"    {meeting.slug} {meeting.name_ja}")
        fiscal, qualified = partial_date_counts()
        out(f"Dates at fiscal-year precision: {fiscal}; qualified (early, mid, late, end of): {qualified}")
        out(f"{'Sources':<28}{Source.objects.count():>8}")
        out(f"{'Citations':<28}{Citation.objects.count():>8}")
        missing = quotes_not_found()
        out(f"Quotes not found in their source: {len(missing)}")
        for citation in missing:
            out(f"    {citation.key} [{citation.source.slug} {citation.locator}] {citation.quote[:80]}")
        for source in sources_without_text():
            out(f"Source without its text: {source.slug} ({source.file_name or 'no file name'})")
        problems += len(missing)
        out(f"Records without a citation: {problems - len(missing)}")
        if strict and problems:
            raise SystemExit(1)
