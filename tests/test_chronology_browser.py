"""The chronology on a phone (390 px), without script: the page stays within the screen,
the chart scrolls sideways in its own box at full size, every lane still says what it
is when scrolled to its end, and a mark is a link to its record."""

import pytest

from .test_browser import browser, page  # noqa: F401  (the fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# For each lane, whether one of its names lies wholly inside the chart's visible box.
LANE_NAMED_IN_VIEW = """() => {
    const box = document.querySelector('.chart-scroll').getBoundingClientRect();
    return [...document.querySelectorAll('.chrono-chart g.lane')].map(lane => [...lane.querySelectorAll('.lane-label')]
        .some(t => { const r = t.getBoundingClientRect(); return r.width > 0 && r.left >= box.left && r.right <= box.right; }));
}"""


def test_the_chart_scrolls_in_its_box_and_stays_legible_on_a_phone(page):  # noqa: F811
    page.set_viewport_size(PHONE)
    for prefix in ("", "/en"):
        page.goto(prefix + "/chronology/")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], prefix
        box = page.locator(".chart-scroll")
        assert box.evaluate("e => e.scrollWidth > e.clientWidth"), "the chart scrolls sideways in its box"
        label = page.locator(".chrono-chart .lane-label").first.bounding_box()
        assert label["height"] >= 12, "the lane names are drawn at full size, not shrunk to fit"
        assert page.locator(".chrono-chart g.lane").count() == 3
        assert all(page.evaluate(LANE_NAMED_IN_VIEW)), prefix
        box.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        assert all(page.evaluate(LANE_NAMED_IN_VIEW)), f"{prefix}: scrolled to the end, each lane still names itself"
    page.goto("/chronology/?type=agreement")
    assert page.locator(".chrono-chart g.lane").count() == 1
    href = page.locator(".chrono-chart a.mark").first.get_attribute("href")
    page.locator(".chrono-chart a.mark").first.click()
    assert page.url.endswith(href) and "/agreements/" in href
