"""The start-up seed never overwrites or resurrects what editors did (issue 10, finding 0)."""

import io

import pytest
from django.core.management import call_command

from alliance.models import Agreement, Body, Citation, Meeting, Organization, Participation


def seed():
    # As `make run` (serve → setup_local) and docker/entrypoint.sh call it.
    out = io.StringIO()
    call_command("seed", verbosity=1, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_an_edit_to_a_seeded_record_survives_the_next_start():
    seed()
    body = Body.objects.get(slug="scc")
    body.name_en = "Security Consultative Committee (edited)"
    body.save()  # the ORM, as the admin saves: one history row
    history = body.history.count()
    Body.objects.filter(slug="acm").update(name_ja="同盟調整メカニズム（編集済）")
    citation = Citation.objects.get(key="body-scc-1")
    citation.locator = "図表III-2-1-5（編集済）"
    citation.save()

    seed()

    body.refresh_from_db()
    assert body.name_en == "Security Consultative Committee (edited)"
    assert body.history.count() == history, "the seed wrote no history for an existing record"
    assert Body.objects.get(slug="acm").name_ja == "同盟調整メカニズム（編集済）"
    assert Citation.objects.get(key="body-scc-1").locator == "図表III-2-1-5（編集済）"


@pytest.mark.django_db
def test_an_edit_made_through_the_admin_survives_the_next_start(editor_client):
    seed()
    org = Organization.objects.get(slug="japan")
    response = editor_client.get(f"/admin/alliance/organization/{org.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    data["name_en"] = "Japan (edited in the admin)"
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{formset.formset.prefix}-{name}"] = management[name].value()
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None and value is not False:
                    data[inline_form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    response = editor_client.post(f"/admin/alliance/organization/{org.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    org.refresh_from_db()
    assert org.name_en == "Japan (edited in the admin)"
    history = org.history.count()

    seed()

    org.refresh_from_db()
    assert org.name_en == "Japan (edited in the admin)"
    assert org.history.count() == history


@pytest.mark.django_db
def test_the_seed_fills_an_empty_registry_and_adds_records_that_never_existed():
    out = seed()
    assert Body.objects.filter(slug="scc").exists()
    assert "added" in out
    agreements = Agreement.objects.count()
    # A record new to the seed data (here: one that never was in the database) is added
    # with its citations and its many-to-many links; a seeded record gets a "seeded" history row.
    Agreement.objects.filter(slug="security-treaty-1951").delete()
    # Forget the deletion, as if the record had never been there (a new release's seed data).
    Agreement.history.filter(slug="security-treaty-1951").delete()
    Citation.history.filter(agreement_id__isnull=False).filter(key__startswith="agreement-security-treaty-1951-").delete()
    seed()
    added = Agreement.objects.get(slug="security-treaty-1951")
    assert Agreement.objects.count() == agreements
    assert added.citations.exists()
    assert set(added.parties.values_list("slug", flat=True)) == {"japan", "united-states"}
    assert {h.history_change_reason for h in added.history.all()} == {"seeded"}


@pytest.mark.django_db
def test_a_record_an_editor_deleted_is_not_brought_back():
    seed()
    meeting = Meeting.objects.get(slug="scc-2024-07")
    attendees = meeting.participations.count()
    citations = set(Citation.objects.filter(meeting=meeting).values_list("key", flat=True))
    citations |= set(Citation.objects.filter(participation__meeting=meeting).values_list("key", flat=True))
    assert citations and attendees
    meeting.delete()  # as the admin deletes: history keeps a "-" row; attendees and citations go with it
    out = seed()
    assert not Meeting.objects.filter(slug="scc-2024-07").exists()
    assert not Participation.objects.filter(meeting__slug="scc-2024-07").exists()
    assert not Citation.objects.filter(key__in=citations).exists()
    assert "deleted by an editor" in out


@pytest.mark.django_db
def test_seeding_twice_writes_nothing_the_second_time():
    seed()
    counts = {model: model.history.count() for model in (Agreement, Body, Citation)}
    out = seed()
    assert {model: model.history.count() for model in (Agreement, Body, Citation)} == counts
    assert "added 0" in out


# --- a seeded record renamed by a publisher (issue 20, finding 6) -------------------------


def rename_in_admin(client, obj, model_name, slug):
    """A publisher changes the record's slug on its page, as a browser posts it."""
    from django.urls import reverse

    from .processes import read_form

    url = reverse(f"admin:alliance_{model_name}_change", args=[obj.pk])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, read_form(page.content.decode(), f"{model_name}_form") | {"slug": slug})
    assert response.status_code == 302, response.content.decode()[:3000]


def public_csv_rows(client, url_name, slug):
    from django.urls import reverse

    body = b"".join(client.get(reverse(url_name)).streaming_content).decode("utf-8-sig")
    return sum(1 for line in body.splitlines() if f"/{slug}/" in line)


@pytest.mark.django_db
def test_a_seeded_record_renamed_by_a_publisher_is_not_seeded_again_under_its_old_name(client, publisher):
    from alliance.models import Event

    seed()
    event = Event.objects.get(slug="okinawa-reversion-1972")
    events, citations = Event.objects.count(), set(event.citations.values_list("key", flat=True))
    client.force_login(publisher)
    rename_in_admin(client, event, "event", "reversion-of-okinawa-1972")

    out = seed()  # the next `make run`

    duplicates = Event.objects.filter(slug="okinawa-reversion-1972").count()
    assert duplicates == 0, f"the old slug was seeded again: {duplicates} duplicate(s)"
    assert Event.objects.count() == events
    event.refresh_from_db()
    assert event.slug == "reversion-of-okinawa-1972"
    assert set(event.citations.values_list("key", flat=True)) == citations
    assert "1 of them renamed by an editor" in out
    client.logout()
    assert client.get("/events/okinawa-reversion-1972/").status_code == 404
    assert client.get("/events/reversion-of-okinawa-1972/").status_code == 200
    assert public_csv_rows(client, "alliance:event-csv", "reversion-of-okinawa-1972") == 1
    assert public_csv_rows(client, "alliance:event-csv", "okinawa-reversion-1972") == 0


@pytest.mark.django_db
def test_the_seed_data_s_references_to_a_renamed_record_follow_it(client, publisher):
    from alliance.models import Event

    seed()
    event = Event.objects.get(slug="okinawa-reversion-1972")
    client.force_login(publisher)
    rename_in_admin(client, event, "event", "reversion-of-okinawa-1972")
    # A citation of it new to the seed data (as a newer release would bring one): it names
    # the event by its old slug, and must land on the renamed event.
    key = "event-okinawa-reversion-1972-1"
    Citation.objects.filter(key=key).delete()
    Citation.history.filter(key=key).delete()

    seed()

    assert Citation.objects.get(key=key).event_id == event.pk
    assert not Event.objects.filter(slug="okinawa-reversion-1972").exists()


@pytest.mark.django_db
def test_a_renamed_meeting_keeps_its_attendees_and_gets_none_twice(client, publisher):
    seed()
    meeting = Meeting.objects.get(slug="scc-2024-07")
    attendees, meetings = meeting.participations.count(), Meeting.objects.count()
    participations = Participation.objects.count()
    client.force_login(publisher)
    rename_in_admin(client, meeting, "meeting", "scc-2024-07-tokyo")

    seed()

    assert Meeting.objects.count() == meetings and not Meeting.objects.filter(slug="scc-2024-07").exists()
    assert Participation.objects.count() == participations
    assert Meeting.objects.get(slug="scc-2024-07-tokyo").participations.count() == attendees


@pytest.mark.django_db
def test_a_seeded_record_renamed_then_deleted_is_not_brought_back(client, publisher):
    from django.urls import reverse

    from alliance.models import Event

    seed()
    event = Event.objects.get(slug="okinawa-reversion-1972")
    client.force_login(publisher)
    rename_in_admin(client, event, "event", "reversion-of-okinawa-1972")
    assert client.post(reverse("admin:alliance_event_delete", args=[event.pk]), {"post": "yes"}).status_code == 302

    out = seed()

    assert not Event.objects.filter(slug__in=["okinawa-reversion-1972", "reversion-of-okinawa-1972"]).exists()
    assert "deleted by an editor" in out
