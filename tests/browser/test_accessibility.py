"""Accessibility basics checked by axe-core (WCAG 2.0/2.1 A and AA rules) in headless Chromium
on every page of the demo: text contrast (map labels included), a label on every control,
names on links and buttons, a language, landmarks; and a visible keyboard focus."""

import os
import re

import pytest
from test_map import server  # noqa: F401  (the demo server fixture)

AXE = os.path.join(
    os.environ.get("FLOWSIGHT_NPM", os.path.expanduser("~/.cache/flowsight/npm")),
    "node_modules/axe-core/axe.min.js",
)
PAGES = ["/map", "/map?mode=performance", "/instances", "/instances?edge=FetchGoodsCommand%3EGoodsFetchedEvent", "/variants", "/bottlenecks", "/charts", "/compare", "/compare?split=2020-01-01", "/model",
         "/import", "/sources", "/uncorrelated", "/no-such-page"]


@pytest.fixture()
def page(browser):
    # axe is injected as a script, which the UI's Content-Security-Policy would refuse.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1440, "height": 900})
    yield context.new_page()
    context.close()


def violations(page):
    with open(AXE, encoding="utf-8") as source:
        page.evaluate(source.read())
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in result["violations"]]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_passes_axe(server, page, path):  # noqa: F811
    page.goto(server + path)
    assert violations(page) == []


def test_an_instance_page_passes_axe(server, page):  # noqa: F811
    page.goto(server + "/instances")
    page.click("table.list a[href^='/instances/']")
    page.wait_for_url(re.compile(r"/instances/\d+"))
    assert violations(page) == []


def test_keyboard_focus_is_visible(server, page):  # noqa: F811
    page.goto(server + "/map")
    page.keyboard.press("Tab")
    outline = page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                            "return [s.outlineStyle, s.outlineWidth]; }")
    assert outline[0] != "none" and outline[1] != "0px", outline
