"""Issue 21: the whole job in a real browser on a release of our own making (not in the
fixtures): paste it, confirm what was read (one quote re-picked by selecting the text),
save as an editor, publish as a publisher from the queue on the admin index, then the
public list filtered to the body, the meeting's page, its CSV and JSON, search and the
English page. It prints the page loads, submissions and fields typed or chosen; the
README's editing guide records them."""

import csv
import io
import json
import os
import time

import pytest

from alliance.models import Changeset, Citation, Meeting, Status

from .test_browser import CHROMIUM, browser  # noqa: F401 (the module's browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("ALLIANCE_SCREENSHOTS", "")

if not CHROMIUM:
    pytest.skip("no Chromium installed", allow_module_level=True)

RELEASE = (
    "日米同盟調整グループ（ACG）局長級会合の開催\n"
    "令和8年9月17日\n"
    "防衛省\n"
    "\n"
    "1　令和8年9月16日、ワシントンD.C.において、第7回日米同盟調整グループ局長級会合が開催されました。\n"
    "2　会合には、日本側から防衛省防衛政策局長 高橋和夫（共同議長）が、米側から国防次官補 エミリー・ジョーンズ（共同議長）が出席しました。\n"
    "3　双方は、共同計画の進展を確認し、情報共有を一層進めることで一致しました。\n"
)


class Counter:
    """Page loads, submissions and fields, counted as the script makes them."""

    def __init__(self):
        self.loads = self.submissions = self.fields = 0
        self.errors = []

    def goto(self, page, url):
        self.loads += 1
        return page.goto(url)

    def follow(self, page, selector):
        self.loads += 1
        with page.expect_navigation():
            page.click(selector)

    def submit(self, page, selector):
        self.submissions += 1
        self.loads += 1
        with page.expect_navigation():
            page.click(selector)

    def fill(self, page, selector, value):
        self.fields += 1
        page.fill(selector, value)

    def select_text(self, page, quote_selector, exact):
        """Arm a quote and select ``exact`` in the displayed text, as a drag would."""
        self.fields += 1
        page.click(f"{quote_selector} .pick")
        page.evaluate(
            """exact => {
                const pane = document.querySelector('.source-text');
                const walker = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT);
                const full = pane.textContent, at = full.indexOf(exact);
                let seen = 0, range = document.createRange(), node;
                while ((node = walker.nextNode())) {
                    const n = node.textContent.length;
                    if (seen <= at && at < seen + n) range.setStart(node, at - seen);
                    if (seen < at + exact.length && at + exact.length <= seen + n) { range.setEnd(node, at + exact.length - seen); break; }
                    seen += n;
                }
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                window.allianceIntakePick();
            }""",
            exact,
        )


@pytest.fixture
def registry(live_server):
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from alliance.editorial.roles import sync_roles

    from .factories import make_body, make_meeting, make_organization, make_post

    sync_roles(apps)
    users = get_user_model()
    editor = users.objects.create_user("hanako", password="a-long-test-password", is_staff=True)
    editor.groups.set(Group.objects.filter(name="editors"))
    publisher = users.objects.create_user("taro", password="a-long-test-password", is_staff=True)
    publisher.groups.set(Group.objects.filter(name__in=["editors", "publishers"]))
    mod = make_organization(slug="mod", name_ja="防衛省", name_en="Ministry of Defense")
    body = make_body(slug="acg", name_ja="同盟調整グループ", name_en="Alliance Coordination Group", abbreviation="ACG", kind="group")
    make_meeting(slug="acg-2025-11-20", name_ja="第4回同盟調整グループ", body=body, kind="working", start="2025-11-20", session_number=4, place_ja="ワシントンD.C.", place_en="Washington, D.C.")
    make_post(slug="asd", name_ja="国防次官補", name_en="Assistant Secretary of Defense", country="us")
    return mod


def log_in(counter, page, username):
    counter.goto(page, "/admin/")
    counter.fill(page, "#id_username", username)
    counter.fill(page, "#id_password", "a-long-test-password")
    counter.submit(page, "input[type=submit]")


def test_a_release_pasted_confirmed_saved_published_and_public(browser, live_server, registry):  # noqa: F811
    began = time.monotonic()
    count = Counter()
    editor = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = editor.new_page()
    page.on("pageerror", lambda exc: count.errors.append(str(exc)))
    page.on("response", lambda r: r.status >= 500 and count.errors.append(f"{r.status} {r.url}"))

    # The editor: log in, open the intake from the index, paste, read.
    log_in(count, page, "hanako")
    count.follow(page, "#intake-link")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "intake-paste-1280.png"), full_page=True)
    count.fill(page, "#id_text", RELEASE)
    count.fill(page, "#id_url", "https://www.mod.go.jp/j/press/news/2026/09/17a.html")
    count.submit(page, "input[name=_read]")
    assert page.locator("#intake-confirm").count() == 1
    assert page.input_value("#id_session_number") == "7"
    assert page.input_value("#id_start") == "2026-09-16"
    assert page.input_value("#id_place_en") == "Washington, D.C."
    assert page.input_value("#id_publisher_ja") == "防衛省"
    assert page.input_value("#id_attendee-0-post_name_ja") == "防衛省防衛政策局長"
    assert page.input_value("#id_attendee-1-person_name_ja") == "エミリー・ジョーンズ"
    # Confirm by pointing: the outcome's quote re-picked as the one clause that states it,
    # and two English names typed.
    count.select_text(page, "[data-name=outcomes_quote]", "共同計画の進展を確認し、情報共有を一層進めることで一致しました")
    count.fill(page, "#id_attendee-1-person_name_en", "Emily Jones")
    count.fill(page, "#id_outcomes_en", "Progress on bilateral planning confirmed; closer information sharing agreed")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "intake-confirm-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=os.path.join(SHOTS, "intake-confirm-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
    count.submit(page, "input[name=_save]")
    assert "変更セット" in page.locator(".messagelist").inner_text()
    changeset = Changeset.objects.get()
    meeting = Meeting.objects.get(session_number=7)
    assert meeting.status == Status.DRAFT and meeting.name_ja == "第7回同盟調整グループ"
    outcome = Citation.objects.get(meeting=meeting, field="outcomes_ja")
    assert outcome.quote == "共同計画の進展を確認し、情報共有を一層進めることで一致しました"
    editor_counts = (count.loads, count.submissions, count.fields)

    # The publisher: log in, the queue on the index, the changeset's one page, publish.
    reviewer = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    desk = reviewer.new_page()
    desk.on("pageerror", lambda exc: count.errors.append(str(exc)))
    log_in(count, desk, "taro")
    count.follow(desk, f"#review-queue + ul a[href$='/changeset/{changeset.pk}/change/']")
    assert desk.locator(".source-text .quoted").count() >= 3
    if SHOTS:
        desk.screenshot(path=os.path.join(SHOTS, "review-1280.png"), full_page=True)
        desk.set_viewport_size({"width": 390, "height": 844})
        desk.screenshot(path=os.path.join(SHOTS, "review-390.png"), full_page=True)
        desk.set_viewport_size({"width": 1280, "height": 900})
    count.submit(desk, "#changeset-publish input[type=submit]")
    assert "公開しました" in desk.locator(".messagelist").inner_text()
    job = (count.loads, count.submissions, count.fields)

    # The public site (read as anyone would; each page load counted).
    public = reviewer.new_page()
    count.goto(public, "/meetings/?body=acg")
    assert public.locator("table.records tbody tr").count() == 2
    count.follow(public, f"a[href='/meetings/{meeting.slug}/']")
    attendees = public.locator("section:has(h2:text('出席者'))").inner_text()
    assert "高橋和夫" in attendees and "共同議長" in attendees
    exported = public.request.get("/meetings/export.csv?body=acg").body().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert any(r["slug"] == meeting.slug for r in rows)
    response = public.request.get(f"/meetings/{meeting.slug}/export.json")
    data = json.loads(response.text())
    assert "第7回同盟調整グループ" in json.dumps(data, ensure_ascii=False)
    public.fill(".site-search input[name=q]", "第7回同盟調整グループ")
    count.loads += 1
    with public.expect_navigation():
        public.press(".site-search input[name=q]", "Enter")
    assert public.locator(f"a[href='/meetings/{meeting.slug}/']").count() >= 1
    count.goto(public, f"/en/meetings/{meeting.slug}/")
    english = public.locator("section:has(h2:text('Attendees'))").inner_text()
    assert "Emily Jones" in english

    seconds = time.monotonic() - began
    print(
        f"\nintake job: editor {editor_counts[0]} page loads, {editor_counts[1]} submissions, {editor_counts[2]} fields; "
        f"editor and publisher {job[0]} page loads, {job[1]} submissions, {job[2]} fields; "
        f"with the public checks {count.loads} page loads (plus the CSV download and the JSON request); "
        f"{len(count.errors)} errors; {seconds:.1f} s"
    )
    assert not count.errors, count.errors
    assert job[1] <= 5 and job[2] <= 20
