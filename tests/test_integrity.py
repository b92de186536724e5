"""Issue 20: no editor's work lost, overwritten or corrupted silently — under races,
hostile files and deletions. Each finding is pinned as it was met: two real browsers
(threads against a live server) for the races, real files for the imports, the admin as
a publisher uses it for the rest."""

import threading

import pytest
from django.urls import reverse

from alliance.models import Meeting, Participation, Person

from .factories import make_meeting, make_participation, make_person
from .processes import Browser

PASSWORD = "a-long-test-password"
CONFLICT = "ほかの人が変更しました"


def at_once(*calls):
    """Run the calls in threads released at the same instant; their results, in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def two_publishers(live_server, roles):
    """Two publishers, each logged in from a browser of their own."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    browsers = []
    for name in ("taro", "jiro"):
        user = get_user_model().objects.create_user(name, password=PASSWORD, is_staff=True)
        user.groups.set(Group.objects.filter(name__in=["editors", "publishers"]))
        browser = Browser()
        browser.login(live_server.url, name, PASSWORD)
        browsers.append(browser)
    return live_server.url, browsers


def post(browser, url, data):
    status, _headers, html = browser.request(url, data)
    return status, html


# --- 1. simultaneous saves ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_editors_saving_one_record_at_the_same_moment_never_both_hear_saved(two_publishers):
    """Two editors open one person, change different fields and save at the same instant,
    eight times over: each time one save lands and the other is refused with the conflict
    message; no change is lost with a "saved" to its author."""
    base, (a, b) = two_publishers
    person = make_person(slug="kishida", name_ja="岸田文雄", name_en="")
    url = base + reverse("admin:alliance_person_change", args=[person.pk])
    for round_ in range(8):
        form_a, _ = a.form(url, "person_form")
        form_b, _ = b.form(url, "person_form")
        form_a["name_en"] = f"Kishida {round_}"
        form_b["other_names"] = f"別名{round_}"
        (status_a, html_a), (status_b, html_b) = at_once(lambda form_a=form_a: post(a, url, form_a), lambda form_b=form_b: post(b, url, form_b))
        assert sorted([status_a, status_b]) == [200, 302], f"round {round_}: both were told saved ({status_a}, {status_b})"
        person.refresh_from_db()
        if status_a == 302:
            assert person.name_en == f"Kishida {round_}" and CONFLICT in html_b
        else:
            assert person.other_names == f"別名{round_}" and CONFLICT in html_a


@pytest.mark.django_db(transaction=True)
def test_a_meeting_saved_at_the_moment_its_attendee_is_changed_on_its_own_page(two_publishers):
    """The meeting's page saves its attendee rows too: a save of the meeting and a save of
    one attendee on the attendee's own page, at once. Whichever order they land in, a save
    told "saved" is in the database, and a refused one says why."""
    base, (a, b) = two_publishers
    meeting = make_meeting(slug="wg-2026-01", name_ja="作業部会", place_ja="東京")
    attendee = make_participation(meeting=meeting, position=1, role="代表")
    meeting_url = base + reverse("admin:alliance_meeting_change", args=[meeting.pk])
    attendee_url = base + reverse("admin:alliance_participation_change", args=[attendee.pk])
    for round_ in range(6):
        form_a, _ = a.form(meeting_url, "meeting_form")
        form_b, _ = b.form(attendee_url, "participation_form")
        form_a["place_ja"] = f"東京{round_}"
        role_field = next(name for name in form_a if name.endswith("-0-role"))
        form_a[role_field] = f"代表{round_}"  # the meeting's page changes the attendee too
        form_b["role"] = f"議長{round_}"
        (status_a, html_a), (status_b, html_b) = at_once(
            lambda form_a=form_a: post(a, meeting_url, form_a), lambda form_b=form_b: post(b, attendee_url, form_b)
        )
        assert sorted([status_a, status_b]) == [200, 302], f"round {round_}: ({status_a}, {status_b})"
        attendee.refresh_from_db()
        meeting.refresh_from_db()
        if status_b == 302:
            assert attendee.role == f"議長{round_}", "the attendee's change was overwritten by the meeting's page"
            assert CONFLICT in html_a
        else:
            assert (meeting.place_ja, attendee.role) == (f"東京{round_}", f"代表{round_}")
            assert CONFLICT in html_b


@pytest.mark.django_db(transaction=True)
def test_a_stale_meeting_page_does_not_overwrite_an_attendee_changed_since(two_publishers):
    base, (a, b) = two_publishers
    meeting = make_meeting(slug="wg-2026-02", name_ja="作業部会")
    attendee = make_participation(meeting=meeting, position=1, role="代表")
    meeting_url = base + reverse("admin:alliance_meeting_change", args=[meeting.pk])
    stale, _ = a.form(meeting_url, "meeting_form")
    fresh, _ = b.form(meeting_url, "meeting_form")
    role_field = next(name for name in fresh if name.endswith("-0-role"))
    fresh[role_field] = "議長"
    assert post(b, meeting_url, fresh)[0] == 302
    stale["place_ja"] = "ワシントン"
    status, html = post(a, meeting_url, stale)
    assert status == 200 and CONFLICT in html
    attendee.refresh_from_db()
    assert attendee.role == "議長"
    assert Meeting.objects.get(pk=meeting.pk).place_ja == ""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("token", [None, ""])
def test_a_change_form_without_its_token_is_refused(two_publishers, token):
    base, (a, _b) = two_publishers
    person = make_person(slug="someone", name_ja="誰か", name_en="")
    url = base + reverse("admin:alliance_person_change", args=[person.pk])
    form, _ = a.form(url, "person_form")
    if token is None:
        del form["edit_token"]
    else:
        form["edit_token"] = token
    form["name_en"] = "Someone"
    status, html = post(a, url, form)
    assert status == 200 and "開き直して" in html
    assert Person.objects.get(pk=person.pk).name_en == ""


def test_the_fingerprint_covers_inline_rows_and_links(db):
    from alliance.editorial.forms import record_fingerprint

    meeting = make_meeting()
    attendee = make_participation(meeting=meeting, position=1)
    before = record_fingerprint(meeting)
    Participation.objects.filter(pk=attendee.pk).update(role="議長")
    assert record_fingerprint(meeting) != before
