"""Natural keys: a dump with natural keys loads into an empty database and reproduces it."""

import io
import json

import pytest
from django.core.management import call_command

from alliance.models import AgreementRelation, Citation, MeetingDocument, Source, Tenure

from .factories import (
    make_agreement,
    make_body,
    make_citation,
    make_meeting,
    make_organization,
    make_participation,
    make_person,
    make_post,
    make_seat,
)

# flush (TRUNCATE) needs a real transaction, not the test's wrapping one.
pytestmark = pytest.mark.django_db(transaction=True)


def registry_labels():
    """The registry's own models: not their histories (per-database, numeric ids) nor the
    change counter that triggers keep (RegistryVersion)."""
    from django.apps import apps

    return [
        m._meta.label
        for m in apps.get_app_config("alliance").get_models()
        if not m.__name__.startswith("Historical") and m.__name__ != "RegistryVersion"
    ]


def dump() -> list:
    out = io.StringIO()
    call_command("dumpdata", *registry_labels(), "--natural-foreign", "--natural-primary", "--indent=1", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def registry():
    japan, us = make_organization(slug="japan", name_ja="日本国"), make_organization(slug="us", name_ja="アメリカ合衆国", country="us")
    mofa = make_organization(slug="mofa", name_ja="外務省", parent=japan)
    minister = make_post(slug="jp-mofa-minister", organization=mofa)
    person = make_person(slug="hayashi", name_ja="林")
    tenure = Tenure.objects.create(slug="jp-mofa-minister-hayashi", person=person, post=minister, start_date=None)
    treaty = make_agreement(slug="treaty-1960", signed="1960-01-19", in_force="1960-06")
    treaty.parties.set([japan, us])
    old = make_agreement(slug="treaty-1951", signed="1951")
    relation = AgreementRelation.objects.create(subject=treaty, kind="supersedes", object=old)
    scc = make_body(slug="scc", legal_basis=treaty, legal_basis_article="第4条", established="1960")
    sdc = make_body(slug="sdc", parent=scc, established="1976-07")
    seat = make_seat(slug="scc-jp-minister", body=scc, post=minister, level="minister", as_needed=False)
    meeting = make_meeting(slug="scc-2023-01", body=scc, start="2023-01-11", place_ja="ワシントンD.C.")
    sdc.established_at = meeting
    sdc.save()
    attendee = make_participation(meeting=meeting, position=1, person=person, post=minister, name_text="")
    document = MeetingDocument.objects.create(meeting=meeting, agreement=treaty, kind="issued")
    source = Source.objects.create(slug="dow-2020", title_ja="防衛白書", publisher_ja="防衛省")
    for record in (
        {"agreement": treaty},
        {"agreement_relation": relation},
        {"body": scc},
        {"organization": mofa},
        {"post": minister},
        {"person": person},
        {"tenure": tenure},
        {"seat": seat},
        {"meeting": meeting},
        {"participation": attendee},
        {"meeting_document": document},
    ):
        make_citation(source=source, **record)


def test_a_natural_key_dump_reloads_into_an_empty_database_unchanged(registry, tmp_path):
    before = dump()
    assert all("pk" not in row for row in before), "natural primary keys only"
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(before, ensure_ascii=False))
    call_command("flush", interactive=False, verbosity=0)
    assert not Citation.objects.exists()
    call_command("loaddata", str(path), verbosity=0)
    assert dump() == before
    # A second load matches every row by its natural key: nothing is added or changed.
    call_command("loaddata", str(path), verbosity=0)
    assert dump() == before
