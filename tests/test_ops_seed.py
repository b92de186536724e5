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
