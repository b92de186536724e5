"""The editorial workflow: import with preview, export, history with revert, publishing
by permission, the quality report and login throttling."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliance.models import Agreement, Body, Citation, Status

from .factories import make_agreement, make_body, make_citation, make_organization, make_source

pytestmark = pytest.mark.django_db

HEADER = "slug,status,name_ja,name_en,kind,parties,signed,in_force,summary_ja\r\n"
GOOD_ROWS = [
    "treaty-1960,draft,日米安全保障条約,,treaty,japan;us,1960-01-19,1960-06,新安保条約\r\n",
    "acsa-2016,draft,日米物品役務相互提供協定,ACSA,agreement,japan;us,平成28年9月,2017-04-25,\r\n",
    "guam-agreement,draft,グアム協定,,agreement,,2009年2月,2009-05,\r\n",
]
BAD_ROW = "sofa,draft,日米地位協定,,agreement,japan;nowhere,2009-13,1960,\r\n"


def csv_upload(text, name="agreements.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, ("\ufeff" + text).encode(encoding) if encoding == "utf-8" else text.encode(encoding), content_type="text/csv")


@pytest.fixture
def parties():
    make_organization(slug="japan", name_ja="日本国")
    make_organization(slug="us", name_ja="アメリカ合衆国", country="us")


def preview(client, upload, fmt="0", model="agreement"):
    """The dry run: nothing is written, the preview shows every row."""
    url = reverse(f"admin:alliance_{model}_import")
    return client.post(url, {"import_file": upload, "format": fmt, "resource": "0"})


def confirm(client, response, model="agreement"):
    form = response.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    return client.post(reverse(f"admin:alliance_{model}_process_import"), data)


def test_one_bad_row_among_good_ones_writes_nothing_and_says_where(client, editor_only, parties):
    client.force_login(editor_only)
    response = preview(client, csv_upload(HEADER + GOOD_ROWS[0] + BAD_ROW + GOOD_ROWS[1]))
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    assert "confirm_form" not in response.context, "no way to confirm an import with errors"
    invalid = result.invalid_rows
    assert len(invalid) == 1 and invalid[0].number == 2  # the second data row
    errors = invalid[0].error_dict
    assert "nowhere" in str(errors["parties"])  # the unknown slug is named
    assert "月" in str(errors["signed"])  # "月 13 は1〜12で入力してください。"
    html = response.content.decode()
    assert "nowhere" in html and "2009-13" in html
    assert not Agreement.objects.exists()


def test_the_corrected_file_imports_every_row_and_again_changes_nothing(client, editor_only, parties):
    client.force_login(editor_only)
    text = HEADER + "".join(GOOD_ROWS)
    response = preview(client, csv_upload(text))
    assert not response.context["result"].has_validation_errors()
    assert not Agreement.objects.exists(), "the preview wrote nothing"
    totals = response.context["result"].totals
    assert totals["new"] == 3
    assert confirm(client, response).status_code == 302
    acsa = Agreement.objects.get(slug="acsa-2016")
    assert (acsa.signed.iso(), acsa.in_force.iso(), acsa.status) == ("2016-09", "2017-04-25", "draft")
    assert sorted(acsa.parties.values_list("slug", flat=True)) == ["japan", "us"]
    # The import is in the history, by its editor (the parties are a second entry: m2m).
    versions = list(acsa.history.all())
    assert versions and {v.history_user for v in versions} == {editor_only}
    assert versions[-1].history_change_reason == "取込: agreements.csv"
    again = preview(client, csv_upload(text))
    assert again.context["result"].totals["skip"] == 3 and again.context["result"].totals["update"] == 0
    confirm(client, again)
    assert acsa.history.count() == len(versions), "re-importing the same file changes nothing"


def test_an_xlsx_import_works(client, editor_only, parties):
    client.force_login(editor_only)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["treaty-1960", "draft", "日米安全保障条約", "", "treaty", "japan;us", "昭和35年1月19日", "1960-06", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("agreements.xlsx", buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = preview(client, upload, fmt="1")
    assert not response.context["result"].has_validation_errors(), response.context["result"].invalid_rows
    confirm(client, response)
    assert Agreement.objects.get(slug="treaty-1960").signed.iso() == "1960-01-19"


@pytest.mark.parametrize(
    ("upload", "fmt", "message"),
    [
        (csv_upload(HEADER + GOOD_ROWS[0], encoding="shift_jis"), "0", "UTF-8ではありません"),
        (SimpleUploadedFile("agreements.csv", b"PK\x03\x04rest-of-a-zip", content_type="text/csv"), "0", "CSV形式のファイルではありません"),
        (SimpleUploadedFile("agreements.xlsx", b"slug,name_ja\r\nx,y\r\n"), "1", "XLSX形式のファイルではありません"),
        (SimpleUploadedFile("agreements.csv", b""), "0", "空"),
        (SimpleUploadedFile("agreements.csv", b"a" * (5 * 1024 * 1024 + 1)), "0", "大きすぎます"),
    ],
)
def test_a_file_that_is_not_what_it_claims_gets_a_clear_message(client, editor_only, upload, fmt, message):
    client.force_login(editor_only)
    response = preview(client, upload, fmt=fmt)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors)
    assert not Agreement.objects.exists()


def test_an_editor_cannot_import_a_published_row(client, editor_only, parties):
    client.force_login(editor_only)
    response = preview(client, csv_upload(HEADER + GOOD_ROWS[0].replace(",draft,", ",published,")))
    errors = response.context["result"].invalid_rows[0].error_dict
    assert "権限" in str(errors["status"])


def test_the_export_holds_exactly_the_filtered_rows_with_bom_and_escaping(client, editor_only):
    client.force_login(editor_only)
    make_agreement(slug="t1", name_ja="=HYPERLINK(1)", kind="treaty", signed="1960")
    make_agreement(slug="t2", name_ja="条約2", kind="treaty", signed="2009-11")
    make_agreement(slug="a1", name_ja="協定", kind="agreement")
    url = reverse("admin:alliance_agreement_export") + "?kind__exact=treaty"
    response = client.post(url, {"format": "0", "resource": "0", **{f"agreementresource_{f}": "on" for f in ["slug", "name_ja", "kind", "signed"]}})
    assert response.status_code == 200, response.content[:500]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "slug,name_ja,kind,signed"
    assert sorted(lines[1:3]) == ["t1,'=HYPERLINK(1),treaty,1960", "t2,条約2,treaty,2009-11"]
    assert lines[3:] == [""]


def test_an_exported_file_imports_back_unchanged(client, publisher):
    client.force_login(publisher)
    make_agreement(slug="t1", name_ja="=HYPERLINK(1)", kind="treaty", signed="1960", status="published")
    exported = client.post(reverse("admin:alliance_agreement_export"), {"format": "0", "resource": "0", **{f"agreementresource_{f}": "on" for f in ["slug", "status", "name_ja", "kind", "signed"]}}).content
    response = preview(client, SimpleUploadedFile("back.csv", exported))
    assert response.context["result"].totals["skip"] == 1, response.context["result"].invalid_rows


def test_an_edit_is_recorded_with_its_editor_reason_and_diff_and_can_be_reverted(client, editor_only):
    client.force_login(editor_only)
    body = make_body(slug="acm", name_ja="同盟調整メカニズム", kind="mechanism", status="draft", established="2015")
    body.history.all().delete()
    change = reverse("admin:alliance_body_change", args=[body.pk])
    page = client.get(change)
    from .test_admin import form_data

    data = form_data(page, name_ja="同盟調整メカニズム", abbreviation="ACM", slug="acm", kind="mechanism", established="2015-11", status="draft", change_reason="令和2年版に合わせる")
    assert client.post(change, data).status_code == 302
    record = body.history.latest()
    assert record.history_user == editor_only and record.history_change_reason == "令和2年版に合わせる"
    history_page = client.get(reverse("admin:alliance_body_history", args=[body.pk])).content.decode()
    assert "hanako" in history_page and "令和2年版に合わせる" in history_page
    # The diff against the version before: what changed, old and new.
    old_version = client.post(change, form_data(client.get(change), name_ja="同盟調整メカニズム", abbreviation="ACM", slug="acm", kind="mechanism", established="2016", status="draft"))
    assert old_version.status_code == 302
    history_page = client.get(reverse("admin:alliance_body_history", args=[body.pk])).content.decode()
    # (as the editor wrote the dates, not their stored first days: see test_issue21_also)
    assert "2015年11月&nbsp;&rarr;&nbsp;2016年" in history_page and "2015-11-01" not in history_page
    # Revert to the version with "2015-11".
    version = body.history.get(history_change_reason="令和2年版に合わせる")
    revert_url = reverse("admin:alliance_body_simple_history", args=[body.pk, version.history_id])
    form = client.get(revert_url)
    assert form.status_code == 200
    assert client.post(revert_url, form_data(form, name_ja="同盟調整メカニズム", abbreviation="ACM", slug="acm", kind="mechanism", established="2015-11", status="draft")).status_code == 302
    body.refresh_from_db()
    assert body.established.iso() == "2015-11"
    assert body.history.count() == 3


def test_an_editor_cannot_publish_and_a_publisher_can(client, editor_only, publisher):
    draft = make_agreement(slug="draft", name_ja="下書きの協定", status="draft")
    changelist = reverse("admin:alliance_agreement_changelist")
    client.force_login(editor_only)
    action_form = client.get(changelist).context["action_form"]
    actions = [value for value, _label in action_form.fields["action"].choices] if action_form else []
    assert "publish" not in actions
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert client.get(draft.get_absolute_url()).status_code == 404
    # Nor through the change form: the status field is read-only for an editor.
    page = client.get(reverse("admin:alliance_agreement_change", args=[draft.pk]))
    assert "status" not in page.context["adminform"].form.fields
    client.force_login(publisher)
    assert client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.history.latest().history_user == publisher
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_new_records_an_editor_adds_are_drafts(client, editor_only):
    client.force_login(editor_only)
    url = reverse("admin:alliance_body_add")
    from .test_admin import form_data

    assert client.post(url, form_data(client.get(url), name_ja="新しい協議体", slug="new-body", kind="committee")).status_code == 302
    assert Body.objects.get(slug="new-body").status == Status.DRAFT


def test_the_groups_exist_after_migrate(roles):
    editors, publishers = Group.objects.get(name="editors"), Group.objects.get(name="publishers")
    assert not editors.permissions.filter(codename__startswith="publish_").exists()
    assert publishers.permissions.filter(codename="publish_meeting").exists()
    assert editors.permissions.filter(codename="change_citation").exists()


def test_the_quality_report_lists_an_uncited_record_until_it_is_cited(client, editor_only):
    client.force_login(editor_only)
    body = make_body(slug="lonely", name_ja="出典のない協議体")
    url = reverse("admin-quality")
    report = client.get(url)
    uncited = next(s for s in report.context["sections"] if s.key == "uncited")
    assert any(reverse("admin:alliance_body_change", args=[body.pk]) == link for _l, link, _d in uncited.items)
    make_citation(source=make_source(), body=body)
    uncited = next(s for s in client.get(url).context["sections"] if s.key == "uncited")
    assert uncited.total == 0


def test_the_quality_report_finds_a_meeting_before_its_body_existed(client, editor_only):
    from .factories import make_meeting

    client.force_login(editor_only)
    body = make_body(established="2015-11")
    early = make_meeting(body=body, start="2015-10-30")
    make_meeting(body=body, start="2015-11")
    section = next(s for s in client.get(reverse("admin-quality")).context["sections"] if s.key == "inactive_body")
    assert [link for _l, link, _d in section.items] == [reverse("admin:alliance_meeting_change", args=[early.pk])]


def test_the_sixth_wrong_password_is_refused_and_so_is_the_right_one_after_it(client, editor_only):
    login = reverse("admin:login")
    for _ in range(4):
        response = client.post(login, {"username": "hanako", "password": "wrong"})
        assert response.status_code == 200  # the login form again
    fifth = client.post(login, {"username": "hanako", "password": "wrong"})
    assert fifth.status_code == 429  # the fifth failure locks the pair out
    sixth = client.post(login, {"username": "hanako", "password": "wrong"})
    assert sixth.status_code == 429
    right = client.post(login, {"username": "hanako", "password": "a-long-test-password"})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out.
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("other", password="another-long-password", is_staff=True)
    assert client.post(login, {"username": "other", "password": "another-long-password"}).status_code == 302


def test_a_citation_can_be_attached_through_import(client, editor_only):
    client.force_login(editor_only)
    make_source(slug="dow-2020")
    make_body(slug="scc")
    text = "key,source,locator,quote,body\r\nbody-scc-9,dow-2020,図表III-2-1-5,日米安全保障協議委員会,scc\r\n"
    response = preview(client, csv_upload(text, name="citations.csv"), model="citation")
    assert not response.context["result"].has_validation_errors()
    confirm(client, response, model="citation")
    assert Citation.objects.get(key="body-scc-9").body.slug == "scc"


def test_publishing_works_where_the_changelist_joins_related_records(client, publisher):
    # The body changelist selects the parent too (an outer join): the lock must still work.
    parent = make_body(slug="acm", status="published")
    child = make_body(slug="acg", parent=parent, status="draft")
    client.force_login(publisher)
    changelist = reverse("admin:alliance_body_changelist")
    assert client.post(changelist, {"action": "publish", "_selected_action": [child.pk]}).status_code == 302
    child.refresh_from_db()
    assert child.status == Status.PUBLISHED
