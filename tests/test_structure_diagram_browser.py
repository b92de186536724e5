"""The structure diagram in a real browser, without JavaScript: the wide drawing on a
desktop, the single column on a phone, neither wider than the screen, its text at a
readable size, and its boxes links that open the body's page."""

import pytest

from .test_browser import browser, page  # noqa: F401  (the fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

READABLE_PX = 11  # the smallest text in the drawing, as rendered


def smallest_text(page, selector):  # noqa: F811
    """The smallest rendered font size (CSS px) of the drawing's text, after its scaling."""
    return page.evaluate(
        """(selector) => {
            const svg = document.querySelector(selector);
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return Math.min(...[...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')) * scale));
        }""",
        selector,
    )


def test_the_diagram_on_a_phone_and_on_a_desktop(page):  # noqa: F811
    for prefix in ("", "/en"):
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(prefix + "/structure/?on=2016-01-01")
        assert page.locator("svg.diagram-narrow").is_visible()
        assert not page.locator("svg.diagram-wide").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert smallest_text(page, "svg.diagram-narrow") >= READABLE_PX - 1
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(prefix + "/structure/?on=2016-01-01")
        assert page.locator("svg.diagram-wide").is_visible()
        assert not page.locator("svg.diagram-narrow").is_visible()
        assert smallest_text(page, "svg.diagram-wide") >= READABLE_PX
    page.locator('svg.diagram-wide g.box[data-slug="acg"] a.box-link text.box-title').click()
    assert page.url.endswith("/bodies/acg/")
