"""The public pages on a phone (390 px wide): nothing wider than the screen, and every
list's filters reachable from its top. Headless Chromium, as in test_browser.py."""

import pytest

from .test_browser import browser, page  # noqa: F401  (the fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PAGES = [
    "/", "/agreements/", "/bodies/", "/seats/", "/people/", "/meetings/", "/structure/", "/chronology/", "/chronology/?year=2024",
    "/search/?q=ACM", "/agreements/sofa/", "/bodies/acm/", "/bodies/jc/", "/seats/scc-jp-minister-foreign-affairs/",
    "/people/austin/", "/meetings/scc-2024-07/", "/organizations/mofa/", "/posts/us-secretary-of-defense/",
    "/structure/?on=2016-01-01", "/structure/scc/?on=1980", "/structure/?on=" + "9" * 200,
]  # fmt: skip
LISTS = ["/agreements/", "/bodies/", "/seats/", "/people/", "/meetings/"]


def test_no_page_is_wider_than_a_phone_in_either_language(page):  # noqa: F811
    page.set_viewport_size(PHONE)
    too_wide = {}
    for prefix in ("", "/en"):
        for path in PAGES:
            page.goto(prefix + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                culprits = page.evaluate(
                    """(limit) => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > limit + 1 && !e.closest('.table-wrap'))
                        .slice(0, 3).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""",
                    PHONE["width"],
                )
                too_wide[prefix + path] = (width, culprits)
    assert not too_wide, "\n".join(f"{k}: {v}" for k, v in too_wide.items())


def test_a_lists_filters_are_reachable_from_its_top_on_a_phone(page):  # noqa: F811
    page.set_viewport_size(PHONE)
    for prefix in ("", "/en"):
        for path in LISTS:
            page.goto(prefix + path)
            link = page.locator("a.to-filters")
            assert link.count() == 1, path
            assert link.bounding_box()["y"] < PHONE["height"], path  # on the first screen
            link.click()
            top = page.locator("#filters").bounding_box()["y"]
            assert -2 <= top < PHONE["height"], path  # the filters are on screen
