"""Issue 12, findings 3 and 4: the import, export and history screens speak the
catalogue's language (no English from the libraries under Japanese), diffs show labels,
and import errors are text beside each row with the file's line number."""

import re
from pathlib import Path

import import_export
import polib
import pytest
import simple_history
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliance.models import Meeting

from .factories import make_body, make_meeting
from .test_editorial import confirm, preview

pytestmark = pytest.mark.django_db


def library_msgids():
    """The English source strings of the two libraries' catalogues, as fragments long
    enough to mean something (placeholders cut out)."""
    fragments = set()
    for package in (import_export, simple_history):
        for po_path in Path(package.__file__).parent.glob("locale/*/LC_MESSAGES/django.po"):
            for entry in polib.pofile(str(po_path)):
                for piece in re.split(r"%\(\w+\)s|%s|\{\w*\}|\{\{.*?\}\}", entry.msgid):
                    piece = " ".join(piece.split()).strip(" :.")
                    if len(piece) >= 6 and re.search(r"[a-z]{3}", piece):
                        fragments.add(piece)
    return fragments


LIBRARY_STRINGS = library_msgids()


def english_left(html: str) -> list[str]:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    shown = re.findall(r'(?:value|title|placeholder|aria-label)="([^"]*)"', html)
    text = " ".join([re.sub(r"<[^>]+>", " ", html), *shown])
    text = " ".join(text.split())
    return sorted(s for s in LIBRARY_STRINGS if s in text)


def test_the_check_finds_the_libraries_english():
    assert "Select all" in LIBRARY_STRINGS
    assert english_left("<p>This exporter will export the following fields: </p>")


def test_import_export_and_history_pages_have_no_english_under_japanese(client, publisher):
    client.force_login(publisher)
    body = make_body(slug="acg")
    meeting = make_meeting(slug="m1", body=body, start="2026-03")
    meeting.status = "draft"
    meeting.start_precision = "day"
    meeting.start_date = meeting.start_date.replace(day=4)
    meeting._change_reason = "日付を直す"
    meeting.save()
    pages = {
        "import": client.get(reverse("admin:alliance_meeting_import")),
        "export": client.get(reverse("admin:alliance_meeting_export")),
        "history": client.get(reverse("admin:alliance_meeting_history", args=[meeting.pk])),
        "changelist": client.get(reverse("admin:alliance_meeting_changelist")),
    }
    history_id = meeting.history.earliest().history_id
    pages["revert"] = client.get(reverse("admin:alliance_meeting_simple_history", args=[meeting.pk, history_id]))
    good = "slug,name_ja,kind,body,start\r\nm2,会合,working,acg,2026-03-05\r\n"
    pages["preview"] = preview(client, SimpleUploadedFile("m.csv", ("\ufeff" + good).encode()), model="meeting")
    bad = "slug,name_ja,kind,body,start\r\nm3,会合,working,acg,2026-13-45\r\n"
    pages["errors"] = preview(client, SimpleUploadedFile("m.csv", ("\ufeff" + bad).encode()), model="meeting")
    pages["done"] = confirm(client, pages["preview"], model="meeting")
    pages["after"] = client.get(pages["done"]["Location"])
    for name, response in pages.items():
        if response.status_code == 302:
            continue
        assert response.status_code == 200, name
        assert english_left(response.content.decode()) == [], name
    export = pages["export"].content.decode()
    assert "名称（日本語） (name_ja)" in export and "Name Ja" not in export
    assert "取込が終わりました" in pages["after"].content.decode()
    history = pages["history"].content.decode()
    assert "公開 → 下書き" in history.replace("&nbsp;", " ").replace("&rarr;", "→")
    assert "draft" not in re.sub(r"<[^>]+>", "", history)


def test_import_errors_are_text_beside_their_row_with_the_file_s_line(client, publisher):
    client.force_login(publisher)
    make_body(slug="acg")
    text = "slug,name_ja,kind,body,start\r\nok-1,会合,working,acg,2026-03-04\r\nbad-1,会合,working,acg,2026-13-45\r\n"
    response = preview(client, SimpleUploadedFile("m.csv", ("\ufeff" + text).encode()), model="meeting")
    html = response.content.decode()
    table = html[html.index('id="import-invalid-rows"'):]
    row = table[table.index("<tbody>"):table.index("</tbody>")]
    assert "3行目" in row, "the second data row is the file's line 3"
    assert "月 13 は1〜12で入力してください。" in row and "日 45 は1〜31で入力してください。" in row
    assert "validation-error-count" not in html, "no hover badge"
    assert "もう一度選んで" in html, "the editor is told to choose the file again"
    assert not Meeting.objects.filter(slug="ok-1").exists()


def test_a_new_row_repeating_an_existing_meeting_is_warned_about(client, publisher):
    client.force_login(publisher)
    body = make_body(slug="acg")
    make_meeting(slug="acg-2026-03-04", body=body, start="2026-03-04", session_number=5, kind="working")
    text = "slug,name_ja,kind,body,start,session_number\r\nacg-5th,会合,working,acg,2026-03-04,5\r\nacg-6th,会合,working,acg,2026-03-04,6\r\n"
    response = preview(client, SimpleUploadedFile("m.csv", ("\ufeff" + text).encode()), model="meeting")
    rows = response.context["result"].rows
    assert rows[0].warnings and "acg-2026-03-04" in rows[0].warnings[0]
    assert rows[1].warnings == []
    assert "重複の疑い" in response.content.decode()

