"""Issue 10, finding 1: only a publisher changes what the public sees — through forms,
inlines, actions, imports and reverts — for every model the public sees. An editor's
change to something published becomes a revision that a publisher applies or rejects."""

import pytest
from django.test import Client
from django.urls import reverse

from alliance.editorial.publishing import RevisionConflict, apply_revision
from alliance.models import Agreement, Citation, Revision, Status

from .factories import make_agreement, make_body, make_citation, make_meeting, make_participation, make_source
from .test_admin import form_data
from .test_editorial import confirm, csv_upload, preview

pytestmark = pytest.mark.django_db


def public_html(obj):
    return Client().get(obj.get_absolute_url()).content.decode()


def test_an_editor_s_change_to_a_published_record_waits_for_a_publisher(client, editor_only, publisher):
    agreement = make_agreement(slug="sofa", name_ja="日米地位協定", summary_ja="公開中の概要")
    client.force_login(editor_only)
    url = reverse("admin:alliance_agreement_change", args=[agreement.pk])
    data = form_data(client.get(url), name_ja="日米地位協定", slug="sofa", kind="agreement", summary_ja="編集者の新しい概要",
                     change_reason="資料に合わせる")
    response = client.post(url, data)
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.summary_ja == "公開中の概要", "nothing goes public without a publisher"
    assert "編集者の新しい概要" not in public_html(agreement)
    revision = Revision.objects.get()
    assert revision.state == "pending" and revision.author == editor_only
    assert revision.changes == {"summary_ja": ["公開中の概要", "編集者の新しい概要"]}
    # The publisher sees the diff with labels and applies it.
    client.force_login(publisher)
    page = client.get(reverse("admin:alliance_revision_change", args=[revision.pk])).content.decode()
    assert "概要（日本語）" in page and "公開中の概要" in page and "編集者の新しい概要" in page
    response = client.post(reverse("admin:alliance_revision_changelist"), {"action": "apply", "_selected_action": [revision.pk]})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.summary_ja == "編集者の新しい概要"
    assert "編集者の新しい概要" in public_html(agreement)
    latest = agreement.history.latest()
    assert latest.history_user == publisher and f"#{revision.pk}" in latest.history_change_reason


def test_an_editor_cannot_apply_a_revision(client, editor_only):
    agreement = make_agreement(slug="sofa", summary_ja="a")
    revision = Revision.objects.create(content_type_id=__import__("django.contrib.contenttypes.models", fromlist=["ContentType"]).ContentType.objects.get_for_model(Agreement).pk,
                                       object_id=agreement.pk, record_label="x", changes={"summary_ja": ["a", "b"]}, author=editor_only)
    client.force_login(editor_only)
    client.post(reverse("admin:alliance_revision_changelist"), {"action": "apply", "_selected_action": [revision.pk]})
    agreement.refresh_from_db()
    assert agreement.summary_ja == "a"


def test_a_revision_is_not_applied_over_a_later_change(editor_only, publisher):
    from alliance.editorial.publishing import propose

    agreement = make_agreement(slug="sofa", summary_ja="a")
    agreement.summary_ja = "b"
    revision = propose(editor_only, agreement)
    Agreement.objects.filter(pk=agreement.pk).update(summary_ja="someone else")
    with pytest.raises(RevisionConflict):
        apply_revision(revision, publisher)
    agreement.refresh_from_db()
    assert agreement.summary_ja == "someone else"


def test_an_editor_s_import_over_a_published_record_becomes_a_revision(client, editor_only):
    make_agreement(slug="treaty-1960", name_ja="日米安全保障条約", kind="treaty", status="published")
    client.force_login(editor_only)
    header = "slug,status,name_ja,kind\r\n"
    response = preview(client, csv_upload(header + "treaty-1960,published,取込で変えた名前,treaty\r\n"))
    answer = confirm(client, response)
    assert answer.status_code == 302
    assert Agreement.objects.get(slug="treaty-1960").name_ja == "日米安全保障条約"
    assert Revision.objects.get().changes["name_ja"] == ["日米安全保障条約", "取込で変えた名前"]


def test_an_editor_s_revert_of_a_published_record_becomes_a_revision(client, editor_only):
    body = make_body(slug="acm", name_ja="同盟調整メカニズム", kind="mechanism", established="2015")
    body.name_ja = "古い名前"
    body.save()
    old = body.history.filter(name_ja="同盟調整メカニズム").first()
    body.name_ja = "同盟調整メカニズム（現行）"
    body.save()
    client.force_login(editor_only)
    revert_url = reverse("admin:alliance_body_simple_history", args=[body.pk, old.history_id])
    form = client.get(revert_url)
    client.post(revert_url, form_data(form, name_ja="同盟調整メカニズム", slug="acm", kind="mechanism", established="2015"))
    body.refresh_from_db()
    assert body.name_ja == "同盟調整メカニズム（現行）"
    assert Revision.objects.get().changes["name_ja"][1] == "同盟調整メカニズム"


def test_evidence_an_editor_adds_to_a_published_record_stays_hidden_until_published(client, editor_only, publisher):
    agreement = make_agreement(slug="sofa", name_ja="日米地位協定")
    source = make_source(slug="press-2026")
    client.force_login(editor_only)
    url = reverse("admin:alliance_citation_add")
    data = form_data(client.get(url), source=source.pk, locator="報道発表", quote="編集者が加えた引用", agreement=agreement.pk, key="press-2026-1")
    assert client.post(url, data).status_code == 302
    citation = Citation.objects.get(quote="編集者が加えた引用")
    assert citation.status == Status.DRAFT
    assert "編集者が加えた引用" not in public_html(agreement)
    client.force_login(publisher)
    client.post(reverse("admin:alliance_citation_changelist"), {"action": "publish", "_selected_action": [citation.pk]})
    assert "編集者が加えた引用" in public_html(agreement)


def test_an_editor_s_change_to_a_published_citation_becomes_a_revision(client, editor_only):
    citation = make_citation(body=make_body(), quote="元の引用")
    client.force_login(editor_only)
    url = reverse("admin:alliance_citation_change", args=[citation.pk])
    page = client.get(url)
    data = form_data(page, source=citation.source_id, locator=citation.locator, quote="書き換えた引用", body=citation.body_id,
                     key=citation.key, edit_token=page.context["adminform"].form["edit_token"].value())
    client.post(url, data)
    citation.refresh_from_db()
    assert citation.quote == "元の引用"
    assert Revision.objects.get().changes["quote"] == ["元の引用", "書き換えた引用"]


@pytest.mark.parametrize("kind", ["attendee", "document", "relation", "citation", "source"])
def test_drafts_of_every_public_model_stay_off_the_public_pages(client, kind):
    meeting = make_meeting(slug="m1", name_ja="会議")
    agreement = make_agreement(slug="a1", name_ja="協定")
    secret = "下書きの秘密"
    if kind == "attendee":
        make_participation(meeting=meeting, name_text=secret, status="draft")
        pages = [meeting]
    elif kind == "document":
        other = make_agreement(slug="a2", name_ja=secret)
        other.meeting_documents.create(meeting=meeting, kind="signed", status="draft")
        pages = [meeting]
    elif kind == "relation":
        agreement.relations_out.create(kind="amends", object=make_agreement(slug="a3", name_ja=secret), status="draft")
        pages = [agreement]
    elif kind == "citation":
        make_citation(agreement=agreement, quote=secret, status="draft")
        pages = [agreement]
    else:
        make_citation(agreement=agreement, quote="出典は下書き", source=make_source(title_ja=secret, status="draft"))
        pages = [agreement]
    for obj in pages:
        assert secret not in public_html(obj)
    assert secret not in Client().get("/").content.decode()
    for obj in pages:
        name = obj._meta.model_name
        body = b"".join(Client().get(reverse(f"alliance:{name}-csv")).streaming_content).decode("utf-8-sig")
        row = next(line for line in body.splitlines() if line.startswith(obj.slug + ","))
        assert secret not in row


def test_a_draft_supersedes_relation_does_not_change_a_public_fact():
    import datetime

    old = make_agreement(slug="old", in_force="1952")
    new = make_agreement(slug="new", in_force="1960")
    relation = new.relations_out.create(kind="supersedes", object=old, status="draft")
    today = datetime.date(2026, 1, 1)
    assert Agreement.objects.in_force_on(today).filter(pk=old.pk).exists()
    relation.status = "published"
    relation.save()
    assert not Agreement.objects.in_force_on(today).filter(pk=old.pk).exists()


def test_a_draft_citation_stays_out_of_the_detail_json(client):
    agreement = make_agreement(slug="sofa")
    make_citation(agreement=agreement, quote="公開の引用")
    make_citation(agreement=agreement, quote="下書きの引用", status="draft")
    data = client.get(reverse("alliance:agreement-detail-json", args=["sofa"])).json()
    quotes = [c["quote"] for c in data["citations"]] if "citations" in data else [c["quote"] for c in data["record"]["citations"]]
    assert "公開の引用" in quotes and "下書きの引用" not in quotes
