"""Issue 21, "also to be gone": each test failed before its fix."""

import pytest
from django.core.exceptions import ValidationError

from alliance.editorial.guided import AttendeeForm, GuidedMeetingForm, meeting_add
from alliance.editorial.quality import report
from alliance.editorial.seedcheck import uncited
from alliance.models import Citation, Meeting, Person, Post, Status
from alliance.partial_dates import PartialDate

from .factories import make_body, make_citation, make_meeting, make_organization, make_person, make_source

pytestmark = pytest.mark.django_db


# 1. A draft citation does not cite a published record.
def test_a_draft_citation_does_not_cite_a_published_record():
    person = make_person(slug="p1", name_ja="山田太郎")
    source = make_source(text="山田太郎が出席した。")
    make_citation(source=source, person=person, quote="山田太郎", status=Status.DRAFT)
    assert uncited(Person).filter(pk=person.pk).exists(), "a draft citation leaves a published record uncited"
    pending = next(s for s in report() if s.key == "drafts")
    assert any("出典" in label for label, _url, _d in pending.items), "the draft citation is listed as pending"
    Citation.objects.update(status=Status.PUBLISHED)
    assert not uncited(Person).filter(pk=person.pk).exists()


def test_a_draft_record_is_cited_by_its_draft_citation():
    person = make_person(slug="p2", name_ja="山田次郎", status=Status.DRAFT)
    make_citation(source=make_source(text="山田次郎"), person=person, quote="山田次郎", status=Status.DRAFT)
    assert not uncited(Person).filter(pk=person.pk).exists()


# 2. 対象の項目 must name a field of the record.
def test_a_citation_field_must_name_a_field_of_its_record():
    meeting = make_meeting(slug="m1", start="2024-06-11")
    source = make_source(text="2024年6月11日に会合。")
    bogus = Citation(source=source, meeting=meeting, locator="本文", quote="会合", field="bogus_field")
    with pytest.raises(ValidationError) as error:
        bogus.full_clean()
    assert "field" in error.value.message_dict
    for name in ("start", "place_ja", ""):
        Citation(source=source, meeting=meeting, locator="本文", quote="会合", field=name).full_clean()


# 3. The guided form has no publisher by default, and a new post gets its organization.
def test_the_guided_form_does_not_default_the_publisher_to_mofa():
    assert not GuidedMeetingForm().fields["source_publisher_ja"].initial
    body = make_body(slug="b1", name_ja="同盟調整グループ")
    form = GuidedMeetingForm({"body": body.pk, "kind": "working", "start": "2026-03-04", "source_title_ja": "題",
                              "source_text": "本文", "locator": "本文", "quote": "本文"})
    assert not form.is_valid() and "source_publisher_ja" in form.errors


def test_a_new_post_from_the_guided_form_gets_its_organization(editor):
    mod = make_organization(slug="mod", name_ja="防衛省")
    body = make_body(slug="b2", name_ja="同盟調整グループ")
    row = AttendeeForm({"side": "jp", "person_name_ja": "高橋和夫", "post_name_ja": "防衛政策局長", "post_organization": mod.pk})
    assert row.is_valid(), row.errors
    meeting, _plan = meeting_add(user=editor, data={
        "body": body, "kind": "working", "start": PartialDate.parse("2026-03-04"), "session_number": 5,
        "source_title_ja": "題", "source_publisher_ja": "防衛省", "source_text": "防衛政策局長 高橋和夫が出席した。",
        "locator": "本文", "quote": "防衛政策局長 高橋和夫が出席した。",
    }, attendees=[row.cleaned_data])
    assert Post.objects.get(name_ja="防衛政策局長").organization == mod


# 10. The auto-name follows the seeded names' pattern; composed titles do not nest.
def test_the_auto_name_follows_the_seed_pattern(editor):
    body = make_body(slug="b3", name_ja="同盟調整グループ")
    meeting, _plan = meeting_add(user=editor, data={
        "body": body, "kind": "working", "start": PartialDate.parse("2026-03-04"), "session_number": 5,
        "source_title_ja": "題", "source_publisher_ja": "外務省", "source_text": "第5回会合。", "locator": "本文", "quote": "第5回会合。",
    }, attendees=[])
    assert meeting.name_ja == "第5回同盟調整グループ"  # as 第16回日米安全保障協議委員会 in the seed


def test_a_composed_title_does_not_put_parentheses_after_parentheses():
    meeting = make_meeting(slug="scc-x", name_ja="日米安全保障協議委員会（「2+2」）", start="2024-07", place_ja="東京")
    assert Meeting.objects.get(pk=meeting.pk).title == "日米安全保障協議委員会（「2+2」、2024年7月、東京）"
