"""Issue 21: the intake — a release read against the registry's own names, proposed,
confirmed by pointing and saved in one step with a citation for every record, as one
changeset that a publisher publishes or sends back."""

import re

import pytest
from django.urls import reverse

from alliance.editorial.intake.anchoring import anchor, describe
from alliance.editorial.intake.matching import Gazetteer
from alliance.editorial.intake.normalise import normalise
from alliance.editorial.intake.reader import dates, read
from alliance.editorial.seedcheck import uncited
from alliance.models import (
    Changeset,
    Citation,
    Meeting,
    Participation,
    Person,
    Post,
    Seat,
    Source,
    Status,
    Tenure,
)
from alliance.partial_dates import PartialDate

from .factories import make_body, make_meeting, make_organization, make_participation, make_person, make_post

URL = reverse("admin:alliance_changeset_intake")

RELEASE = (
    "日米同盟調整グループ（ACG）局長級会合の開催\n"
    "令和8年6月11日\n"
    "防衛省\n"
    "\n"
    "1　令和8年6月11日、東京において、第6回日米同盟調整グループ局長級会合が開催されました。\n"
    "2　会合には、日本側から外務省北米局長 佐藤花子（議長）、防衛省防衛政策局次長 山本一郎が、米側から国防次官補 ジョン・スミスが出席しました。\n"
    "3　双方は、同盟の抑止力・対処力の強化に向けて、情報共有を一層進めることで一致しました。\n"
)


@pytest.fixture
def dictionary(db):
    """The registry's names a release is read against."""
    mofa = make_organization(slug="mofa", name_ja="外務省", name_en="Ministry of Foreign Affairs", abbreviation="MOFA")
    mod = make_organization(slug="mod", name_ja="防衛省", name_en="Ministry of Defense", abbreviation="MOD")
    return {
        "body": make_body(slug="acg", name_ja="同盟調整グループ", name_en="Alliance Coordination Group", abbreviation="ACG", kind="group"),
        "mofa": mofa,
        "mod": mod,
        "dg": make_post(slug="dg-namerican", name_ja="外務省北米局長", country="jp", organization=mofa),
        "asd": make_post(slug="asd", name_ja="国防次官補", name_en="Assistant Secretary of Defense", country="us"),
        "sato": make_person(slug="sato-eisaku", name_ja="佐藤栄作", other_names="佐藤", country="jp"),
    }


# --- the normaliser and the gazetteer --------------------------------------------------


def test_normalising_keeps_a_map_to_the_original():
    text = "ｶﾞｲﾄﾞﾗｲﾝ 山田 太郎　局長 Alliance  Group"
    n = normalise(text)
    assert n.text == "ガイドライン山田太郎局長alliance group"  # a space stays only between Latin words
    start, end = n.span(0, len("ガイドライン"))
    assert text[start:end] == "ｶﾞｲﾄﾞﾗｲﾝ"
    at = n.text.index("山田太郎")
    assert text[slice(*n.span(at, at + 4))] == "山田 太郎"


def test_known_names_are_found_leftmost_longest_with_latin_word_boundaries():
    g = Gazetteer()
    g.add("body", 1, ["SACO", "沖縄に関する特別行動委員会"])
    g.add("organization", 2, ["防衛省"])
    g.add("post", 3, ["防衛省防衛政策局長"])
    text = "SACOM と SACO。防衛省 防衛政策局長と防衛省。"
    hits = g.find(text)
    assert [(text[h.start:h.end], h.kind) for h in hits] == [("SACO", "body"), ("防衛省 防衛政策局長", "post"), ("防衛省", "organization")]


def test_an_alias_two_records_share_is_a_question():
    g = Gazetteer()
    g.add("person", 1, ["ジョン・スミス"])
    g.add("person", 2, ["ジョン・スミス"])
    (hit,) = g.find("米側からジョン・スミスが出席")
    assert hit.ambiguous and hit.ids == (1, 2)


# --- dates, sessions, attendees ---------------------------------------------------------


@pytest.mark.parametrize("written, expected", [
    ("2024年6月11日", "2024-06-11"),
    ("令和6年6月11日", "2024-06-11"),
    ("令和元年5月", "2019-05"),
    ("2024年度", "FY2024"),
    ("令和6年度", "FY2024"),
    ("2024年6月下旬", "2024-06 late"),
    ("２０２４年６月１１日", "2024-06-11"),
    ("2024-06-11", "2024-06-11"),
    ("FY2022", "FY2022"),
])
def test_dates_in_each_form_the_parser_takes(written, expected):
    (found,) = dates(f"会合は{written}に開催。")
    assert found.value == PartialDate.parse(expected)
    assert f"会合は{written}に開催。"[found.start:found.end] == written


def test_the_reader_proposes_the_meeting_and_its_attendees(dictionary):
    p = read(RELEASE)
    assert p.title == "日米同盟調整グループ（ACG）局長級会合の開催"
    assert p.publisher_id == dictionary["mod"].pk
    assert p.issued == PartialDate.parse("2026-06-11")
    assert p.body.value == dictionary["body"].pk
    assert p.start.value == PartialDate.parse("2026-06-11")
    assert p.session.value == 6
    assert p.place.value == "東京"
    quote = RELEASE[p.body.start:p.body.end]
    assert quote == "令和8年6月11日、東京において、第6回日米同盟調整グループ局長級会合が開催されました。"
    assert [o.value for o in p.outcomes] == ["双方は、同盟の抑止力・対処力の強化に向けて、情報共有を一層進めることで一致しました"]
    rows = [(a.side, a.post_id, a.post_name_ja, a.person_id, a.person_name_ja, a.role) for a in p.attendees]
    assert rows == [
        ("jp", dictionary["dg"].pk, "", None, "佐藤花子", "議長"),  # 「佐藤」 is known, 「佐藤花子」 is not
        ("jp", None, "防衛省防衛政策局次長", None, "山本一郎", ""),
        ("us", dictionary["asd"].pk, "", None, "ジョン・スミス", ""),
    ]
    assert p.attendees[1].post_organization_id == dictionary["mod"].pk
    for a in p.attendees:
        assert "出席しました" in RELEASE[a.quote[0]:a.quote[1]]


def test_attendee_lines_and_a_known_person(dictionary):
    known = make_person(slug="yamada", name_ja="山田太郎", country="jp")
    text = "（出席者）\n日本側：外務省北米局長　山田太郎\n米側：国防次官補　ジョン・スミス（共同議長）\n"
    p = read(text)
    assert [(a.side, a.person_id, a.person_name_ja, a.role, a.role_en) for a in p.attendees] == [
        ("jp", known.pk, "", "", ""), ("us", None, "ジョン・スミス", "共同議長", "Co-chair"),
    ]


def test_no_proposal_for_a_name_the_registry_does_not_know_unless_marked(dictionary):
    p = read("本日、鈴木一郎と田中次郎が意見交換を行い、出席した。\n")
    assert p.attendees == []
    p = read("出席者：防衛省整備計画局長 鈴木一郎\n")
    assert [(a.post_name_ja, a.person_name_ja) for a in p.attendees] == [("防衛省整備計画局長", "鈴木一郎")]


def test_a_session_in_kanji_numerals(dictionary):
    p = read("題\n令和8年6月11日、第十二回同盟調整グループ会合が開催された。")
    assert p.session.value == 12


# --- anchoring -------------------------------------------------------------------------


def test_a_quote_anchors_where_the_same_words_occur_twice():
    text = "会合が開催された。\n別の会合が開催された。東京で。"
    second = text.index("会合が開催された", 5)
    a = describe(text, second, second + len("会合が開催された"))
    assert a.prefix.endswith("別の") and a.suffix.startswith("。東京")
    # The browser sends exact, prefix and suffix only: the context picks the second.
    found = anchor(text, a.exact, a.prefix, a.suffix)
    assert (found.start, found.end) == (second, a.end)


def test_positions_are_code_points_and_a_moved_quote_is_found_or_orphaned():
    text = "𠮷野家で会合。"
    a = describe(text, 1, 3)
    assert a.exact == "野家" and a.start == 1  # 𠮷 is one code point (two UTF-16 units)
    moved = anchor("前置き。" + text, a.exact, a.prefix, a.suffix, a.start)
    assert moved.exact == "野家" and moved.start == 5
    assert anchor("まったく別の本文です。", "会合が開催", "", "", 0) is None


def test_fuzzy_matching_comes_last():
    text = "双方は、情報共有を一層進めることで一致した。"
    found = anchor(text, "情報共有を一層すすめることで一致", "双方は、", "した。")
    assert found is not None and found.exact.startswith("情報共有")


# --- the pages: paste, confirm, one save, review -----------------------------------------


def _confirm_data(response, **changes):
    """What the confirm page posts back, as a browser would: its form's inputs."""
    html = response.content.decode()
    form = html[html.index('id="intake-confirm"'):]
    form = form[:form.index("</form>")]
    data = {}
    for m in re.finditer(r'<input[^>]*>', form):
        tag = m.group()
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = "on"
            continue
        data[name.group(1)] = _unescape(value.group(1)) if value else ""
    for m in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[m.group(1)] = _unescape(m.group(2)).lstrip("\n")
    for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', m.group(2))
        data[m.group(1)] = chosen.group(1) if chosen else ""
    data["_save"] = "保存する"
    return {**data, **changes}


def _unescape(value):
    import html

    return html.unescape(value)


@pytest.fixture
def editor_only_client(client, editor_only):
    client.force_login(editor_only)
    return client


def _read(client, text=RELEASE, **extra):
    response = client.post(URL, {"text": text, "url": "https://www.mod.go.jp/j/press/example.html", "_read": "1", **extra})
    assert response.status_code == 200
    assert 'id="intake-confirm"' in response.content.decode(), response.content.decode()[:3000]
    return response


def test_paste_confirm_and_one_save_cites_every_record(editor_only_client, dictionary):
    response = _read(editor_only_client)
    html = response.content.decode()
    assert '<span class="quoted">' in html and "read-date" in html
    assert Source.objects.count() == 0, "nothing is saved before the editor confirms"
    data = _confirm_data(response, **{"attendee-2-person_name_en": "John Smith"})
    response = editor_only_client.post(URL, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    changeset = Changeset.objects.get()
    assert changeset.state == Changeset.State.IN_REVIEW
    meeting = Meeting.objects.get()
    assert meeting.name_ja == "第6回同盟調整グループ"
    assert meeting.session_number == 6 and meeting.place_ja == "東京" and meeting.place_en == ""
    assert meeting.start == PartialDate.parse("2026-06-11")
    assert list(meeting.participations.values_list("role", flat=True)) == ["議長", "", ""]
    assert set(Person.objects.filter(status=Status.DRAFT).values_list("name_ja", flat=True)) == {"佐藤花子", "山本一郎", "ジョン・スミス"}
    new_post = Post.objects.get(name_ja="防衛省防衛政策局次長")
    assert new_post.organization == dictionary["mod"]
    assert Tenure.objects.count() == 3 and Seat.objects.filter(post=new_post, body=dictionary["body"]).exists()
    source = Source.objects.get()
    assert source.publisher_ja == "防衛省" and source.issued == PartialDate.parse("2026-06-11")
    for citation in Citation.objects.all():
        assert source.text[citation.quote_start:citation.quote_end] == citation.quote
        assert citation.quote_prefix or citation.quote_start < 32
    for model in (Meeting, Participation, Person, Post, Tenure, Seat):
        assert not uncited(model).filter(status=Status.DRAFT).exists(), model
    # Every record is in the one changeset, and its history says where it came from.
    assert changeset.members.count() == len(Citation.objects.all()) + Meeting.objects.count() + 3 + 3 + 1 + 3 + 1 + 1
    assert meeting.history.first().history_change_reason == f"報道発表の取込 #{changeset.pk}"


def test_zero_attendees_and_blank_rows(editor_only_client, dictionary):
    response = _read(editor_only_client, text="同盟調整グループ会合\n令和8年7月1日、同盟調整グループ会合が開催された。\n")
    data = _confirm_data(response, publisher_ja="防衛省")
    assert data["attendee-TOTAL_FORMS"] == "1"
    response = editor_only_client.post(URL, data)
    assert response.status_code == 302
    assert Meeting.objects.get().participations.count() == 0


def test_one_attendee(editor_only_client, dictionary):
    response = _read(editor_only_client, text="会合の開催\n令和8年7月1日、同盟調整グループ会合が開催された。\n日本側出席者：外務省北米局長 山田花子\n")
    data = _confirm_data(response, publisher_ja="防衛省")
    assert editor_only_client.post(URL, data).status_code == 302
    assert Meeting.objects.get().participations.get().person.name_ja == "山田花子"


def test_a_quote_picked_by_selection_is_anchored_by_its_context(editor_only_client, dictionary):
    response = _read(editor_only_client)
    data = _confirm_data(response)
    text = data["text"]
    # The editor selects 「情報共有を一層進めることで一致しました」 for the outcome.
    exact = "情報共有を一層進めることで一致しました"
    at = text.index(exact)
    data |= {"outcomes_quote_0": exact, "outcomes_quote_1": text[at - 32:at], "outcomes_quote_2": text[at + len(exact):at + len(exact) + 32], "outcomes_quote_3": ""}
    assert editor_only_client.post(URL, data).status_code == 302
    citation = Citation.objects.get(field="outcomes_ja")
    assert (citation.quote, citation.quote_start) == (exact, at)


def test_a_quote_not_in_the_text_is_refused_and_nothing_is_saved(editor_only_client, dictionary):
    data = _confirm_data(_read(editor_only_client), quote_0="本文にない文", quote_1="", quote_2="")
    response = editor_only_client.post(URL, data)
    assert response.status_code == 200
    assert "引用が本文に見つかりません" in response.content.decode()
    assert not Source.objects.exists() and not Meeting.objects.exists()


def test_a_second_release_about_a_recorded_meeting_proposes_additions(editor_only_client, dictionary):
    meeting = make_meeting(slug="acg-6", name_ja="第6回同盟調整グループ", body=dictionary["body"], kind="working", start="2026-06-11", session_number=6)
    make_participation(meeting=meeting, post=dictionary["dg"], person=make_person(slug="sh", name_ja="佐藤花子"))
    response = _read(editor_only_client)
    html = response.content.decode()
    assert "この会議はすでに登録されています" in html
    data = _confirm_data(response)
    assert data["existing"] == str(meeting.pk)
    assert editor_only_client.post(URL, data).status_code == 302
    assert Meeting.objects.count() == 1
    assert meeting.participations.count() == 3, "the two attendees not yet there are added"
    assert meeting.citations.filter(source__title_ja__contains="局長級会合").exists()
    # The published meeting's empty outcomes wait as a revision in the changeset.
    meeting.refresh_from_db()
    assert meeting.outcomes_ja == ""
    changeset = Changeset.objects.get()
    assert changeset.members.filter(content_type__model="revision").count() == 1


def test_a_publisher_publishes_the_changeset_in_one_action(client, editor_only_client, publisher, dictionary):
    editor_only_client.post(URL, _confirm_data(_read(editor_only_client)))
    changeset = Changeset.objects.get()
    client.force_login(publisher)
    index = client.get(reverse("admin:index")).content.decode()
    review = reverse("admin:alliance_changeset_change", args=[changeset.pk])
    assert review in index, "the queue is on the admin index"
    page = client.get(review).content.decode()
    assert '<span class="quoted">' in page and "すべて公開する" in page
    response = client.post(review, {"action": "publish"})
    assert response.status_code == 302
    changeset.refresh_from_db()
    assert changeset.state == Changeset.State.PUBLISHED
    for model in (Source, Meeting, Participation, Person, Post, Tenure, Seat, Citation):
        assert not model.objects.filter(status=Status.DRAFT).exists(), model
    assert client.get(Meeting.objects.get().get_absolute_url()).status_code == 200


def test_send_back_with_a_note_the_editor_sees_then_resubmit(client, editor_only, publisher, dictionary):
    client.force_login(editor_only)
    client.post(URL, _confirm_data(_read(client)))
    changeset = Changeset.objects.get()
    review = reverse("admin:alliance_changeset_change", args=[changeset.pk])
    assert "すべて公開する" not in client.get(review).content.decode(), "an editor cannot publish"
    assert client.post(review, {"action": "publish"}).status_code == 302
    changeset.refresh_from_db()
    assert changeset.state == Changeset.State.IN_REVIEW
    client.force_login(publisher)
    client.post(review, {"action": "send_back", "note": "山本一郎の英語名を入れてください"})
    changeset.refresh_from_db()
    assert changeset.state == Changeset.State.NEEDS_CHANGES
    client.force_login(editor_only)
    index = client.get(reverse("admin:index")).content.decode()
    assert "山本一郎の英語名を入れてください" in index
    client.post(review, {"action": "resubmit"})
    changeset.refresh_from_db()
    assert changeset.state == Changeset.State.IN_REVIEW
    assert not Meeting.objects.filter(status=Status.PUBLISHED).exists()


def test_a_record_belongs_to_one_open_changeset(editor_only_client, dictionary):
    from django.db import IntegrityError, transaction

    from alliance.models import ChangesetMember

    editor_only_client.post(URL, _confirm_data(_read(editor_only_client)))
    member = ChangesetMember.objects.first()
    other = Changeset.objects.create(source=Source.objects.get(), label="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangesetMember.objects.create(changeset=other, content_type=member.content_type, object_id=member.object_id)


def test_an_upload_is_read_like_a_paste(editor_only_client, dictionary):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = f"<html><body><h1>会合</h1><p>{RELEASE}</p></body></html>".encode()
    response = editor_only_client.post(URL, {"text_file": SimpleUploadedFile("press.html", page), "_read": "1"})
    assert 'id="intake-confirm"' in response.content.decode()
    assert "第6回同盟調整グループ" in response.content.decode()





# --- issue 21, item 4: a source says how its text came in --------------------------------


def _published_source_page(client):
    """The page of the source the intake saved, once published (what a reader will see)."""
    source = Source.objects.get()
    Source.objects.filter(pk=source.pk).update(status=Status.PUBLISHED)
    client.logout()
    return client.get(source.get_absolute_url()).content.decode()


def test_a_pasted_release_is_called_pasted_text_not_a_pdf(editor_only_client, dictionary):
    assert editor_only_client.post(URL, _confirm_data(_read(editor_only_client))).status_code == 302
    html = _published_source_page(editor_only_client)
    assert "編集者が貼り付けた本文" in html and "PDF" not in html
    assert "防衛省防衛政策局次長 山本一郎" in html, "the space between the post and the name is kept"


def test_a_release_read_from_a_web_page_is_called_a_web_page(editor_only_client, dictionary):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = f"<html><body><p>{RELEASE}</p></body></html>".encode()
    response = editor_only_client.post(URL, {"text_file": SimpleUploadedFile("press.html", page), "_read": "1"})
    assert editor_only_client.post(URL, _confirm_data(response)).status_code == 302
    html = _published_source_page(editor_only_client)
    assert "ウェブページの本文" in html and "PDF" not in html
