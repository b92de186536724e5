"""Issue 12: the editor's task end to end in a real browser — a meeting from a press
release recorded, cited and published, checked on the public site (list, page, CSV,
search, English), exported and imported back unchanged, and a bad row refused — with the
page loads and form submissions it takes counted (the README quotes the count)."""

import csv
import io
import os
import shutil

import pytest

from alliance.models import Meeting, Participation, Person, Post, Source, Status

from .test_browser import CHROMIUM, browser  # noqa: F401 (the module's browser fixture)
from .test_sources import PRESS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("ALLIANCE_SCREENSHOTS", "")

if not CHROMIUM:
    pytest.skip("no Chromium installed", allow_module_level=True)


class Counter:
    """The page loads and form submissions the task takes, counted as the script makes
    them (each navigation is waited for, so none is missed or counted twice)."""

    def __init__(self):
        self.loads = 0
        self.submissions = 0

    def goto(self, page, url):
        self.loads += 1
        page.goto(url)

    def follow(self, page, selector):
        self.loads += 1
        with page.expect_navigation():
            page.click(selector)

    def press_enter(self, page, selector):
        self.submissions += 1
        self.loads += 1
        with page.expect_navigation():
            page.press(selector, "Enter")

    def submit(self, page, selector, *, download=False):
        self.submissions += 1
        if download:
            page.click(selector)
            return
        self.loads += 1
        with page.expect_navigation():
            page.click(selector)


@pytest.fixture
def publisher_login(live_server):
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from alliance.editorial.roles import sync_roles

    from .factories import make_body, make_meeting

    sync_roles(apps)
    user = get_user_model().objects.create_user("taro", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=["editors", "publishers"]))
    body = make_body(slug="acg", name_ja="同盟調整グループ", name_en="Alliance Coordination Group", kind="group")
    make_meeting(slug="acg-2025-11-20", name_ja="同盟調整グループ（第4回）", body=body, kind="working", start="2025-11-20", session_number=4)
    return body


def widest(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def overflowing(page, limit) -> list[str]:
    """The elements that reach past ``limit`` px, for the failure message."""
    return page.evaluate(
        """limit => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > limit)
           .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width)).slice(-25)""",
        limit,
    )


def test_a_meeting_from_a_press_release_end_to_end(browser, live_server, publisher_login, tmp_path):  # noqa: F811
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    count = Counter()

    # Log in and open the guided page from the admin's index.
    count.goto(page, "/admin/")
    page.fill("#id_username", "taro")
    page.fill("#id_password", "a-long-test-password")
    count.submit(page, "input[type=submit]")
    count.follow(page, "text=会議を追加（報道発表から）")
    assert widest(page) <= 1280, "the guided form fits a 1,280 px window"
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "guided-1280.png"), full_page=True)

    # One form: the meeting, two attendees with new people and posts, the new source with
    # its pasted text, the quote; published with everything it depends on.
    page.select_option("#id_body", label="同盟調整グループ（ACG）") if page.locator("#id_body option", has_text="（ACG）").count() else page.select_option("#id_body", label="同盟調整グループ")
    page.fill("#id_start", "2026-03-04")
    page.fill("#id_session_number", "5")
    page.fill("#id_place_ja", "東京")
    page.fill("#id_place_en", "Tokyo")
    page.fill("#id_outcomes_ja", "情報共有の強化\n共同計画の進展")
    for n, (side, name, name_en, post, post_en, role, role_en) in enumerate([
        ("jp", "山田花子", "Hanako Yamada", "外務省北米局長", "Director-General, North American Affairs Bureau", "日本側議長", "Japanese chair"),
        ("us", "ジョン・スミス", "John Smith", "国務次官補", "Assistant Secretary of State", "米側議長", "U.S. chair"),
    ]):
        page.select_option(f"#id_attendee-{n}-side", side)
        page.fill(f"#id_attendee-{n}-person_name_ja", name)
        page.fill(f"#id_attendee-{n}-person_name_en", name_en)
        page.fill(f"#id_attendee-{n}-post_name_ja", post)
        page.fill(f"#id_attendee-{n}-post_name_en", post_en)
        page.fill(f"#id_attendee-{n}-role", role)
        page.fill(f"#id_attendee-{n}-role_en", role_en)
    page.fill("#id_source_title_ja", "日米同盟調整グループ局長級会合の開催")
    page.fill("#id_source_title_en", "ACG Director-General Meeting")
    page.fill("#id_source_publisher_ja", "外務省")
    page.fill("#id_source_issued", "2026-03-04")
    page.fill("#id_source_url", "https://www.mofa.go.jp/press/release/example.html")
    page.fill("#id_source_text", PRESS)
    page.fill("#id_quote", "東京において、日米同盟調整グループ局長級会合が開催された")
    page.check("#id_publish")
    count.submit(page, "input[name=_save]")
    assert "公開しました" in page.locator(".messagelist").inner_text()
    meeting = Meeting.objects.get(session_number=5)
    for model in (Meeting, Participation, Person, Post, Source):
        assert not model.objects.filter(status=Status.DRAFT).exists(), model
    assert widest(page) <= 1280, overflowing(page, 1280)
    # Every column of the attendee table (立場, 削除 …) is on screen, not scrolled away.
    assert page.evaluate("document.querySelector('#participations-group table').getBoundingClientRect().right") <= 1280
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "meeting-change-1280.png"), full_page=True)

    # The public site: the list filtered to the body, the page, its CSV, search, English.
    public = context.new_page()
    count.goto(public, "/meetings/?body=acg")
    assert public.locator("table.records tbody tr").count() == 2
    with public.expect_download() as info:
        public.click(".download a")
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8-sig").read())))
    count.follow(public, f"a[href='/meetings/{meeting.slug}/']")
    attendees = public.locator("section:has(h2:text('出席者'))").inner_text()
    assert "山田花子" in attendees and "日本側議長" in attendees and "国務次官補" in attendees
    assert public.locator(f"a[href^='/sources/{Source.objects.get().slug}/#quote-']").count() == 1
    if SHOTS:  # the source page a citation links to, for a person to look at (not counted)
        extra = context.new_page()
        extra.goto(public.locator("a[href^='/sources/']").first.get_attribute("href"))
        extra.screenshot(path=os.path.join(SHOTS, "source-1280.png"), full_page=True)
        extra.close()
    row = next(r for r in rows if r["slug"] == meeting.slug)
    assert "山田花子（日本側議長）" in row["attendees"]
    public.fill(".site-search input[name=q]", "第5回同盟調整グループ")
    count.press_enter(public, ".site-search input[name=q]")
    assert "/search/" in public.url
    assert public.locator(f"a[href='/meetings/{meeting.slug}/']").count() >= 1
    count.follow(public, f"a[href='/meetings/{meeting.slug}/']")
    count.follow(public, ".lang-switch")
    assert public.url.endswith(f"/en/meetings/{meeting.slug}/")
    english = public.locator("section:has(h2:text('Attendees'))").inner_text()
    assert "Japanese chair" in english and "Hanako Yamada" in english

    # Export the meeting and import it back: nothing changes.
    count.goto(page, f"/admin/alliance/meeting/export/?q={meeting.slug}")
    page.select_option("#id_format", label="csv")
    with page.expect_download() as info:
        count.submit(page, ".submit-row input[type=submit]", download=True)
    exported = tmp_path / "meetings.csv"
    shutil.copy(info.value.path(), exported)
    count.goto(page, "/admin/alliance/meeting/import/")
    page.set_input_files("#id_import_file", str(exported))
    page.select_option("#id_format", label="csv")
    count.submit(page, ".submit-row input[type=submit]")
    preview = page.locator(".import-preview").inner_text()
    assert "新規" not in preview and "更新" not in preview.replace("更新 0", "")
    summary = page.locator("h2:text('プレビュー') + p").inner_text()
    assert "新規 0 件、更新 0 件" in summary, summary
    count.submit(page, "input[name=confirm]")
    assert "新規 0 件、更新 0 件" in page.locator(".messagelist").inner_text()

    # The same file with a bad date: the error is text beside the row, with the file's
    # line, and nothing is written.
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    rows[0]["start"] = "2026-13-45"
    bad = tmp_path / "meetings-bad.csv"
    with bad.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    count.goto(page, "/admin/alliance/meeting/import/")
    page.set_input_files("#id_import_file", str(bad))
    page.select_option("#id_format", label="csv")
    count.submit(page, ".submit-row input[type=submit]")
    errors = page.locator("#import-invalid-rows tbody").inner_text()
    assert "2行目" in errors and "月 13 は1〜12" in errors and "日 45 は1〜31" in errors
    assert page.locator("input[name=confirm]").count() == 0
    meeting.refresh_from_db()
    assert meeting.start.iso() == "2026-03-04"

    loads = count.loads
    print(f"\nEDITOR TASK: {loads} page loads, {count.submissions} form submissions (+1 CSV download)")
    # What the README quotes; a change that needs more steps must update it.
    assert (loads, count.submissions) == (EXPECTED_LOADS, EXPECTED_SUBMISSIONS)
    context.close()


EXPECTED_LOADS = 15
EXPECTED_SUBMISSIONS = 7


def test_the_body_form_fits_1280_px(browser, live_server, publisher_login):  # noqa: F811
    from .factories import make_seat

    make_seat(body=publisher_login)
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"/admin/login/?next=/admin/alliance/body/{publisher_login.pk}/change/")
    page.fill("#id_username", "taro")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    page.wait_for_selector("#seats-group")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "body-change-1280.png"), full_page=True)
    assert widest(page) <= 1280, overflowing(page, 1280)
    right = page.evaluate("document.querySelector('#seats-group table').getBoundingClientRect().right")
    assert right <= 1280, overflowing(page, 1280)
    context.close()


def test_the_guided_form_fits_a_phone(browser, live_server, publisher_login):  # noqa: F811
    from django.contrib.auth import get_user_model

    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/admin/login/?next=/admin/alliance/meeting/guided/")
    page.fill("#id_username", "taro")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    page.wait_for_selector("#guided-meeting")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "guided-390.png"), full_page=True)
    assert widest(page) <= 390, "no sideways scrolling on a phone"
    assert get_user_model().objects.count() == 1
    context.close()
