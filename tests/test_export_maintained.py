"""The meetings' CSV and NDJSON read rows kept up to date on write (public/maintained.py).

What they write must be byte for byte what the request-time join wrote (kept below as
the reference), on the seed data, on generated data and after every kind of write: the
admin's and the ORM's saves, an import, raw SQL, deletes, status changes and renames.
"""

import dataclasses
import json

import pytest
import tablib
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.editorial.resources import ParticipationResource
from alliance.models import MeetingDocument, Participation, Status, published_sql
from alliance.public import export, maintained
from alliance.public.engine import Column, Entity
from alliance.public.entities import LISTS, MeetingEntity

from .factories import (
    make_agreement,
    make_body,
    make_meeting,
    make_organization,
    make_participation,
    make_person,
    make_post,
)

pytestmark = pytest.mark.django_db

PREFIX = "http://testserver/meetings/"


# The labels the previous release joined at request time, by the names it gave them.
JOINED = {"labels.attendees": "attendees.labels", "labels.documents": "documents.labels", "labels.document_slugs": "documents.slugs"}


def request_time(column: Column) -> Column:
    value = JOINED.get(column.value, column.value)
    column = dataclasses.replace(column, value=value, cell=column.cell.replace(column.value, value))
    # The English title names the attendees as they read in English (a label of its own).
    english = "labels.attendees_en"
    return dataclasses.replace(
        column, value=column.value.replace(english, "attendees.labels_en"), cell=column.cell.replace(english, "attendees.labels_en")
    )


class RequestTimeMeetings(MeetingEntity):
    """The export as it was before its rows were stored: attendees and documents joined
    and every cell computed at request time (the SQL of the previous release)."""

    columns = [request_time(column) for column in MeetingEntity.columns]
    csv_with = f"""
        , attendees AS (
            SELECT x.meeting_id,
                string_agg(x.side || ': ' || x.who || CASE WHEN x.role <> '' THEN '（' || x.role || '）' ELSE '' END, '; ')
                    FILTER (WHERE x.who <> '') AS labels,
                string_agg(x.who_en, '; ') FILTER (WHERE x.who_en <> '') AS labels_en FROM (
                SELECT p.meeting_id, p.position, p.side, p.role, concat_ws(' ',
                    CASE WHEN {published_sql("po")} THEN po.name_ja END,
                    CASE WHEN {published_sql("o")} THEN o.name_ja END,
                    CASE WHEN {published_sql("pe")} THEN pe.name_ja
                        WHEN p.person_id IS NULL AND p.name_text <> '' THEN p.name_text END) AS who,
                    CASE WHEN {published_sql("pe")} AND pe.name_en <> '' THEN pe.name_en || COALESCE(' (' || COALESCE(
                            CASE WHEN {published_sql("po")} AND po.name_en <> '' THEN po.name_en END,
                            CASE WHEN {published_sql("o")} AND o.name_en <> '' THEN o.name_en END) || ')', '')
                        WHEN {published_sql("pe")} THEN ''
                        ELSE COALESCE(CASE WHEN {published_sql("po")} AND po.name_en <> '' THEN po.name_en END,
                            CASE WHEN {published_sql("o")} AND o.name_en <> '' THEN o.name_en END, '') END AS who_en
                FROM sel JOIN alliance_participation p ON p.meeting_id = sel.id AND {published_sql("p")}
                LEFT JOIN alliance_post po ON po.id = p.post_id
                LEFT JOIN alliance_organization o ON o.id = p.organization_id
                LEFT JOIN alliance_person pe ON pe.id = p.person_id
                ORDER BY p.meeting_id, p.position
            ) x WHERE x.who <> '' OR x.who_en <> '' GROUP BY x.meeting_id
        ), documents AS (
            SELECT d.meeting_id,
                string_agg(d.kind || ': ' || a.name_ja, '; ' ORDER BY d.kind, a.name_ja, a.slug) AS labels,
                string_agg(d.kind || ':' || a.slug, '; ' ORDER BY d.kind, a.name_ja, a.slug) AS slugs
            FROM sel JOIN alliance_meetingdocument d ON d.meeting_id = sel.id AND {published_sql("d")}
            JOIN alliance_agreement a ON a.id = d.agreement_id AND {published_sql("a")}
            GROUP BY d.meeting_id
        )"""
    csv_from = f"""FROM sel JOIN alliance_meeting m ON m.id = sel.id
        LEFT JOIN alliance_body b ON b.id = m.body_id AND {published_sql("b")}
        LEFT JOIN attendees ON attendees.meeting_id = m.id
        LEFT JOIN documents ON documents.meeting_id = m.id"""
    csv_sql = Entity.csv_sql
    json_sql = Entity.json_sql
    csv_lines = False


REFERENCE = RequestTimeMeetings()
STORED = LISTS["meeting"]


def csv_of(entity, **params) -> bytes:
    return b"".join(export.stream(STORED.read(params).queryset(), entity, PREFIX))


def ndjson_of(entity, **params) -> bytes:
    return b"".join(export.stream_ndjson(STORED.read(params).queryset(), entity, PREFIX))


def assert_same_as_request_time(**params):
    stored, reference = csv_of(STORED, **params), csv_of(REFERENCE, **params)
    assert stored == reference
    assert ndjson_of(STORED, **params) == ndjson_of(REFERENCE, **params)
    return stored.decode("utf-8-sig")


def row_of(meeting) -> dict:
    """The meeting's object in the NDJSON (its CSV row, typed)."""
    for line in ndjson_of(STORED).decode().splitlines():
        obj = json.loads(line)
        if obj["slug"] == meeting.slug:
            return obj
    raise AssertionError(f"{meeting.slug} is not exported")


@pytest.fixture
def meeting():
    """A meeting with two attendees (a post and a person; a bare name) and a document."""
    m = make_meeting(name_ja="日米「2+2」", body=make_body(name_ja="日米安全保障協議委員会"), place_ja="東京")
    make_participation(meeting=m, side="jp", post=make_post(name_ja="外務大臣"), person=make_person(name_ja="林芳正"), role="共同議長")
    make_participation(meeting=m, side="us", organization=make_organization(name_ja="国務省"), name_text="")
    MeetingDocument.objects.create(meeting=m, agreement=make_agreement(name_ja="共同発表"), kind="issued", status=Status.PUBLISHED)
    return m


# --- the same bytes ---------------------------------------------------------------------


def test_the_seed_data_exports_the_same_bytes_as_the_request_time_join():
    call_command("seed", verbosity=0)
    text = assert_same_as_request_time()
    assert text.count("\r\n") > 10
    assert_same_as_request_time(q="2+2")
    assert_same_as_request_time(sort="name")


def test_generated_data_exports_the_same_bytes_as_the_request_time_join():
    call_command("synth", meetings=300, seed=3, verbosity=0)
    assert "synth-meeting-" in assert_same_as_request_time()


def test_hard_cells_export_the_same_bytes(meeting):
    """Formulas, quotes, commas, line breaks, drafts, no attendees, no body."""
    make_participation(meeting=meeting, side="jp", person=make_person(name_ja="=cmd()"), role='"代表", 随行')
    make_participation(meeting=meeting, side="us", person=make_person(name_ja="下書き", status=Status.DRAFT))
    make_meeting(name_ja="-1+2", summary_ja="一行目\n二行目", outcomes_ja="合意\n\n一致", session_number=3, start="2009-11")
    make_meeting(status=Status.DRAFT)
    # What COPY's text format escapes (the stored lines go through it), and what it does not.
    make_meeting(name_ja="C:\\path\\n", summary_ja="タブ\tと\r復帰と\\.と\x01\x0b", place_ja="\\", place_en="", outcomes_en="a\\\nb")
    text = assert_same_as_request_time()
    assert "'-1+2" in text and "C:\\path\\n" in text and "\x01\x0b" in text


def test_the_view_writes_the_stored_rows(client, meeting):
    csv_bytes = b"".join(client.get(reverse("alliance:meeting-csv")).streaming_content)
    assert csv_bytes == csv_of(REFERENCE)
    ndjson = b"".join(client.get(reverse("alliance:meeting-ndjson")).streaming_content)
    assert ndjson == ndjson_of(REFERENCE)


# --- every write path keeps them right -------------------------------------------------------


def test_renaming_a_person_a_post_an_organization_an_agreement_or_a_body_changes_the_row(meeting):
    p = meeting.participations.get(position=1)
    p.person.name_ja = "林芳正（改名）"
    p.person.save()
    p.post.name_ja = "外務大臣（当時）"
    p.post.save()
    o = meeting.participations.get(position=2).organization
    o.name_ja = "米国務省"
    o.save()
    MeetingDocument.objects.get(meeting=meeting).agreement.__class__.objects.filter(name_ja="共同発表").update(name_ja="共同声明")
    meeting.body.name_ja = "日米安保協議委員会"
    meeting.body.save()
    assert_same_as_request_time()
    row = row_of(meeting)
    assert row["attendees"] == "jp: 外務大臣（当時） 林芳正（改名）（共同議長）; us: 米国務省"
    assert row["documents"] == "issued: 共同声明"
    assert row["body"] == "日米安保協議委員会"


def test_a_draft_name_is_not_shown_and_publishing_it_shows_it(meeting):
    person = meeting.participations.get(position=1).person
    person.status = Status.DRAFT
    person.save()
    assert row_of(meeting)["attendees"] == "jp: 外務大臣（共同議長）; us: 国務省"
    assert_same_as_request_time()
    person.status = Status.PUBLISHED
    person.save()
    assert "林芳正" in row_of(meeting)["attendees"]
    Participation.objects.filter(meeting=meeting, position=2).update(status=Status.DRAFT)
    assert row_of(meeting)["attendees"] == "jp: 外務大臣 林芳正（共同議長）"
    assert_same_as_request_time()


def test_deleting_an_attendee_a_document_and_a_meeting(meeting):
    meeting.participations.get(position=1).delete()
    MeetingDocument.objects.filter(meeting=meeting).delete()
    row = row_of(meeting)
    assert (row["attendees"], row["documents"], row["document_slugs"]) == ("us: 国務省", None, None)
    assert_same_as_request_time()
    meeting.delete()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {maintained.TABLE} WHERE meeting_id = %s", [meeting.pk])
        assert cursor.fetchone() == (0,)


def test_an_import_of_attendees(meeting):
    make_person(slug="kishida", name_ja="岸田文雄")
    dataset = tablib.Dataset(headers=["meeting", "position", "side", "person", "post", "organization", "name_text", "role", "role_en"])
    dataset.append([meeting.slug, 3, "jp", "kishida", "", "", "", "", ""])
    dataset.append([meeting.slug, 2, "us", "", "", "", "米国代表団", "", ""])
    result = ParticipationResource().import_data(dataset, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    Participation.objects.filter(meeting=meeting).update(status=Status.PUBLISHED)  # as a publisher would
    assert row_of(meeting)["attendees"] == "jp: 外務大臣 林芳正（共同議長）; us: 米国代表団; jp: 岸田文雄"
    assert_same_as_request_time()


def test_raw_sql_and_the_meeting_s_own_fields(meeting):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE alliance_post SET name_ja = '外相' WHERE name_ja = '外務大臣'")
        cursor.execute("UPDATE alliance_meeting SET place_ja = '=ワシントン' WHERE id = %s", [meeting.pk])
        cursor.execute(
            "INSERT INTO alliance_participation (meeting_id, position, side, name_text, role, role_en, status) "
            "VALUES (%s, 9, 'us', '国防長官', '', '', 'published')",
            [meeting.pk],
        )
    row = row_of(meeting)
    assert row["attendees"].startswith("jp: 外相 林芳正") and row["attendees"].endswith("us: 国防長官")
    assert row["place_ja"] == "=ワシントン"
    assert "'=ワシントン" in assert_same_as_request_time()


def test_a_save_that_changes_nothing_exported_rewrites_nothing(meeting):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text FROM {maintained.TABLE} WHERE meeting_id = %s", [meeting.pk])
        before = cursor.fetchone()
        person = meeting.participations.get(position=1).person
        person.name_en = "Hayashi Yoshimasa"
        person.save()
        meeting.participations.get(position=1).save()
        cursor.execute(f"SELECT xmin::text FROM {maintained.TABLE} WHERE meeting_id = %s", [meeting.pk])
        assert cursor.fetchone() == before


def test_the_repair_recomputes_what_was_damaged(meeting):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {maintained.TABLE} SET attendees = 'wrong'")
        cursor.execute(f"UPDATE {maintained.CSV_TABLE} SET line = 'wrong'")
    assert csv_of(STORED) != csv_of(REFERENCE)
    call_command("rebuild_export_rows", verbosity=0)
    assert_same_as_request_time()


# --- the export itself ---------------------------------------------------------------------


def test_the_export_reads_the_stored_rows_in_one_query_whatever_the_number_of_meetings(client, meeting):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            b"".join(client.get(reverse("alliance:meeting-csv")).streaming_content)
        return ctx.captured_queries

    few = queries()
    for _ in range(20):
        make_participation(meeting=make_meeting())
    many = queries()
    assert len(few) == len(many)
    copies = [q["sql"] for q in many if q["sql"].startswith("COPY")]
    assert len(copies) == 1 and maintained.CSV_TABLE in copies[0] and "alliance_participation" not in copies[0]
    # One ready line a row, which COPY writes as it is, not 29 cells to quote one by one.
    assert "FORMAT csv" not in copies[0] and "m.line ||" in copies[0]
