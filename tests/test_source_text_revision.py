"""Issue 20, finding 4: a change to a source's text re-verifies every citation of it first.

An editor uploads new text for a published source; a publisher applies the revision. The
citations whose quote the new text no longer holds are listed (record, field, quote) and
the change is refused, unless the publisher withdraws them explicitly (back to draft, with
a history entry saying why). The same holds for a publisher's own edit of the text on the
source's page, and an editor proposing such a text is warned when proposing it."""

import pytest
from django.urls import reverse

from alliance.models import Citation, Revision, Source, Status

from .factories import make_body, make_citation, make_meeting, make_source
from .processes import read_form

pytestmark = pytest.mark.django_db

SENTENCES = [f"第{n}項　日米両政府は、同盟調整メカニズムの第{n}回会合で協力の強化を確認した。" for n in range(1, 21)]
OLD_TEXT = "\n".join(SENTENCES)
NEW_TEXT = "令和8年版の新しい本文。以前の文言はどこにも残っていない。"


def broken_published() -> int:
    """Published citations whose quote is not in their source's stored text, whitespace aside."""
    return sum(
        1
        for citation in Citation.objects.filter(status=Status.PUBLISHED).select_related("source")
        if not (match := citation.source.locate(citation.quote)) or not match.found
    )


@pytest.fixture
def cited_source():
    """A published source and 20 published citations quoting it, on meetings and bodies,
    some for one field."""
    source = make_source(slug="white-paper-2025", title_ja="防衛白書", text=OLD_TEXT)
    for n, sentence in enumerate(SENTENCES):
        record = {"meeting": make_meeting()} if n % 2 else {"body": make_body()}
        make_citation(source=source, quote=sentence.split("　", 1)[1][:26], field="start" if n % 4 == 1 else "", locator=f"第{n + 1}項", **record)
    assert broken_published() == 0
    return source


def change_url(source):
    return reverse("admin:alliance_source_change", args=[source.pk])


def post_text(client, source, text, **extra):
    url = change_url(source)
    page = client.get(url)
    assert page.status_code == 200
    data = read_form(page.content.decode(), "source_form") | {"text": text} | extra
    return client.post(url, data, follow=True)


def apply_in_admin(client, revision, **extra):
    data = {"action": "apply", "_selected_action": [revision.pk], "index": "0"} | extra
    return client.post(reverse("admin:alliance_revision_changelist"), data, follow=True)


def test_applying_an_editor_s_new_text_breaks_no_citation_silently(client, editor_only, publisher, cited_source):
    client.force_login(editor_only)
    assert post_text(client, cited_source, NEW_TEXT).status_code == 200
    revision = Revision.objects.get()
    assert revision.changes["text"][1] == NEW_TEXT

    client.force_login(publisher)
    response = apply_in_admin(client, revision)
    broken = broken_published()
    assert broken == 0, f"{broken} of 20 citations now quote text that is not in their source"
    cited_source.refresh_from_db()
    assert cited_source.text == OLD_TEXT, "the text was not changed"
    revision.refresh_from_db()
    assert revision.state == Revision.State.PENDING

    # Refused with the list: every citation, with its record, field and quote.
    page = response.content.decode()
    assert response.status_code == 200 and "0 件の修正案を反映しました" in page
    assert "出典 20 件の引用が本文に見つからなくなります" in page
    for citation in Citation.objects.all():
        assert f"出典 #{citation.pk}（" in page and citation.quote in page
        assert str(citation.record) in page
    assert "項目: start" in page and "項目: 記録全体" in page
    # The revision's own page shows the same list before anyone applies it.
    detail = client.get(reverse("admin:alliance_revision_change", args=[revision.pk])).content.decode()
    assert "反映すると本文に見つからなくなる引用" in detail and detail.count("<li>出典 #") == 20

    # Sent back without ticking the withdrawal: still refused, nothing written.
    form = read_form(page, "revision-apply-confirm")
    assert "withdraw_confirmed" not in form
    apply_in_admin(client, revision, withdraw_citation=form["withdraw_citation"])
    revision.refresh_from_db()
    assert revision.state == Revision.State.PENDING and Source.objects.get().text == OLD_TEXT

    # Withdrawn explicitly: applied, the 20 citations are drafts with a history entry saying why.
    response = client.post(reverse("admin:alliance_revision_changelist"), form | {"withdraw_confirmed": "yes"}, follow=True)
    assert "1 件の修正案を反映しました" in response.content.decode()
    assert "出典 20 件を下書きに戻しました" in response.content.decode()
    revision.refresh_from_db()
    assert revision.state == Revision.State.APPLIED and Source.objects.get().text == NEW_TEXT
    assert broken_published() == 0
    for citation in Citation.objects.all():
        assert citation.status == Status.DRAFT
        latest = citation.history.latest()
        assert latest.history_user == publisher
        assert "本文の変更で引用が見つからないため取り下げ" in latest.history_change_reason
        assert f"修正案 #{revision.pk}" in latest.history_change_reason


def test_only_the_citations_shown_to_the_publisher_are_withdrawn(client, editor_only, publisher, cited_source):
    client.force_login(editor_only)
    post_text(client, cited_source, NEW_TEXT)
    revision = Revision.objects.get()
    client.force_login(publisher)
    form = read_form(apply_in_admin(client, revision).content.decode(), "revision-apply-confirm")
    # Another citation of the source is added after the publisher saw the list.
    late = make_citation(source=cited_source, quote=SENTENCES[0].split("　", 1)[1][:16], body=make_body())
    response = client.post(reverse("admin:alliance_revision_changelist"), form | {"withdraw_confirmed": "yes"}, follow=True)
    revision.refresh_from_db()
    assert revision.state == Revision.State.PENDING, "refused: a citation the publisher was not shown would break"
    assert f"出典 #{late.pk}（" in response.content.decode()
    assert broken_published() == 0


def test_a_text_that_keeps_some_quotes_lists_only_the_others(client, editor_only, publisher, cited_source):
    client.force_login(editor_only)
    kept = "\n".join(SENTENCES[:15]) + "\n" + NEW_TEXT
    post_text(client, cited_source, kept)
    client.force_login(publisher)
    page = apply_in_admin(client, Revision.objects.get()).content.decode()
    assert "出典 5 件の引用が本文に見つからなくなります" in page


def test_an_editor_proposing_such_a_text_is_warned(client, editor_only, cited_source):
    client.force_login(editor_only)
    page = post_text(client, cited_source, NEW_TEXT).content.decode()
    assert "修正案" in page
    assert "この本文の修正案を反映すると、出典 20 件の引用が本文に見つからなくなります" in page
    assert Citation.objects.filter(status=Status.PUBLISHED).count() == 20, "nothing is withdrawn by a proposal"


def test_a_publisher_s_own_edit_of_the_text_is_refused_with_the_list_or_withdraws_them(client, publisher, cited_source):
    client.force_login(publisher)
    response = post_text(client, cited_source, NEW_TEXT)
    assert response.status_code == 200 and response.redirect_chain == [], "refused: the form is shown again"
    page = response.content.decode()
    assert "出典 20 件の引用が本文に見つからなくなります" in page
    assert all(f"出典 #{c.pk}（" in page for c in Citation.objects.all())
    cited_source.refresh_from_db()
    assert cited_source.text == OLD_TEXT and broken_published() == 0

    response = post_text(client, cited_source, NEW_TEXT, withdraw_broken_citations="on")
    assert response.redirect_chain, response.content.decode()[:3000]
    cited_source.refresh_from_db()
    assert cited_source.text == NEW_TEXT
    assert "出典 20 件を下書きに戻しました" in response.content.decode()
    assert broken_published() == 0
    assert set(Citation.objects.values_list("status", flat=True)) == {Status.DRAFT}
    assert all("本文の変更で引用が見つからないため取り下げ" in c.history.latest().history_change_reason for c in Citation.objects.all())


def test_an_uploaded_file_is_checked_the_same_way(client, publisher, cited_source):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(publisher)
    url = change_url(cited_source)
    data = read_form(client.get(url).content.decode(), "source_form")
    data["text_file"] = SimpleUploadedFile("new.txt", NEW_TEXT.encode(), content_type="text/plain")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "出典 20 件の引用が本文に見つからなくなります" in response.content.decode()
    cited_source.refresh_from_db()
    assert cited_source.text == OLD_TEXT


def test_a_text_that_keeps_every_quote_saves_as_before(client, publisher, cited_source):
    client.force_login(publisher)
    response = post_text(client, cited_source, OLD_TEXT + "\n追記された段落。")
    assert response.redirect_chain
    cited_source.refresh_from_db()
    assert cited_source.text.endswith("追記された段落。")
    assert set(Citation.objects.values_list("status", flat=True)) == {Status.PUBLISHED}


@pytest.mark.django_db(transaction=True)
def test_a_revert_of_the_text_from_the_history_is_checked_the_same_way(client, publisher, cited_source):
    """Reverting a source to an earlier version saves through the same form: a version whose
    text would break citations is refused with the list. Outside a test's transaction, as a
    real request runs: the edit check locks the record, so the revert must be atomic too."""
    Source.objects.filter(pk=cited_source.pk).update(text=NEW_TEXT)  # an old version, for the history below
    old_version = cited_source.history.earliest()
    Source.objects.filter(pk=cited_source.pk).update(text=OLD_TEXT)
    old_version.text = NEW_TEXT
    old_version.save()
    client.force_login(publisher)
    url = reverse("admin:alliance_source_simple_history", args=[cited_source.pk, old_version.history_id])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, read_form(page.content.decode(), "historicalsource_form"))
    assert response.status_code == 200
    assert "出典 20 件の引用が本文に見つからなくなります" in response.content.decode()
    cited_source.refresh_from_db()
    assert cited_source.text == OLD_TEXT and broken_published() == 0
