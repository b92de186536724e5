"""Issue 12, finding 5: a source carries its text (pasted, or read from a text, PDF or
HTML file), quotes are checked against it when a citation is saved, and the public
source page shows date, URL and text with each quote marked where it stands."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from alliance.editorial.forms import suggest_slug
from alliance.editorial.seedcheck import quotes_not_found
from alliance.editorial.sourcetext import text_of_upload
from alliance.models import Citation, Source
from alliance.partial_dates import PartialDate

from .factories import make_body, make_citation, make_meeting, make_source
from .test_admin import errors_of, form_data, post_admin_form

pytestmark = pytest.mark.django_db

PRESS = (
    "日米同盟調整グループ（ACG）局長級会合の開催\n"
    "令和8年3月4日、東京において、日米同盟調整グループ局長級会合が開催された。\n"
    "双方は、同盟の抑止力・対処力を一層強化するため、情報共有の強化に基 づき協力することで一致した。\n"
)


def minimal_pdf(line: str) -> bytes:
    """A one-page PDF whose page shows ``line`` (ASCII) in Helvetica, with a correct xref."""
    stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_source_slug_is_suggested_from_its_english_title():
    assert suggest_slug(Source, {"title_en": "ACG Director-General Meeting", "year": 2026}, Source()) == "acg-director-general-meeting-2026"


def test_a_new_source_is_added_with_pasted_text_a_date_and_a_generated_slug(client, publisher):
    client.force_login(publisher)
    post_admin_form(
        client, Source, "add",
        title_ja="日米同盟調整グループ局長級会合の開催", title_en="Alliance Coordination Group meeting",
        publisher_ja="外務省", issued="2026-03-04", url="https://www.mofa.go.jp/press/release/example.html",
        text=PRESS.replace("\n", "\r\n"), status="draft",
    )
    source = Source.objects.get()
    assert source.slug == "alliance-coordination-group-meeting"
    assert source.issued == PartialDate.parse("2026-03-04")
    assert source.text == PRESS.strip("\n") or source.text == PRESS, "stored with LF"


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("press.txt", PRESS.encode("utf-8"), "情報共有の強化"),
        ("press.txt", PRESS.encode("cp932"), "情報共有の強化"),
        ("press.html", f"<html><head><style>p{{}}</style><script>var x=1</script></head><body><h1>開催</h1><p>{PRESS}</p></body></html>".encode(), "情報共有の強化"),
        ("report.pdf", minimal_pdf("Alliance Coordination Group"), "Alliance Coordination Group"),
    ],
)
def test_a_source_text_is_read_from_text_html_and_pdf(name, data, expected):
    text = text_of_upload(name, data)
    assert expected in text
    assert "var x" not in text and "p{}" not in text


def test_an_uploaded_file_becomes_the_stored_text(client, publisher):
    client.force_login(publisher)
    url = reverse("admin:alliance_source_add")
    data = form_data(client.get(url), title_ja="報告", publisher_ja="防衛省", slug="report", status="draft")
    data["text_file"] = SimpleUploadedFile("report.pdf", minimal_pdf("Alliance Coordination Group"), content_type="application/pdf")
    response = client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    assert "Alliance Coordination Group" in Source.objects.get(slug="report").text


def test_a_quote_not_in_the_source_text_is_refused_with_the_passage_found_nearby(client, publisher):
    source = make_source(slug="press", text=PRESS)
    meeting = make_meeting(slug="acg-2026-03")
    client.force_login(publisher)
    url = reverse("admin:alliance_meeting_change", args=[meeting.pk])
    page = client.get(url)
    prefix = next(i.formset.prefix for i in page.context["inline_admin_formsets"] if i.formset.model is Citation)

    def save(quote):
        data = form_data(page, name_ja=meeting.name_ja, slug=meeting.slug, kind=meeting.kind, status="published",
                         **{f"{prefix}-0-source": str(source.pk), f"{prefix}-0-locator": "本文", f"{prefix}-0-quote": quote})
        return client.post(url, data)

    response = save("日米同盟調整グループ局長級会合が開催されなかった")
    errors = errors_of(response)
    message = " ".join(errors[f"{prefix}:quote"])
    assert "見つかりません" in message and "局長級会合が開催された" in message, message
    response = save("全く 関係のない文章")
    assert "似た箇所もありません" in " ".join(errors_of(response)[f"{prefix}:quote"])
    assert not Citation.objects.exists()
    # Whitespace and line breaks aside, a verbatim quote is accepted.
    response = save("日米同盟調整グループ 局長級会合が\r\n開催された")
    assert response.status_code == 302, errors_of(response)
    assert Citation.objects.count() == 1


def test_an_import_checks_quotes_too(client, publisher):
    from .test_editorial import csv_upload, preview

    make_source(slug="press", text=PRESS)
    make_meeting(slug="acg-2026-03")
    client.force_login(publisher)
    response = preview(client, csv_upload("key,source,locator,quote,meeting\r\nk1,press,本文,存在しない引用です,acg-2026-03\r\n", name="c.csv"), model="citation")
    assert response.context["result"].has_validation_errors()
    assert "見つかりません" in response.content.decode()


def test_the_quality_report_reads_the_stored_text():
    source = make_source(slug="press", text=PRESS)
    good = make_citation(source=source, quote="情報共有の強化", body=make_body())
    bad = make_citation(source=source, quote="ない文", body=make_body())
    no_text = make_citation(source=make_source(slug="empty"), quote="何か", body=make_body())
    assert set(quotes_not_found()) == {bad, no_text}
    assert good not in quotes_not_found()


def test_the_public_source_page_shows_date_url_and_text_with_each_quote_marked(client):
    source = make_source(slug="press", title_ja="ACG会合の開催", publisher_ja="外務省", issued_date="2026-03-04",
                         issued_precision="day", url="https://www.mofa.go.jp/press/x.html", text=PRESS)
    meeting = make_meeting(slug="acg-2026-03", name_ja="ACG局長級会合")
    citation = make_citation(source=source, meeting=meeting, locator="本文", quote="情報共有の強化に基づき協力する")
    make_citation(source=source, meeting=make_meeting(slug="draft-one", status="draft"), quote="東京において")
    html = Client().get(reverse("alliance:source-detail", args=["press"])).content.decode()
    assert "外務省" in html and "https://www.mofa.go.jp/press/x.html" in html and "2026" in html
    assert f'id="quote-{citation.key}"' in html
    # The quote is found whitespace aside, and marked as the text stores it: a space is
    # never taken out for display (the page cannot tell a PDF's stray one from a word break).
    assert "<mark>情報共有の強化に基 づき協力する</mark>" in html
    assert "<mark>東京において</mark>" not in html, "a draft record's citation is not shown"
    assert meeting.get_absolute_url() in html
    detail = Client().get(meeting.get_absolute_url()).content.decode()
    assert f'/sources/press/#quote-{citation.key}' in detail
    assert Client().get(reverse("alliance:source-detail", args=["press"]) ).status_code == 200
    Source.objects.filter(pk=source.pk).update(status="draft")
    assert Client().get(reverse("alliance:source-detail", args=["press"])).status_code == 404


# --- issue 21, item 4: the text as stored, and what it is -------------------------------

NAMES = (
    "日米防衛当局間の協議\n"
    "令和8年3月4日、防衛省において協議を行った。\n"
    "出席者: 山田太郎 防衛政策局次長、鈴木花子　北米局長\n"
)


def source_text_of(html: str) -> str:
    """The text the source page shows, as a reader's browser has it (tags and anchors out)."""
    import html as html_module
    import re

    shown = html[html.index('<div class="source-text"'):]
    shown = shown[shown.index(">") + 1:shown.index("</div>")]
    return html_module.unescape(re.sub(r"<[^>]+>", "", shown))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_space_the_stored_text_has_between_words_is_shown_and_the_quote_marked_with_it(client, language):
    source = make_source(slug="talks", text=NAMES)
    citation = make_citation(source=source, meeting=make_meeting(slug="talks-2026"), locator="本文", quote="山田太郎 防衛政策局次長")
    url = reverse("alliance:source-detail", args=["talks"])
    html = client.get(url if language == "ja" else "/en" + url).content.decode()
    assert f'id="quote-{citation.key}"' in html
    assert "<mark>山田太郎 防衛政策局次長</mark>" in html
    assert "鈴木花子　北米局長" in html, "a full-width space is kept as well"
    assert source_text_of(html) == NAMES, "the page shows the stored text, every space and line break of it"


def test_a_source_pasted_in_the_admin_is_not_called_a_pdf(client, publisher):
    client.force_login(publisher)
    post_admin_form(client, Source, "add", slug="talks", title_ja="日米防衛当局間の協議", publisher_ja="防衛省",
                    text=NAMES.replace("\n", "\r\n"), status="published")
    html = Client().get(reverse("alliance:source-detail", args=["talks"])).content.decode()
    assert "山田太郎 防衛政策局次長" in html
    assert "編集者が貼り付けた本文" in html
    assert "PDF" not in html


def test_a_source_read_from_an_uploaded_text_file_says_so(client, publisher):
    client.force_login(publisher)
    url = reverse("admin:alliance_source_add")
    data = form_data(client.get(url), title_ja="協議", publisher_ja="防衛省", slug="talks", status="published")
    data["text_file"] = SimpleUploadedFile("talks.txt", NAMES.encode("utf-8"), content_type="text/plain")
    assert client.post(url, data).status_code == 302
    html = Client().get(reverse("alliance:source-detail", args=["talks"])).content.decode()
    assert "テキストファイルの本文" in html and "PDF" not in html
    assert source_text_of(html) == NAMES.strip("\n")



def test_the_passage_an_editor_is_shown_keeps_the_text_s_spaces_and_joins_only_a_pdf_s_wrapped_lines():
    text = "日米協議の出席者は\n山田太郎 防衛政策局次長、鈴木花子　北米局長である。"

    def passage(source, quote):
        match = source.locate(quote)
        assert not match.found
        return source.indexed_text.passage(match, around=40)

    pasted = Source(slug="talks", text=text)
    assert "山田太郎 防衛政策局次長、鈴木花子　北米局長" in passage(pasted, "山田太郎防衛政策局次長、佐藤")
    assert "出席者は 山田太郎" in passage(pasted, "出席者は山田太郎です"), "a line break of a pasted text is a break"
    converted = Source(slug="paper", text=text)
    converted.text_origin = "pdf"
    assert "山田太郎 防衛政策局次長、鈴木花子　北米局長" in passage(converted, "山田太郎防衛政策局次長、佐藤")
    assert "出席者は山田太郎" in passage(converted, "出席者は山田太郎です"), "a PDF's wrapped line is joined"


def test_a_quote_picked_from_the_text_is_marked_at_its_anchor_where_the_words_repeat(client):
    text = "第1回の会合が開催された。\n第2回の会合が開催された。\n"
    source = make_source(slug="twice", text=text)
    second = text.rindex("会合が開催された")
    citation = make_citation(source=source, meeting=make_meeting(slug="second"), locator="本文", quote="会合が開催された",
                             quote_start=second, quote_end=second + len("会合が開催された"))
    html = client.get(reverse("alliance:source-detail", args=["twice"])).content.decode()
    assert f'第2回の<span id="quote-{citation.key}" class="quote-anchor"></span><mark>会合が開催された</mark>' in html
    assert "第1回の会合が開催された。" in html
