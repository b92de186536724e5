"""Every page type in both languages, in one real browser session, as readers meet them:
axe-core finds nothing serious or critical; the lists read on a 390 px phone; the header
is one row at 1,280 px; the "cite this record" address breaks only between its parts.

axe-core is the copy vendored in the pinned ``axe-playwright-python`` package
(requirements-dev.txt), injected into each page: nothing is fetched at run time.
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from .test_browser import CHROMIUM, browser  # noqa: F401  (the shared browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

if not CHROMIUM:  # test_browser skips the module or fails under CI already
    pytest.skip("no Chromium installed", allow_module_level=True)


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def page_types():
    """One page of every type: home, search, each list, each kind of detail page, the
    structure (the ACM's, and another body's), the chronology and the codebook."""
    from alliance.public.entities import ENTITIES, LISTS

    urls = [reverse("alliance:home"), reverse("alliance:search") + "?q=SCC"]
    urls += [reverse(f"alliance:{name}-list") for name in LISTS]
    details = {"agreement": "security-treaty-1960", "body": "scc", "seat": "scc-jp-minister-foreign-affairs",
               "person": "austin", "meeting": "scc-2024-07", "event": "korean-war-outbreak-1950",
               "organization": "mofa", "post": "us-secretary-of-defense", "source": "dow-2025-acm"}
    assert set(details) == {name for name, entity in ENTITIES.items() if entity.detailed}
    urls += [reverse(f"alliance:{name}-detail", args=[slug]) for name, slug in details.items()]
    urls += [reverse("alliance:structure"), reverse("alliance:structure-of", args=["scc"]),
             reverse("alliance:chronology"), reverse("alliance:data")]
    return urls


RUN_AXE = """async (source) => {
    if (!window.axe) { eval(source); }
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
        target: v.nodes[0].target.join(" ")}));
}"""


@pytest.fixture
def seeded_site(live_server):
    call_command("seed", verbosity=0)
    return live_server


def test_axe_finds_nothing_serious_on_any_page_type_in_either_language(browser, seeded_site):  # noqa: F811
    source = axe_source()
    context = browser.new_context(base_url=seeded_site.url)
    page = context.new_page()
    found, counts = {}, {}
    for language in ("ja", "en"):
        for url in page_types():
            url = url if language == "ja" else "/en" + url
            assert page.goto(url).status == 200, url
            violations = page.evaluate(RUN_AXE, source)
            serious = [v for v in violations if v["impact"] in ("serious", "critical")]
            counts[url] = sum(v["nodes"] for v in serious)
            if serious:
                found[url] = serious
    context.close()
    if os.environ.get("AXE_REPORT"):
        print({url: n for url, n in counts.items()})
    assert not found, "\n".join(f"{url}: {v}" for url, v in found.items())


# What each list's cells must keep on a phone: room for a few characters side by side.
NARROW = 390
MIN_CELL_WIDTH = 80


def test_every_list_reads_on_a_phone_in_both_languages(browser, seeded_site):  # noqa: F811
    from alliance.public.entities import LISTS

    context = browser.new_context(base_url=seeded_site.url, viewport={"width": NARROW, "height": 900})
    page = context.new_page()
    for language in ("", "/en"):
        for name in LISTS:
            url = language + reverse(f"alliance:{name}-list")
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= NARROW, f"{url}: the page scrolls sideways"
            cells = page.evaluate(
                """() => [...document.querySelectorAll("table.records tbody tr")].slice(0, 8).flatMap(row =>
                    [...row.cells].filter(c => c.textContent.trim()).map(c => ({
                        text: c.textContent.trim().slice(0, 20), width: c.getBoundingClientRect().width,
                        right: c.getBoundingClientRect().right})))"""
            )
            assert cells, url
            narrow = [c for c in cells if c["width"] < MIN_CELL_WIDTH]
            assert not narrow, f"{url}: cells too narrow to read: {narrow[:4]}"
            hidden = [c for c in cells if c["right"] > NARROW + 1]
            assert not hidden, f"{url}: cells off the screen: {hidden[:4]}"
    context.close()


def test_the_header_is_one_row_at_1280_px_in_both_languages(browser, seeded_site):  # noqa: F811
    context = browser.new_context(base_url=seeded_site.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    for url in ("/", "/en/", "/en/meetings/"):
        page.goto(url)
        tops = page.evaluate(
            """() => [".brand", ".site-nav", ".site-search", ".lang-switch"].map(s =>
                document.querySelector(".site-header " + s).getBoundingClientRect()).map(r => [r.top, r.bottom])"""
        )
        first_bottom = max(bottom for _top, bottom in tops[:1])
        assert all(top < first_bottom for top, _bottom in tops), f"{url}: the header wraps: {tops}"
    context.close()


def test_the_cited_address_breaks_only_after_a_slash(browser, seeded_site):  # noqa: F811
    """Where the address must wrap (a phone, a long slug), it wraps between its parts and
    never inside a slug."""
    context = browser.new_context(base_url=seeded_site.url, viewport={"width": NARROW, "height": 900})
    page = context.new_page()
    for url in ("/en/agreements/arms-technology-transfer-notes-2024/", "/agreements/arms-technology-transfer-notes-2024/",
                "/en/seats/scc-jp-minister-foreign-affairs/"):
        page.goto(url)
        breaks = page.evaluate(
            """() => {
                const code = document.querySelector(".cite-this code");
                const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
                const chars = [];
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    for (let i = 0; i < node.length; i++) {
                        const range = document.createRange();
                        range.setStart(node, i); range.setEnd(node, i + 1);
                        const rect = range.getBoundingClientRect();
                        if (rect.width || rect.height) chars.push([node.data[i], Math.round(rect.top)]);
                    }
                }
                const text = chars.map(c => c[0]).join("");
                const start = text.indexOf("http");
                const out = [];
                for (let i = start + 1; i < chars.length; i++) {
                    if (chars[i][1] > chars[i - 1][1]) out.push(text.slice(Math.max(start, i - 12), i) + "|" + text.slice(i, i + 6));
                }
                return {text: text.slice(start), breaks: out};
            }"""
        )
        assert breaks["text"].startswith("http"), breaks
        bad = [b for b in breaks["breaks"] if not b.split("|")[0].endswith("/")]
        assert not bad, f"{url}: the address breaks inside a part: {bad}"
    context.close()
