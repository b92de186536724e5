"""Issue 20, finding 5: deleting a record closes its pending revisions (cascades and inline
rows removed from their parent's page included), and applying or viewing a revision whose
record is gone answers with a clear message, never a 500. Applying a revision locks its
record as every editorial write does (its parents first)."""

import threading

import psycopg
import pytest
from django.db import OperationalError, connection, transaction
from django.urls import reverse

from alliance.editorial.publishing import apply_revision, propose
from alliance.models import Citation, Meeting, Participation, Revision

from .factories import make_body, make_citation, make_meeting, make_participation, make_person
from .processes import database_url, read_form

pytestmark = pytest.mark.django_db


def page_form(client, url, form_id):
    response = client.get(url)
    assert response.status_code == 200
    return read_form(response.content.decode(), form_id)


def propose_in_admin(client, model_name, obj, form_id, **changes):
    """An editor changes a published record on its page: the save becomes a revision."""
    url = reverse(f"admin:alliance_{model_name}_change", args=[obj.pk])
    data = page_form(client, url, form_id) | changes
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def apply_in_admin(client, revisions):
    """The publisher selects revisions in the list and runs "反映する"."""
    return client.post(
        reverse("admin:alliance_revision_changelist"),
        {"action": "apply", "_selected_action": [r.pk for r in revisions], "index": "0"},
        follow=True,
    )


@pytest.fixture
def published_meeting():
    meeting = make_meeting(slug="scc-2026", name_ja="日米安全保障協議委員会（2026年）", body=make_body())
    attendee = make_participation(meeting=meeting, person=make_person(), role="日本側")
    citation = make_citation(meeting=meeting, quote="日米安全保障協議委員会")
    return meeting, attendee, citation


def test_deleting_a_record_closes_its_revisions_and_theirs_deleted_with_it(client, editor_only, publisher, published_meeting):
    meeting, attendee, citation = published_meeting
    client.force_login(editor_only)
    propose_in_admin(client, "meeting", meeting, "meeting_form", name_ja="日米安全保障協議委員会（改）")
    propose_in_admin(client, "participation", attendee, "participation_form", role="日本側議長")
    propose_in_admin(client, "citation", citation, "citation_form", locator="本文（改）")
    revisions = list(Revision.objects.order_by("pk"))
    assert len(revisions) == 3 and {r.state for r in revisions} == {"pending"}

    # The publisher deletes the meeting; its attendee and citation go with it (cascade).
    client.force_login(publisher)
    response = client.post(reverse("admin:alliance_meeting_delete", args=[meeting.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Participation.objects.filter(pk=attendee.pk).exists() and not Citation.objects.filter(pk=citation.pk).exists()

    states = {r.pk: r.state for r in Revision.objects.all()}
    assert sorted(states.values()) == ["closed"] * 3, f"pending revisions of deleted records: {states}"
    assert Revision.objects.pending().count() == 0

    # Applying them anyway (the list still shows them) answers with the reason, never a 500.
    client.raise_request_exception = False
    response = apply_in_admin(client, revisions)
    assert response.status_code == 200
    text = response.content.decode()
    assert "0 件の修正案を反映しました" in text and "削除されています" in text
    # Each revision's page still opens and says the record is gone.
    for revision in revisions:
        page = client.get(reverse("admin:alliance_revision_change", args=[revision.pk]))
        assert page.status_code == 200 and "この記録は削除されています" in page.content.decode()
        assert "記録の削除で終了" in page.content.decode()


def test_an_attendee_removed_on_its_meeting_s_page_closes_its_revision(client, editor_only, publisher, published_meeting):
    meeting, attendee, _citation = published_meeting
    client.force_login(editor_only)
    propose_in_admin(client, "participation", attendee, "participation_form", role="日本側議長")
    revision = Revision.objects.get()

    client.force_login(publisher)
    url = reverse("admin:alliance_meeting_change", args=[meeting.pk])
    data = page_form(client, url, "meeting_form")
    prefix = next(key for key, value in data.items() if key.endswith("-0-id") and value == str(attendee.pk)).removesuffix("-0-id")
    response = client.post(url, data | {f"{prefix}-0-DELETE": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Participation.objects.filter(pk=attendee.pk).exists()
    revision.refresh_from_db()
    assert revision.state == Revision.State.CLOSED


def test_a_pending_revision_whose_record_is_gone_is_answered_and_closed(client, publisher):
    # As a backup made before deletions closed revisions would bring back: a pending
    # revision of a record that no longer exists.
    meeting = make_meeting(slug="gone", name_ja="消えた会議")
    revision = Revision.objects.create(
        content_type_id=__import__("django.contrib.contenttypes.models", fromlist=["x"]).ContentType.objects.get_for_model(Meeting).pk,
        object_id=meeting.pk + 10_000, record_label="消えた会議", changes={"name_ja": ["消えた会議", "改"]},
    )
    client.force_login(publisher)
    client.raise_request_exception = False
    assert client.get(reverse("admin:alliance_revision_change", args=[revision.pk])).status_code == 200
    response = apply_in_admin(client, [revision])
    assert response.status_code == 200
    assert "消えた会議" in response.content.decode() and "削除されています" in response.content.decode()
    revision.refresh_from_db()
    assert revision.state == Revision.State.CLOSED


def test_a_revision_applied_twice_says_so_the_second_time(client, editor_only, publisher, published_meeting):
    meeting, _attendee, _citation = published_meeting
    client.force_login(editor_only)
    propose_in_admin(client, "meeting", meeting, "meeting_form", name_ja="日米安全保障協議委員会（改）")
    revision = Revision.objects.get()
    client.force_login(publisher)
    assert "1 件の修正案を反映しました" in apply_in_admin(client, [revision]).content.decode()
    again = apply_in_admin(client, [revision]).content.decode()
    assert "0 件の修正案を反映しました" in again and f"修正案 #{revision.pk} はすでに「反映済み」です" in again


@pytest.mark.django_db(transaction=True)
def test_applying_an_attendee_s_revision_waits_for_its_meeting_s_lock(editor_only, publisher):
    """Another save of the meeting's page holds the meeting's row (locking.lock, parents
    first): applying a revision of one of its attendees must wait for it, as every other
    write of an attendee does."""
    meeting = make_meeting(slug="locked", name_ja="会議", body=make_body())
    attendee = make_participation(meeting=meeting, person=make_person(), role="日本側")
    attendee.role = "日本側議長"
    revision = propose(editor_only, attendee)

    holding, release = threading.Event(), threading.Event()

    def hold_the_meeting():
        with psycopg.connect(database_url(connection.settings_dict)) as other:
            other.execute("SELECT 1 FROM alliance_meeting WHERE id = %s FOR NO KEY UPDATE", [meeting.pk])
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold_the_meeting)
    thread.start()
    try:
        assert holding.wait(30)
        with pytest.raises(OperationalError, match="lock timeout"):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '300ms'")
                apply_revision(revision, publisher)
    finally:
        release.set()
        thread.join(30)
    revision.refresh_from_db()
    assert revision.state == Revision.State.PENDING
    apply_revision(revision, publisher)
    attendee.refresh_from_db()
    assert attendee.role == "日本側議長"


def test_every_registry_table_closes_its_records_revisions_on_delete():
    from alliance.models import REGISTRY

    with connection.cursor() as cursor:
        for entry in REGISTRY:
            table = entry.model._meta.db_table
            cursor.execute(
                "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = %s AND t.tgname = %s AND NOT t.tgisinternal",
                [table, f"{table}_close_revisions"],
            )
            assert cursor.fetchone()[0] == 1, table
