"""The editorial admin: every page answers, and an editor can record a whole story through it."""

import re

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.models import (
    Agreement,
    AgreementRelation,
    Body,
    Changeset,
    Meeting,
    MeetingDocument,
    Person,
    Post,
    Revision,
    Seat,
    Source,
)

from .factories import (
    make_agreement,
    make_body,
    make_citation,
    make_meeting,
    make_participation,
    make_person,
    make_post,
    make_seat,
    make_source,
)

pytestmark = pytest.mark.django_db

REGISTERED = sorted((m for m in admin.site._registry if m._meta.app_label == "alliance"), key=lambda m: m.__name__)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response, **fields):
    """POST data for an admin add/change form: empty management forms for every inline,
    then the given fields (inline rows as "<prefix>-0-<field>")."""
    data = {}
    inlines = response.context["inline_admin_formsets"] if "inline_admin_formsets" in response.context else []
    for inline in inlines:
        prefix = inline.formset.prefix
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    # The hidden fingerprint a change form carries, as a browser posts it back.
    adminform = response.context.get("adminform") if hasattr(response, "context") and response.context else None
    if adminform is not None and "edit_token" in adminform.form.fields:
        token = adminform.form["edit_token"].value()
        if token:
            data["edit_token"] = token
    # A new inline row's status select is submitted at its default, as a browser does.
    with_status = {inline.formset.prefix for inline in inlines if "status" in inline.formset.empty_form.fields}
    for key, value in fields.items():
        match = re.match(r"^(.+)-(\d+)-", key)
        if match:
            prefix, index = match.group(1), int(match.group(2))
            assert f"{prefix}-TOTAL_FORMS" in data, f"no inline with prefix {prefix}"
            data[f"{prefix}-TOTAL_FORMS"] = str(max(int(data[f"{prefix}-TOTAL_FORMS"]), index + 1))
            if prefix in with_status:
                data.setdefault(f"{prefix}-{index}-status", "draft")
        data[key] = value
    return data


def errors_of(response):
    if response.status_code != 200 or "adminform" not in (response.context or {}):
        return None
    errors = dict(response.context["adminform"].form.errors)
    inlines = response.context["inline_admin_formsets"] if "inline_admin_formsets" in response.context else []
    for inline in inlines:
        for form in inline.formset.forms:
            errors.update({f"{inline.formset.prefix}:{k}": v for k, v in form.errors.items()})
        if inline.formset.non_form_errors():
            errors[f"{inline.formset.prefix}:__all__"] = inline.formset.non_form_errors()
    return errors


def post_admin_form(client, model, view="add", *args, **fields):
    url = admin_url(model, view, *args)
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, form_data(page, **fields))
    assert response.status_code == 302, errors_of(response)
    return response


@pytest.fixture
def one_of_everything():
    source = make_source()
    agreement = make_agreement()
    body = make_body(legal_basis=agreement)
    seat = make_seat(body=body)
    meeting = make_meeting(body=body)
    participation = make_participation(meeting=meeting, person=make_person())
    citation = make_citation(source=source, body=body)
    return [source, agreement, body, seat, meeting, participation, citation]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_every_changelist_and_add_page_answers(editor_client, one_of_everything, model):
    assert editor_client.get(admin_url(model, "changelist")).status_code == 200
    assert editor_client.get(admin_url(model, "changelist"), {"q": "日米"}).status_code == 200
    # Revisions are made by saving a published record, changesets by the intake; neither
    # is added by hand.
    assert editor_client.get(admin_url(model, "add")).status_code == (403 if model in (Revision, Changeset) else 200)
    obj = model._default_manager.first()
    if obj is not None:
        assert editor_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_the_admin_is_closed_to_anonymous_visitors(client):
    response = client.get(admin_url(Agreement, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_editor_records_an_agreement_a_body_with_a_seat_and_a_meeting(editor_client):
    client = editor_client
    post_admin_form(
        client, Source, slug="dow-2020", title_ja="防衛白書 令和2年版", publisher_ja="防衛省", year="2020", status="published"
    )
    source = Source.objects.get(slug="dow-2020")

    post_admin_form(
        client,
        Agreement,
        name_ja="日米安全保障体制に関する共同宣言",
        kind="declaration",
        slug="",  # suggested from the English name
        name_en="Japan-U.S. Joint Declaration on Security",
        status="published",
        signed="平成8年4月",
        **{"citations-0-source": source.pk, "citations-0-locator": "図表III-2-1-1", "citations-0-quote": "日米安保共同宣言"},
    )
    agreement = Agreement.objects.get(name_ja="日米安全保障体制に関する共同宣言")
    assert agreement.slug == "japan-us-joint-declaration-on-security"
    assert (agreement.signed.iso(), agreement.signed.precision) == ("1996-04", "month")
    assert agreement.citations.get().locator == "図表III-2-1-1"

    post_admin_form(client, Post, name_ja="外務省北米局長", slug="jp-dg-north-american-affairs", country="jp", status="published")
    post = Post.objects.get(slug="jp-dg-north-american-affairs")
    post_admin_form(client, Body, name_ja="同盟調整メカニズム", abbreviation="ACM", slug="acm", kind="mechanism", status="published", established="2015")
    parent = Body.objects.get(slug="acm")
    post_admin_form(
        client,
        Body,
        name_ja="同盟調整グループ",
        abbreviation="ACG",
        slug="acg",
        kind="group",
        level="mixed",
        parent=parent.pk,
        status="published",
        **{
            "seats-0-side": "jp",
            "seats-0-post": post.pk,
            "seats-0-level": "dg",
            "seats-0-role": "代表",
            "seats-0-position": "1",
            "seats-0-start": "2015年11月",
            "seats-0-status": "published",
        },
    )
    body = Body.objects.get(slug="acg")
    assert body.parent == parent
    seat = body.seats.get()
    assert (seat.side, seat.post, seat.level, seat.start.iso()) == ("jp", post, "dg", "2015-11")
    assert seat.slug == "acg-jp-jp-dg-north-american-affairs"

    post_admin_form(client, Person, name_ja="山田花子", slug="yamada-hanako", country="jp", status="published")
    person = Person.objects.get(slug="yamada-hanako")
    post_admin_form(
        client,
        Meeting,
        name_ja="同盟調整グループ会合",
        slug="acg-2023-01",
        body=body.pk,
        kind="working",
        start="2023-01-11",
        session_number="3",
        status="published",
        **{
            "participations-0-position": "1",
            "participations-0-side": "jp",
            "participations-0-person": person.pk,
            "participations-0-post": post.pk,
            "participations-0-role": "代表",
            "citations-0-source": source.pk,
            "citations-0-locator": "図表III-2-1-6",
            "citations-0-quote": "同盟調整グループ",
        },
    )
    meeting = Meeting.objects.get(slug="acg-2023-01")
    assert meeting.body == body and meeting.start.iso() == "2023-01-11" and meeting.session_number == 3
    attendee = meeting.participations.get()
    assert (attendee.person, attendee.post) == (person, post)
    assert meeting.citations.get().source == source
    # The changelist shows what was entered, dates at their precision.
    entity = client.get(admin_url(Agreement, "changelist")).content.decode()
    assert "1996-04" in entity


def test_a_bad_date_is_refused_with_a_message_and_nothing_is_saved(editor_client):
    url = admin_url(Agreement, "add")
    page = editor_client.get(url)
    response = editor_client.post(url, form_data(page, name_ja="テスト協定", kind="agreement", slug="test", signed="平成31年5月"))
    assert response.status_code == 200
    assert "signed" in errors_of(response)
    assert "平成" in str(errors_of(response)["signed"])
    assert not Agreement.objects.exists()


def test_dates_out_of_order_are_refused_on_the_field(editor_client):
    url = admin_url(Agreement, "add")
    page = editor_client.get(url)
    response = editor_client.post(
        url, form_data(page, name_ja="テスト協定", kind="agreement", slug="test", signed="2010-05", ended="2009")
    )
    assert response.status_code == 200
    assert "ended" in errors_of(response)
    assert not Agreement.objects.exists()


def test_a_seat_with_two_members_is_refused_in_the_inline(editor_client):
    person = make_person()
    post = Post.objects.create(slug="p", name_ja="防衛大臣", country="jp")
    url = admin_url(Body, "add")
    page = editor_client.get(url)
    response = editor_client.post(
        url,
        form_data(
            page,
            name_ja="日米防衛協力小委員会",
            slug="sdc",
            kind="committee",
            **{"seats-0-side": "jp", "seats-0-post": post.pk, "seats-0-person": person.pk, "seats-0-position": "0"},
        ),
    )
    assert response.status_code == 200
    assert any("ちょうど一つ" in str(v) for v in errors_of(response).values())
    assert not Body.objects.exists() and not Seat.objects.exists()


def test_the_change_form_shows_a_partial_date_as_typed_precision(editor_client):
    agreement = make_agreement(signed="2009-11")
    page = editor_client.get(admin_url(Agreement, "change", agreement.pk)).content.decode()
    assert 'value="2009-11"' in page


def test_ensure_editor_creates_the_account_once_and_prints_its_password_once(client, capsys):
    call_command("ensure_editor", site_url="http://127.0.0.1:8123")
    out = capsys.readouterr().out
    password = re.search(r"password: (\S+)", out).group(1)
    assert "http://127.0.0.1:8123/admin/" in out
    response = client.post(reverse("admin:login"), {"username": "editor", "password": password, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get(admin_url(Agreement, "add")).status_code == 200
    call_command("ensure_editor")
    again = capsys.readouterr().out
    assert password not in again and "exists" in again


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_changelists_run_the_same_queries_for_3_rows_as_for_15(editor_client, model, django_assert_num_queries):
    def fill(n):
        for _ in range(n):
            source = make_source()
            agreement = make_agreement()
            body = make_body(legal_basis=agreement, parent=make_body())
            meeting = make_meeting(body=body)
            attendee = make_participation(meeting=meeting, person=make_person(), post=make_post())
            seat = make_seat(body=body)
            for record in ({"agreement": agreement}, {"body": body}, {"meeting": meeting}, {"participation": attendee}, {"seat": seat}):
                make_citation(source=source, **record)
            MeetingDocument.objects.create(meeting=meeting, agreement=agreement, kind="signed", status="published")
            AgreementRelation.objects.create(subject=agreement, kind="amends", object=make_agreement())

    url = admin_url(model, "changelist")
    fill(3)
    editor_client.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as small:
        assert editor_client.get(url).status_code == 200
    fill(12)
    with django_assert_num_queries(len(small)):
        assert editor_client.get(url).status_code == 200


def test_admin_search_uses_the_same_normalised_search_as_the_public_site(editor_client):
    make_body(slug="acm", name_ja="同盟調整メカニズム", abbreviation="ACM")
    make_body(slug="other", name_ja="防衛協力小委員会")
    entity = editor_client.get(admin_url(Body, "changelist"), {"q": "ＡＣＭ"})  # full-width finds half-width
    assert [b.slug for b in entity.context["cl"].result_list] == ["acm"]
    assert [b.slug for b in editor_client.get(admin_url(Body, "changelist"), {"q": "other"}).context["cl"].result_list] == ["other"]
    assert [b.slug for b in editor_client.get(admin_url(Body, "changelist"), {"q": "委"}).context["cl"].result_list] == ["other"]
