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


# 5. An import may leave slug and name_ja blank (or out): the guided form's rule makes them.
def _import(client, model, text, confirm=True):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    upload = SimpleUploadedFile(f"{model}s.csv", ("\ufeff" + text).encode(), content_type="text/csv")
    preview = client.post(reverse(f"admin:alliance_{model}_import"), {"import_file": upload, "format": "0", "resource": "0"})
    assert preview.status_code == 200
    assert "confirm_form" in preview.context, preview.content.decode()[-3000:]
    if not confirm:
        return preview
    form = preview.context["confirm_form"]
    return client.post(reverse(f"admin:alliance_{model}_process_import"), {name: form[name].value() for name in form.fields})


@pytest.mark.parametrize("header,row", [
    ("slug,status,name_ja,body,kind,session_number,start\r\n", ",draft,,acg,working,5,2026-03-04\r\n"),
    ("status,body,kind,session_number,start\r\n", "draft,acg,working,5,2026-03-04\r\n"),
])
def test_an_imported_meeting_gets_the_names_the_guided_form_gives(client, publisher, header, row):
    body = make_body(slug="acg", name_ja="同盟調整グループ", name_en="Alliance Coordination Group")
    client.force_login(publisher)
    preview = _import(client, "meeting", header + row, confirm=False)
    assert "第5回同盟調整グループ" in preview.content.decode()
    _import(client, "meeting", header + row)
    imported = Meeting.objects.get(body=body)
    guided, _plan = meeting_add(user=publisher, data={
        "body": make_body(slug="acg2", name_ja="同盟調整グループ"), "kind": "working", "start": PartialDate.parse("2026-03-04"),
        "session_number": 5, "source_title_ja": "題", "source_publisher_ja": "外務省", "source_text": "第5回会合。",
        "locator": "本文", "quote": "第5回会合。",
    }, attendees=[])
    assert imported.name_ja == guided.name_ja == "第5回同盟調整グループ"
    assert imported.slug == "acg-2026-03-04" and guided.slug == "acg2-2026-03-04"


def test_an_imported_person_known_only_in_japanese_gets_a_slug_as_the_intake_gives(client, publisher):
    from alliance.models import Person

    client.force_login(publisher)
    _import(client, "person", "status,name_ja,country\r\ndraft,山田太郎,jp\r\ndraft,鈴木花子,jp\r\n")
    slugs = sorted(Person.objects.filter(name_ja__in=["山田太郎", "鈴木花子"]).values_list("slug", flat=True))
    assert len(slugs) == 2 and all(slug.startswith("person") for slug in slugs) and slugs[0] != slugs[1]


# 6. History shows a partial date as written, not its stored first day and precision.
def test_the_history_shows_a_changed_date_as_the_editor_wrote_it(client, publisher):
    from django.urls import reverse

    meeting = make_meeting(slug="wg-h", name_ja="作業部会", start="2024-06")
    meeting.start = PartialDate.parse("2024年度")
    meeting.save()
    client.force_login(publisher)
    page = client.get(reverse("admin:alliance_meeting_history", args=[meeting.pk])).content.decode()
    assert "2024年6月" in page and "2024年度" in page, page[page.find("<table"):][:3000]
    assert "2024-06-01" not in page and "2024-04-01" not in page
    assert "開催日の精度" not in page


def test_the_history_shows_an_inline_citation_added_on_the_record_s_page(client, publisher):
    from django.urls import reverse

    from .processes import read_form

    meeting = make_meeting(slug="wg-c", name_ja="作業部会", start="2024-06")
    source = make_source(text="作業部会が東京で開かれた。")
    client.force_login(publisher)
    url = reverse("admin:alliance_meeting_change", args=[meeting.pk])
    form = read_form(client.get(url).content.decode(), "meeting_form")
    total = next(name for name in form if name.endswith("-TOTAL_FORMS") and "citation" in name)
    prefix = total.removesuffix("-TOTAL_FORMS")
    n = int(form[total])
    form[total] = str(n + 1)
    form.update({f"{prefix}-{n}-source": str(source.pk), f"{prefix}-{n}-locator": "本文", f"{prefix}-{n}-quote": "作業部会が東京で開かれた",
                 f"{prefix}-{n}-field": "", f"{prefix}-{n}-status": "draft"})
    form["_save"] = "保存"
    answer = client.post(url, form)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    assert Citation.objects.filter(meeting=meeting).count() == 1
    page = client.get(reverse("admin:alliance_meeting_history", args=[meeting.pk])).content.decode()
    assert 'class="inline-change"' in page and "を追加（下書き）" in page, page[page.find('id="change-history"'):][:3000]
