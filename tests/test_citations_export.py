"""The evidence as data: one row per citation of a published record, never of a draft."""

import csv
import io
import json

import pytest
from django.urls import reverse

from alliance.models import CITABLE, AgreementRelation, Citation, MeetingDocument, Status, Tenure

from .factories import (
    make_agreement,
    make_body,
    make_citation,
    make_meeting,
    make_participation,
    make_person,
    make_post,
    make_source,
)

pytestmark = pytest.mark.django_db


def rows(client, **params):
    response = client.get(reverse("alliance:citation-csv"), params)
    assert response.status_code == 200
    raw = b"".join(response.streaming_content)
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture
def evidence():
    """Citations of published records of several kinds, and of drafts of each kind."""
    white_paper, diplomatic = make_source(slug="white-paper-2025"), make_source(slug="bluebook-2025")
    treaty = make_agreement(slug="security-treaty-1960")
    sofa = make_agreement(slug="sofa")
    draft = make_agreement(slug="secret-agreement", status=Status.DRAFT)
    meeting = make_meeting(slug="scc-2023-01")
    draft_meeting = make_meeting(slug="secret-meeting", status=Status.DRAFT)
    make_citation(agreement=treaty, source=white_paper, locator="第1節", quote="日米安全保障条約", field="signed")
    make_citation(body=make_body(slug="scc"), source=diplomatic, locator="第2節", quote="日米安全保障協議委員会")
    relation = AgreementRelation.objects.create(subject=sofa, kind="based_on", object=treaty, status="published")
    make_citation(agreement_relation=relation, source=white_paper, quote="地位協定")
    make_citation(participation=make_participation(meeting=meeting, position=1), source=white_paper, quote="出席")
    document = MeetingDocument.objects.create(meeting=meeting, agreement=treaty, kind="issued", status="published")
    make_citation(meeting_document=document, source=diplomatic, quote="共同発表")
    # Drafts, and records shown nowhere because of a draft.
    make_citation(agreement=draft, source=white_paper, quote="下書きの協定")
    make_citation(agreement_relation=AgreementRelation.objects.create(subject=sofa, kind="amends", object=draft, status="published"), source=white_paper, quote="下書きとの関係")
    make_citation(participation=make_participation(meeting=draft_meeting, position=1), source=white_paper, quote="下書きの会議の出席者")
    make_citation(meeting_document=MeetingDocument.objects.create(meeting=draft_meeting, agreement=treaty, kind="signed", status="published"), source=white_paper, quote="下書きの会議の文書")
    secret_person = make_person(slug="secret-person", status=Status.DRAFT)
    tenure = Tenure.objects.create(slug="secret-tenure", person=secret_person, post=make_post(), status=Status.PUBLISHED)
    make_citation(tenure=tenure, source=white_paper, quote="下書きの人物の在任")


def test_one_row_per_citation_of_a_published_record(client, evidence):
    got = {(r["record_type"], r["record_slug"], r["field"], r["source_slug"], r["quote"]) for r in rows(client)}
    assert got == {
        ("agreement", "security-treaty-1960", "signed", "white-paper-2025", "日米安全保障条約"),
        ("body", "scc", "", "bluebook-2025", "日米安全保障協議委員会"),
        ("agreement_relation", "sofa/based_on/security-treaty-1960", "", "white-paper-2025", "地位協定"),
        ("participation", "scc-2023-01/1", "", "white-paper-2025", "出席"),
        ("meeting_document", "scc-2023-01/issued/security-treaty-1960", "", "bluebook-2025", "共同発表"),
    }
    assert len(rows(client)) == Citation.objects.published().count() == 5


def test_no_export_of_the_evidence_mentions_a_draft(client, evidence):
    for kind in ("csv", "json", "ndjson"):
        response = client.get(reverse(f"alliance:citation-{kind}"))
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        text = raw.decode("utf-8-sig")
        assert "secret" not in text and "下書き" not in text, kind


def test_citations_filter_by_source_and_record_type(client, evidence):
    assert {r["source_slug"] for r in rows(client, source="bluebook-2025")} == {"bluebook-2025"}
    assert len(rows(client, source="bluebook-2025")) == 2
    assert [r["record_slug"] for r in rows(client, record_type="body")] == ["scc"]
    assert len(rows(client, record_type="participation", source="white-paper-2025")) == 1
    page = json.loads(client.get(reverse("alliance:citation-json"), {"source": "white-paper-2025"}).content)
    counts = {o["value"]: o["count"] for o in page["facets"]["record_type"]["options"]}
    assert counts["agreement"] == 1 and counts["tenure"] == 0 and page["count"] == 3
    # An unknown source is a notice, not an error: the whole list. A type outside the
    # choices the OpenAPI description declares is refused, as it declares.
    page = json.loads(client.get(reverse("alliance:citation-json"), {"source": "nope"}).content)
    assert page["count"] == 5 and len(page["notices"]) == 1
    assert client.get(reverse("alliance:citation-json"), {"record_type": "x"}).status_code == 400


def test_every_citable_model_says_what_of_it_is_published():
    for entry in CITABLE:
        assert hasattr(entry.model.objects, "published"), entry.model_name
        entry.model.objects.published().count()


def test_the_seed_s_citations_all_name_their_record(client, seeded):
    exported = rows(client)
    assert len(exported) == Citation.objects.published().count() > 100
    assert all(r["record_type"] and r["record_slug"] and r["source_slug"] and r["quote"] for r in exported)
