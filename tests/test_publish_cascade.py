"""Issue 12, finding 1: publishing a record publishes the drafts it depends on in one
step (after a page that lists them), or refuses with the list."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from alliance.editorial.publishing import DEPENDENCIES, PublishPlan, dependencies
from alliance.models import REGISTRY, Status, Tenure

from .factories import (
    make_body,
    make_citation,
    make_meeting,
    make_participation,
    make_person,
    make_post,
    make_seat,
    make_source,
)
from .test_trust import change_form_data

pytestmark = pytest.mark.django_db
DRAFT = Status.DRAFT


@pytest.fixture
def draft_meeting():
    """A meeting as an editor leaves it: everything new is a draft, the body is published."""
    body = make_body(slug="acg", name_ja="同盟調整グループ")
    make_seat(body=body, status=DRAFT)  # the body's own part: not the meeting's business
    meeting = make_meeting(slug="acg-2026-01", name_ja="同盟調整グループ会合", kind="working", body=body, status=DRAFT)
    people = []
    for n in (1, 2):
        person = make_person(slug=f"wg-person-{n}", name_ja=f"出席者{n}", status=DRAFT)
        post = make_post(slug=f"wg-post-{n}", name_ja=f"役職{n}", status=DRAFT)
        tenure = Tenure.objects.create(slug=f"wg-tenure-{n}", person=person, post=post, status=DRAFT)
        attendee = make_participation(meeting=meeting, person=person, post=post, name_text="", status=DRAFT)
        people += [person, post, tenure, attendee]
    source = make_source(slug="press-release", title_ja="報道発表", status=DRAFT)
    citation = make_citation(source=source, meeting=meeting, quote="同盟調整グループ", status=DRAFT)
    return meeting, [*people, citation, source]


def test_the_dependencies_of_a_meeting_are_its_attendees_people_posts_tenures_citations_and_sources(draft_meeting):
    meeting, expected = draft_meeting
    found = dependencies([meeting])
    assert {(type(o), o.pk) for o in expected} <= {(type(o), o.pk) for o in found}
    assert meeting.body in found
    assert not any(o._meta.model_name == "seat" for o in found), "a named body's seats are not the meeting's parts"


def test_every_registry_model_has_a_dependency_rule():
    assert {entry.model_name for entry in REGISTRY} == set(DEPENDENCIES)


def test_the_publish_action_lists_the_drafts_and_publishes_them_together(client, publisher, draft_meeting):
    meeting, drafts = draft_meeting
    client.force_login(publisher)
    url = reverse("admin:alliance_meeting_changelist")
    page = client.post(url, {"action": "publish", "_selected_action": [meeting.pk]})
    assert page.status_code == 200, "a page listing the drafts comes first"
    html = page.content.decode()
    for label in ("出席者1", "役職2", "報道発表", "在任"):
        assert label in html
    meeting.refresh_from_db()
    assert meeting.status == DRAFT, "nothing is published before the confirmation"
    answer = client.post(url, {"action": "publish", "_selected_action": [meeting.pk], "publish_confirmed": "yes"})
    assert answer.status_code == 302
    for obj in [meeting, *drafts]:
        obj.refresh_from_db()
        assert obj.status == Status.PUBLISHED, obj
    detail = Client().get(meeting.get_absolute_url()).content.decode()
    assert "出席者1" in detail and "役職2" in detail


def test_publishing_through_the_status_field_publishes_the_dependencies(client, publisher, draft_meeting):
    meeting, drafts = draft_meeting
    client.force_login(publisher)
    url = reverse("admin:alliance_meeting_change", args=[meeting.pk])
    page = client.get(url)
    assert "公開すると一緒に公開される下書き" in page.content.decode() and "出席者2" in page.content.decode()
    data = change_form_data(page)
    for key in [k for k in data if k.endswith("INITIAL_FORMS") or k.endswith("TOTAL_FORMS")]:
        data[key] = "0"
    data["status"] = "published"
    response = client.post(url, data)
    assert response.status_code == 302
    for obj in [meeting, *drafts]:
        obj.refresh_from_db()
        assert obj.status == Status.PUBLISHED, obj


def test_a_user_who_may_not_publish_a_dependency_is_refused_with_the_list(client, draft_meeting):
    meeting, drafts = draft_meeting
    user = get_user_model().objects.create_user(username="meetings-only", password="a-long-test-password", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_meeting", "change_meeting", "publish_meeting"])
    )
    client.force_login(user)
    page = client.post(reverse("admin:alliance_meeting_changelist"), {"action": "publish", "_selected_action": [meeting.pk], "publish_confirmed": "yes"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "公開しませんでした" in html and "出席者1" in html
    meeting.refresh_from_db()
    assert meeting.status == DRAFT
    assert all(type(o).objects.get(pk=o.pk).status == DRAFT for o in drafts)
    assert not PublishPlan(user, [meeting]).allowed
