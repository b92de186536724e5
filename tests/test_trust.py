"""Issue 10's findings, each pinned: what an attacker or a careless editor did, and what
must happen instead. (Findings 0, 10, 11 and 12 are in tests/test_ops_*.py.)"""

import base64
import io
import json
import os
import tempfile
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.editorial.resources import MAX_IMPORT_ROWS, RegistryCSV
from alliance.models import Agreement, Meeting, Participation, Person
from alliance.public.cells import cell, guard
from alliance.public.engine import encode_cursor

from .factories import make_agreement, make_body, make_meeting, make_organization, make_person
from .test_editorial import GOOD_ROWS, HEADER, confirm, csv_upload, preview

pytestmark = pytest.mark.django_db


# --- 2. a confirmed import writes every row or none -------------------------------------

ATTENDEE_HEADER = "meeting,position,side,person,post,organization,name_text,role\r\n"


def test_a_confirmation_after_the_data_changed_writes_nothing_and_says_so(client, publisher):
    meeting = make_meeting(slug="wg-2026-01")
    people = [make_person(slug=f"p{i}", name_ja=f"人物{i}") for i in (1, 2, 3)]
    client.force_login(publisher)
    rows = "".join(f"wg-2026-01,{i},jp,p{i},,,,\r\n" for i in (1, 2, 3))
    response = preview(client, csv_upload(ATTENDEE_HEADER + rows, "attendees.csv"), model="participation")
    assert "confirm_form" in response.context
    people[0].delete()  # someone deletes the person named in row 1 before the confirmation
    answer = confirm(client, response, model="participation")
    assert answer.status_code == 302
    assert Participation.objects.filter(meeting=meeting).count() == 0, "no row may be written"
    messages = [str(m) for m in answer.wsgi_request._messages]
    assert any("書き込んでいません" in m for m in messages)


def test_a_confirmation_whose_rows_would_now_do_something_else_writes_nothing(client, publisher):
    make_organization(slug="japan")
    make_organization(slug="us", country="us")
    client.force_login(publisher)
    response = preview(client, csv_upload(HEADER + GOOD_ROWS[0] + GOOD_ROWS[1]))
    make_agreement(slug="treaty-1960", name_ja="別の人が先に作った")  # "new" in the preview is now an update
    answer = confirm(client, response)
    assert Agreement.objects.get(slug="treaty-1960").name_ja == "別の人が先に作った"
    assert not Agreement.objects.filter(slug="acsa-2016").exists()
    assert any("変わりました" in str(m) for m in answer.wsgi_request._messages)


# --- 3. bounded imports --------------------------------------------------------------------


def test_a_file_with_too_many_rows_is_refused_before_it_is_parsed(client, editor_only):
    client.force_login(editor_only)
    rows = "".join(f"a{i},draft,協定{i},,treaty,,,,\r\n" for i in range(MAX_IMPORT_ROWS + 5))
    response = preview(client, csv_upload(HEADER + rows))
    assert "行が多すぎます" in response.content.decode()
    assert not Agreement.objects.exists()


def test_an_xlsx_that_expands_to_a_huge_size_is_refused_without_expanding_it(client, editor_only):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<row r='1'/>" + " " * (40 * 1024 * 1024))
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("bomb.xlsx", buffer.getvalue())
    assert len(buffer.getvalue()) < 1024 * 1024
    client.force_login(editor_only)
    response = preview(client, upload, fmt="1")
    assert "展開すると大きすぎる" in response.content.decode()


# --- 4. the temporary file's name cannot come from the form ---------------------------------


def test_the_confirmation_cannot_name_a_file_outside_its_folder(client, publisher):
    victim = tempfile.NamedTemporaryFile(delete=False, suffix=".txt")
    victim.write(b"slug\r\nx\r\n")
    victim.close()
    client.force_login(publisher)
    for name in [os.path.basename(victim.name), victim.name, "../" + os.path.basename(victim.name)]:
        response = client.post(
            reverse("admin:alliance_agreement_process_import"),
            {"import_file_name": name, "original_file_name": "x.csv", "format": "0", "resource": "0"},
        )
        # Refused: back to the import page with the reason, or a 400/403.
        assert response.status_code in (302, 400, 403)
        if response.status_code == 302:
            assert any("取込ファイルの指定が正しくありません" in str(m) for m in response.wsgi_request._messages)
        assert os.path.exists(victim.name), "the file named by the form was deleted"
    os.unlink(victim.name)


# --- 5. the page cache cannot be poisoned through the Host header ---------------------------


def test_a_request_for_another_port_does_not_change_what_others_are_served(seeded_small):
    attacker, reader = Client(), Client()
    body = seeded_small
    attacker.get(body.get_absolute_url(), HTTP_HOST="127.0.0.1:1")
    html = reader.get(body.get_absolute_url(), HTTP_HOST="127.0.0.1").content.decode()
    assert "127.0.0.1:1" not in html


def test_absolute_links_come_from_the_configured_site_url(seeded_small, settings):
    settings.SITE_URL = "https://registry.example.org"
    html = Client().get(seeded_small.get_absolute_url(), HTTP_HOST="127.0.0.1:1").content.decode()
    assert "127.0.0.1:1" not in html
    assert f"https://registry.example.org/en{seeded_small.get_absolute_url()}" in html


@pytest.fixture
def seeded_small(db):
    return make_body(slug="scc", name_ja="日米安全保障協議委員会", status="published")


# --- 6. crafted cursors ----------------------------------------------------------------------


def raw_cursor(value, pk=1):
    raw = json.dumps([value, pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("name", ["body", "seat", "person", "agreement", "meeting"])
@pytest.mark.parametrize("value", ["\u0000", "\ud800", "a\udfffb", "x" * 600])
def test_a_crafted_cursor_is_ignored_with_a_notice(client, name, value):
    for direction in ("after", "before"):
        response = client.get(reverse(f"alliance:{name}-list"), {direction: raw_cursor(value), "sort": "name"})
        assert response.status_code == 200
        assert "最初のページ" in response.content.decode()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    name=st.sampled_from(["body", "seat", "person", "agreement", "meeting"]),
    value=st.one_of(st.text(max_size=30), st.integers(), st.none(), st.floats(allow_nan=True), st.lists(st.text(max_size=3))),
    pk=st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=5), st.none()),
    sort=st.sampled_from(["", "name", "-signed", "date", "start", "established", "body"]),
)
def test_fuzzed_cursors_never_answer_5xx(db, name, value, pk, sort):
    token = encode_cursor(value, pk) if isinstance(pk, int) and not isinstance(value, float | list) else raw_cursor(value, pk)
    response = Client().get(reverse(f"alliance:{name}-list"), {"after": token, "sort": sort})
    assert response.status_code < 500


# --- 8. the formula guard --------------------------------------------------------------------

DANGEROUS = ["=1+1", "+1", "-1", "@SUM(A1)", "＝1+1", "＋1", "－1", "＠x", " =1", "\u00a0=1", "\u3000＝1",
             "\u200b=1", "\ufeff+1", "\n=1", "\t1", "\r1", "  +cmd"]
SAFE = ["日米", "2+2", "a=b", "1996", "ACSA", "日本側: 外務大臣"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_every_form_a_spreadsheet_may_run_is_guarded_in_python_and_sql(text, django_db_setup, django_db_blocker):
    assert guard(text) == "'" + text
    with django_db_blocker.unblock():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT alliance_csv_cell(%s)", [text])
            assert cursor.fetchone()[0] == "'" + text


@pytest.mark.parametrize("text", SAFE)
def test_ordinary_text_is_left_alone(text):
    assert cell(text) == text


def test_the_public_csv_guards_a_full_width_formula(client):
    make_agreement(slug="x", name_ja="＝HYPERLINK(\"http://evil\")", status="published")
    body = b"".join(client.get(reverse("alliance:agreement-csv")).streaming_content).decode("utf-8-sig")
    assert "'＝HYPERLINK" in body


def test_a_guarded_cell_imports_back_as_it_was():
    exported = RegistryCSV().export_data(__import__("tablib").Dataset(["\u3000＝x", "=y"], headers=["a", "b"]))
    dataset = RegistryCSV().create_dataset(exported)
    assert list(dataset[0]) == ["\u3000＝x", "=y"]


# --- 9. a duplicate key inside one file ---------------------------------------------------------


def test_a_duplicate_slug_inside_one_file_is_a_row_error(client, publisher):
    make_organization(slug="japan")
    make_organization(slug="us", country="us")
    client.force_login(publisher)
    twice = GOOD_ROWS[0] + GOOD_ROWS[0].replace("新安保条約", "別の概要")
    response = preview(client, csv_upload(HEADER + twice))
    result = response.context["result"]
    assert result.has_validation_errors()
    assert "2回あります" in response.content.decode()
    assert "confirm_form" not in response.context
    assert not Agreement.objects.exists()


def test_the_command_line_import_refuses_a_duplicate_too(tmp_path):
    from django.core.management import CommandError, call_command

    make_organization(slug="japan")
    make_organization(slug="us", country="us")
    path = tmp_path / "agreements.csv"
    path.write_text(HEADER + GOOD_ROWS[0] + GOOD_ROWS[0], encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_file", "agreements", str(path))
    assert not Agreement.objects.exists()
    assert Person.objects.count() == 0 and Meeting.objects.count() == 0


# --- 3. an import does not lock other editors out ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_long_import_does_not_block_another_editor_s_save():
    """One connection holds an import's transaction open after writing; another saves a
    record meanwhile. The save must not wait for the import (it used to wait on the data
    version's row until the import committed), and each commit bumps the version once."""
    import psycopg
    from django.db import connection

    from alliance.editorial.resources import AgreementResource
    from alliance.public.caching import registry_version

    make_organization(slug="japan")
    person = make_person(slug="someone")
    before = registry_version()
    params = connection.get_connection_params()
    dsn = {k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")}
    with psycopg.connect(**dsn) as importer:
        importer.execute("UPDATE alliance_organization SET note = 'being imported' WHERE slug = 'japan'")
        # The import's transaction is still open: another editor saves now.
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        person.name_en = "Someone"
        person.save()  # raises LockNotAvailable if it has to wait for the importer
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        after_save = registry_version()
        assert after_save != before, "the save's own commit bumps the version"
        importer.commit()
    assert registry_version() != after_save, "the import's commit bumps it again"
    assert AgreementResource  # the admin and the command run imports in such a transaction


# --- 7. two editors on one record ----------------------------------------------------------------


def change_form_data(response):
    """What a browser would post back from a change form as it was rendered."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    return data


def test_the_second_of_two_editors_saving_one_record_gets_a_conflict_not_a_silent_loss(client, publisher):
    person = make_person(slug="kishida", name_ja="岸田", name_en="")
    url = reverse("admin:alliance_person_change", args=[person.pk])
    first, second = Client(), Client()
    first.force_login(publisher)
    second.force_login(publisher)
    form_a = change_form_data(first.get(url))
    form_b = change_form_data(second.get(url))
    form_a["name_en"] = "Kishida Fumio"
    assert first.post(url, form_a).status_code == 302
    form_b["other_names"] = "岸田文雄"
    response = second.post(url, form_b)
    assert response.status_code == 200, "the second save is refused"
    assert "ほかの人が変更しました" in response.content.decode()
    person.refresh_from_db()
    assert person.name_en == "Kishida Fumio" and person.other_names == ""


def test_two_simultaneous_adds_of_one_slug_give_a_form_error_not_a_500(client, publisher, monkeypatch):
    from alliance.editorial.forms import RegistryModelForm

    make_person(slug="taken", name_ja="先に保存された人")
    calls = {"n": 0}
    real = RegistryModelForm.validate_unique

    def racing_validate_unique(self):
        # The first validation runs before the other editor's row exists: it sees no clash.
        calls["n"] += 1
        if calls["n"] > 1:
            real(self)

    monkeypatch.setattr(RegistryModelForm, "validate_unique", racing_validate_unique)
    client.force_login(publisher)
    url = reverse("admin:alliance_person_add")
    data = {"name_ja": "後から保存した人", "country": "jp", "slug": "taken", "status": "draft",
            "tenures-TOTAL_FORMS": "0", "tenures-INITIAL_FORMS": "0",
            "citations-TOTAL_FORMS": "0", "citations-INITIAL_FORMS": "0"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert Person.objects.filter(slug="taken").count() == 1


# --- 1. inline rows cannot publish past a publisher ----------------------------------------------


def test_an_editor_cannot_publish_a_seat_from_the_body_s_page(client, editor_only):
    from alliance.models import Seat

    body = make_body(slug="acg", name_ja="同盟調整グループ", status="draft")
    holder = make_organization(slug="mofa", name_ja="外務省", status="published")
    client.force_login(editor_only)
    url = reverse("admin:alliance_body_change", args=[body.pk])
    data = change_form_data(client.get(url))
    data.update({
        "seats-TOTAL_FORMS": "1", "seats-INITIAL_FORMS": "0",
        "seats-0-side": "jp", "seats-0-organization": str(holder.pk), "seats-0-position": "1",
        "seats-0-slug": "acg-jp-mofa", "seats-0-status": "published",
    })
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    seat = Seat.objects.get(slug="acg-jp-mofa")
    assert seat.status == "draft"
    seat_data = change_form_data(client.get(url))
    assert "seats-0-status" not in seat_data, "the status is not an editable field for an editor"


# --- every public URL, any query string -------------------------------------------------------

cursor_values = st.one_of(
    st.builds(lambda v, pk: encode_cursor(v, pk), st.one_of(st.text(max_size=10), st.none()), st.integers(1, 2**40)),
    st.builds(raw_cursor, st.one_of(st.text(max_size=10), st.integers(), st.none(), st.booleans()), st.one_of(st.integers(), st.text(max_size=3))),
    st.text(max_size=40),
)
any_values = st.one_of(st.text(max_size=30), st.binary(max_size=20).map(lambda b: b.decode("latin-1")))


def public_urls():
    from alliance.public.entities import ENTITIES

    urls = ["/", "/search/", "/structure/", "/chronology/", "/members/"]
    for entity in ENTITIES.values():
        urls.append(f"/{entity.path}/does-not-exist/")
        if entity.listed:
            urls += [reverse(f"alliance:{entity.name}-list"), reverse(f"alliance:{entity.name}-csv")]
    return urls + ["/en" + u for u in urls]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    url=st.sampled_from(public_urls()),
    params=st.dictionaries(
        st.sampled_from(["q", "kind", "sort", "from", "to", "in_force_on", "active_on", "body", "side", "level",
                         "as_needed", "state", "party", "country", "parent", "year", "on"]),
        any_values,
        max_size=4,
    ),
    cursor=st.one_of(st.none(), st.tuples(st.sampled_from(["after", "before"]), cursor_values)),
)
def test_no_public_url_answers_5xx_whatever_its_query_string(db, url, params, cursor):
    if cursor:
        params = {**params, cursor[0]: cursor[1]}
    response = Client().get(url, params)
    assert response.status_code < 500, (url, params)
    if response.streaming:
        b"".join(response.streaming_content)
