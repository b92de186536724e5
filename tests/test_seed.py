"""The seed data: every quote found verbatim in its source, every record cited, loading idempotent."""

import io
import json
import re

import pytest
from django.core.management import call_command

from alliance.editorial.seedcheck import cited_models, quote_found, source_dir, squeeze, uncited
from alliance.models import Citation, Source

from .test_sources import source_text_of


def dump() -> str:
    out = io.StringIO()
    # The change counter is bookkeeping that every load bumps, not registry data.
    call_command("dumpdata", "alliance", "--exclude", "alliance.registryversion", "--natural-foreign", "--natural-primary", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_loading_the_seed_twice_changes_nothing():
    call_command("seed", verbosity=0)
    first = dump()
    counts = {model.__name__: model._default_manager.count() for model, _ in cited_models()}
    call_command("seed", verbosity=0)
    assert dump() == first
    assert {model.__name__: model._default_manager.count() for model, _ in cited_models()} == counts
    assert json.loads(first), "the seed data is not empty"


@pytest.mark.django_db
def test_every_source_is_in_the_project_with_its_text(seeded):
    sources = list(Source.objects.all())
    assert len(sources) == 5
    for source in sources:
        assert (source_dir() / source.file_name).is_file(), source.slug
        assert source.text and "\r" not in source.text, "the seed fills the stored text from the file"


@pytest.mark.django_db
def test_every_quote_is_found_verbatim_in_its_source(seeded):
    missing = [
        f"{c.key} [{c.source.slug} {c.locator}]: {c.quote[:60]}"
        for c in Citation.objects.select_related("source")
        if not quote_found(c)
    ]
    assert missing == []


@pytest.mark.django_db
def test_every_seed_source_page_shows_its_text_as_stored_with_every_quote_marked_and_says_it_came_from_a_pdf(client, seeded):
    for source in Source.objects.published():
        html = client.get(source.get_absolute_url()).content.decode()
        assert source_text_of(html) == source.text, source.slug
        citations = Citation.objects.published().filter(source=source)
        assert all(f'id="quote-{key}"' in html for key in citations.values_list("key", flat=True)), source.slug
        assert "本文中に位置を示せない引用" not in html, source.slug
        assert "PDFから変換した本文" in html, source.slug


@pytest.mark.django_db
def test_every_seeded_record_has_a_citation(seeded):
    uncited_records = {model.__name__: [str(r) for r in uncited(model)] for model, _ in cited_models()}
    assert {name: rows for name, rows in uncited_records.items() if rows} == {}


@pytest.mark.django_db
def test_every_seeded_record_is_published(seeded):
    for model, _ in cited_models():
        if hasattr(model, "status"):
            assert not model._default_manager.exclude(status="published").exists(), model.__name__


def test_quote_comparison_ignores_only_whitespace():
    assert squeeze("ガ イドライン\n(指針)") == "ガイドライン(指針)"
    source = Source(slug="s", text=(source_dir() / "001_f58c747ade77aa26.txt").read_text(encoding="utf-8"))
    assert quote_found(Citation(source=source, quote="日米安全保障協議委員会"))
    assert not quote_found(Citation(source=source, quote="日米安全保障協議委員会（架空）"))
    assert not quote_found(Citation(source=Source(slug="x", text=""), quote="日米"))


@pytest.mark.django_db
def test_seed_report_counts_and_finds_no_problem(seeded):
    out = io.StringIO()
    call_command("seed_report", "--strict", stdout=out)
    report = out.getvalue()
    assert "Quotes not found in their source: 0" in report
    assert "Records without a citation: 0" in report
    assert re.search(r"\(Event\)\s+46\s+46\s+0", report), "every event of the texts, published and cited"
    assert re.search(r"\(BodyLink\)\s+9\s+9\s+0", report)
    assert "Dates at fiscal-year precision: 6; qualified (early, mid, late, end of): 4" in report
