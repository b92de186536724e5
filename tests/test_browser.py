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
