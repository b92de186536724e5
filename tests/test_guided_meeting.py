"""Issue 12: the guided "add a meeting" page records a meeting from a press release —
source with its text, attendees with new people and posts, one citation — in one
submission, and publishes it with its dependencies for a publisher."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from alliance.models import Citation, Meeting, Participation, Person, Post, Source, Status

from .factories import make_body
from .test_sources import PRESS

pytestmark = pytest.mark.django_db
URL = reverse("admin:alliance_meeting_guided")


def guided_data(**changes):
    data = {
        "body": "", "kind": "working", "start": "2026-03-04", "session_number": "5", "place_ja": "東京", "place_en": "Tokyo",
        "outcomes_ja": "情報共有の強化\r\n共同計画の進展", "outcomes_en": "Stronger information sharing",
        "source_title_ja": "日米同盟調整グループ局長級会合の開催", "source_title_en": "ACG Director-General Meeting",
        "source_publisher_ja": "外務省", "source_issued": "2026-03-04", "source_url": "https://www.mofa.go.jp/press/x.html",
        "source_text": PRESS, "locator": "本文", "quote": "東京において、日米同盟調整グループ局長級会合が開催された",
        "attendee-TOTAL_FORMS": "2", "attendee-INITIAL_FORMS": "0", "attendee-MIN_NUM_FORMS": "0", "attendee-MAX_NUM_FORMS": "40",
        "attendee-0-side": "jp", "attendee-0-person_name_ja": "山田花子", "attendee-0-person_name_en": "Hanako Yamada",
        "attendee-0-post_name_ja": "外務省北米局長", "attendee-0-post_name_en": "Director-General, North American Affairs Bureau",
        "attendee-0-role": "日本側議長", "attendee-0-role_en": "Japanese chair",
        "attendee-1-side": "us", "attendee-1-person_name_ja": "ジョン・スミス", "attendee-1-person_name_en": "John Smith",
        "attendee-1-post_name_ja": "国務次官補", "attendee-1-post_name_en": "Assistant Secretary of State",
        "attendee-1-role": "米側議長", "attendee-1-role_en": "U.S. chair",
    }
    return {**data, **changes}


def test_a_publisher_records_and_publishes_a_meeting_in_one_submission(client, publisher):
    body = make_body(slug="acg", name_ja="同盟調整グループ", kind="group")
    client.force_login(publisher)
    assert client.get(URL).status_code == 200
    response = client.post(URL, guided_data(body=str(body.pk), publish="on"))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    meeting = Meeting.objects.get()
    assert meeting.slug == "acg-2026-03-04" and meeting.name_ja == "第5回同盟調整グループ"
    assert meeting.outcomes_ja == "情報共有の強化\n共同計画の進展"
    for model in (Meeting, Participation, Person, Post, Source, Citation):
        assert set(model.objects.values_list("status", flat=True)) == {Status.PUBLISHED}, model
    assert Citation.objects.get().covers_parts
    source = Source.objects.get()
    assert source.slug == "acg-director-general-meeting-2026" and source.text.startswith("日米同盟調整グループ")
    page = Client().get(meeting.get_absolute_url()).content.decode()
    assert "山田花子" in page and "国務次官補" in page and "日本側議長" in page
    english = Client().get("/en" + meeting.get_absolute_url()).content.decode()
    assert "Japanese chair" in english and "Hanako Yamada" in english
    answer = Client().get(reverse("alliance:meeting-csv"), {"body": "acg"})
    raw = b"".join(answer.streaming_content).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(raw)))
    assert row["attendees"] == "jp: 外務省北米局長 山田花子（日本側議長）; us: 国務次官補 ジョン・スミス（米側議長）"


def test_a_wrong_quote_writes_nothing_and_says_where_the_text_differs(client, publisher):
    body = make_body(slug="acg")
    client.force_login(publisher)
    response = client.post(URL, guided_data(body=str(body.pk), quote="東京において、日米同盟調整グループ局長級会合が中止された"))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["quote"])
    assert "見つかりません" in errors and "局長級会合が開催された" in errors
    assert not Meeting.objects.exists() and not Person.objects.exists() and not Source.objects.exists()


def test_an_editor_saves_drafts_and_cannot_publish(client, editor_only):
    body = make_body(slug="acg")
    client.force_login(editor_only)
    assert "publish" not in client.get(URL).context["form"].fields
    response = client.post(URL, guided_data(body=str(body.pk), publish="on"))
    assert response.status_code == 302
    assert set(Participation.objects.values_list("status", flat=True)) == {Status.DRAFT}
    assert Meeting.objects.get().status == Status.DRAFT


def test_an_attendee_row_without_a_number_is_numbered_and_the_locator_has_a_default(client, publisher):
    from .factories import make_meeting, make_participation
    from .test_admin import errors_of, form_data

    meeting = make_meeting(slug="m1")
    make_participation(meeting=meeting, position=3)
    client.force_login(publisher)
    url = reverse("admin:alliance_meeting_change", args=[meeting.pk])
    page = client.get(url)
    inlines = {i.formset.model: i.formset for i in page.context["inline_admin_formsets"]}
    assert inlines[Citation].empty_form["locator"].value() == "本文", "箇所 is filled in already"
    assert not inlines[Participation].empty_form.fields["position"].required
    prefix = inlines[Participation].prefix
    data = form_data(page, name_ja=meeting.name_ja, slug="m1", kind=meeting.kind, status="published",
                     **{f"{prefix}-0-side": "jp", f"{prefix}-0-name_text": "関係省庁", f"{prefix}-0-role": "随行",
                        f"{prefix}-0-role_en": "Delegation member", f"{prefix}-0-position": ""})
    response = client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    added = Participation.objects.get(name_text="関係省庁")
    assert added.position == 4 and added.role_en == "Delegation member"


def test_the_admin_lists_models_in_the_order_of_work_and_bodies_with_their_slug(client, publisher):
    make_body(slug="acg-slug")
    client.force_login(publisher)
    names = [m["object_name"] for app in client.get(reverse("admin:index")).context["app_list"] for m in app["models"]]
    assert names.index("Meeting") < names.index("Source") < names.index("Body") < names.index("Agreement")
    assert "acg-slug" in client.get(reverse("admin:alliance_body_changelist")).content.decode()


def test_registered_people_and_posts_are_chosen_not_duplicated(client, publisher):
    from .factories import make_person, make_post

    body = make_body(slug="acg")
    person, post = make_person(slug="hayashi", name_ja="林"), make_post(slug="fm", name_ja="外務大臣")
    client.force_login(publisher)
    data = guided_data(body=str(body.pk), **{
        "attendee-TOTAL_FORMS": "1", "attendee-0-person": str(person.pk), "attendee-0-post": str(post.pk),
        "attendee-0-person_name_ja": "", "attendee-0-person_name_en": "", "attendee-0-post_name_ja": "", "attendee-0-post_name_en": "",
    })
    assert client.post(URL, data).status_code == 302
    attendee = Participation.objects.get()
    assert (attendee.person, attendee.post) == (person, post)
    assert Person.objects.count() == 1 and Post.objects.count() == 1


def test_the_guided_page_refuses_a_meeting_that_already_exists(client, publisher):
    from .factories import make_meeting

    body = make_body(slug="acg")
    make_meeting(slug="acg-5th", body=body, start="2026-03-04", session_number=5, kind="working")
    client.force_login(publisher)
    response = client.post(URL, guided_data(body=str(body.pk)))
    assert response.status_code == 200
    assert "acg-5th" in " ".join(response.context["form"].errors["start"])
    assert Meeting.objects.count() == 1
