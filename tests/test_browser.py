"""The public site in a real browser: headless Chromium from Debian's packages, driven by
Playwright. Skipped, with a message, where no Chromium is installed (CI installs it)."""

import os
import shutil

import pytest
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

if not CHROMIUM:
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the browser tests: install Debian's chromium (see .ci/run)")
    pytest.skip("no Chromium installed: `apt-get install chromium` to run the browser tests", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the live server's
    # database work happens in its own thread, and test set-up here is synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _launch(sync_playwright)
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launch(sync_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    call_command("seed", verbosity=0)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def test_search_in_japanese_and_follow_a_record(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "日米同盟レジストリ"
    page.fill("#home-q", "同盟調整メカニズム")
    page.click(".home-search button")
    assert "/search/" in page.url
    page.click("a[href='/bodies/acm/']")
    assert page.locator("h1").inner_text().startswith("同盟調整メカニズム")
    assert page.locator(".citations blockquote").count() >= 1
    page.click("a[href='/bodies/acg/']")
    assert "同盟調整グループ" in page.locator("h1").inner_text()
    assert page.locator("text=外務省").count() >= 1


def test_filter_a_list_switch_language_and_download_its_csv(page):
    page.goto("/meetings/")
    total = page.locator(".list-meta .count").inner_text()
    page.click(".facet >> text=2+2（日米安全保障協議委員会）")
    assert "kind=2plus2" in page.url
    assert "種別: 2+2" in page.locator(".active-filters").inner_text()
    assert page.locator(".list-meta .count").inner_text() != total
    rows = page.locator("table.records tbody tr").count()
    with page.expect_download() as info:
        page.click(".download a")
    download = info.value
    assert download.suggested_filename.startswith("alliance-registry_meetings_")
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert raw.decode("utf-8-sig").count("\r\n") == rows + 1
    page.click(".lang-switch")
    assert page.url.endswith("/en/meetings/?kind=2plus2")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".list-meta .count").inner_text().split()[0] == str(rows)


def test_the_acm_chart_renders_on_a_phone(browser, live_server):
    call_command("seed", verbosity=0)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.goto("/structure/")
    assert page.locator(".part").count() >= 5
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no sideways scrolling on a phone"
    context.close()


def test_an_editor_imports_fixes_publishes_and_reverts(browser, live_server, tmp_path):
    """The editor's walk-through: log in, import a spreadsheet with a mistake, read the
    error, fix it, import, publish, see the record on the public site, revert an edit."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from alliance.editorial.roles import sync_roles

    from .factories import make_body

    sync_roles(apps)
    user = get_user_model().objects.create_user("hanako", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=["editors", "publishers"]))
    make_body(slug="acm", name_ja="同盟調整メカニズム", kind="mechanism", established="2015-11")

    context = browser.new_context(base_url=live_server.url, locale="ja-JP")
    page = context.new_page()
    page.goto("/admin/")
    page.fill("#id_username", "hanako")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    assert page.locator("#user-tools").count() == 1

    header = "slug,status,name_ja,kind,level,parent,established,purpose_ja\n"
    bad = tmp_path / "bodies.csv"
    bad.write_text(header + "bocc,draft,共同運用調整所,group,,acm,2015年13月,運用面の調整\n", encoding="utf-8-sig")
    page.goto("/admin/alliance/body/import/")
    page.set_input_files("#id_import_file", str(bad))
    page.select_option("#id_format", label="csv")
    page.click(".submit-row input[type=submit]")
    errors = page.locator("#import-invalid-rows tbody").inner_text()
    assert "established" in errors.lower() and "月 13 は1〜12" in errors  # the field and the reason
    assert "2行目" in errors  # the file's line: the header is line 1
    assert page.locator("input[name=confirm]").count() == 0

    good = tmp_path / "bodies-fixed.csv"
    good.write_text(header + "bocc,draft,共同運用調整所,group,,acm,2015年11月,運用面の調整\n", encoding="utf-8-sig")
    page.set_input_files("#id_import_file", str(good))
    page.select_option("#id_format", label="csv")
    page.click(".submit-row input[type=submit]")
    page.click("input[name=confirm]")
    assert "/admin/alliance/body/" in page.url

    public = context.new_page()
    assert public.goto("/bodies/bocc/").status == 404  # still a draft

    page.goto("/admin/alliance/body/?q=bocc")
    page.check("input.action-select")
    page.select_option("select[name=action]", "publish")
    page.click("button[name=index]")
    assert public.goto("/bodies/bocc/").status == 200
    assert "共同運用調整所" in public.locator("h1").inner_text()

    page.goto("/admin/alliance/body/?q=bocc")
    page.click("#result_list a[href*='/change/']")
    page.fill("#id_name_ja", "共同運用調整所（誤記）")
    page.fill("#id_change_reason", "名称を変更")
    page.click("input[name=_save]")
    public.goto("/bodies/bocc/")
    assert "誤記" in public.locator("h1").inner_text()

    page.goto("/admin/alliance/body/?q=bocc")
    page.click("#result_list a[href*='/change/']")
    page.click("a.historylink")
    assert "名称を変更" in page.locator("#change-history").inner_text()
    # Newest first: the edit, the publication, the import. Revert to the publication.
    rows = page.locator("#change-history tbody tr")
    assert rows.count() == 3 and "一括公開" in rows.nth(1).inner_text()
    rows.nth(1).locator("a").first.click()
    page.click("input[name=_save]")
    public.goto("/bodies/bocc/")
    assert public.locator("h1").inner_text().startswith("共同運用調整所") and "誤記" not in public.locator("h1").inner_text()
    context.close()
