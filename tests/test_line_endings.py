"""Issue 12, finding 2: text is normalised to LF on its way in, so an export of a record
saved in a browser (which sends CRLF) imports back with nothing changed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliance.models import Citation, Meeting
from alliance.models.base import newlines_to_lf

from .factories import make_body, make_meeting, make_source
from .test_admin import post_admin_form
from .test_editorial import preview

pytestmark = pytest.mark.django_db


def test_newlines_become_lf():
    assert newlines_to_lf("a\r\nb\rc\n") == "a\nb\nc\n"
    assert newlines_to_lf(None) is None


def test_a_form_saves_lf_and_its_export_imports_back_with_nothing_changed(client, publisher):
    client.force_login(publisher)
    body = make_body(slug="acg")
    post_admin_form(
        client, Meeting, "add",
        name_ja="同盟調整グループ会合", slug="acg-2026-03", status="draft", body=str(body.pk), kind="working", start="2026-03-04",
        outcomes_ja="情報共有の強化\r\n共同計画の進展", summary_ja="一行目\r\n二行目",
    )
    meeting = Meeting.objects.get(slug="acg-2026-03")
    assert meeting.outcomes_ja == "情報共有の強化\n共同計画の進展" and "\r" not in meeting.summary_ja
    columns = ["slug", "status", "name_ja", "body", "kind", "start", "summary_ja", "outcomes_ja"]
    exported = client.post(
        reverse("admin:alliance_meeting_export"),
        {"format": "0", "resource": "0", **{f"meetingresource_{c}": "on" for c in columns}},
    ).content
    response = preview(client, SimpleUploadedFile("meetings.csv", exported), model="meeting")
    totals = response.context["result"].totals
    assert totals["skip"] == 1 and totals["update"] == 0, response.context["result"].invalid_rows


def test_an_inline_citation_s_quote_is_saved_with_lf(client, publisher):
    client.force_login(publisher)
    meeting = make_meeting(slug="m1")
    source = make_source(slug="s1")
    url = reverse("admin:alliance_meeting_change", args=[meeting.pk])
    from .test_admin import form_data

    page = client.get(url)
    prefix = next(i.formset.prefix for i in page.context["inline_admin_formsets"] if i.formset.model is Citation)
    data = form_data(page, name_ja=meeting.name_ja, slug="m1", kind=meeting.kind, status="published",
                     **{f"{prefix}-0-source": str(source.pk), f"{prefix}-0-locator": "1", f"{prefix}-0-quote": "行1\r\n行2"})
    assert client.post(url, data).status_code == 302
    assert Citation.objects.get().quote == "行1\n行2"


def test_a_file_with_crlf_inside_a_cell_is_stored_with_lf(client, publisher):
    client.force_login(publisher)
    make_meeting(slug="m2", outcomes_ja="一\n二")
    text = "\ufeffslug,name_ja,kind,outcomes_ja\r\nm2,日米「2+2」,2plus2,\"一\r\n二\"\r\n"
    response = preview(client, SimpleUploadedFile("m.csv", text.encode()), model="meeting")
    assert response.context["result"].totals["skip"] == 1


def test_the_migration_makes_stored_crlf_lf():
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("alliance.migrations.0016_editor_workflow")
    meeting = make_meeting(slug="m3")
    Meeting.objects.filter(pk=meeting.pk).update(outcomes_ja="一\r\n二\r三", name_ja="名前")
    with connection.schema_editor() as editor:
        migration.text_to_lf(apps, editor)
    meeting.refresh_from_db()
    assert meeting.outcomes_ja == "一\n二\n三" and meeting.name_ja == "名前"
