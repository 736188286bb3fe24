"""Case notions in headless Chromium: choosing a key kind on the map redraws it with one case
per key of that kind, and choosing every kind draws the object-centric map, each kind's paths
in its colour with a legend entry per kind; the choice goes into the URL and the exports."""

import re

from test_filter_bar import settled
from test_map import server  # noqa: F401  (the demo server fixture)


def test_choosing_a_case_notion_redraws_the_map(server, browser):  # noqa: F811
    page = browser.new_page()
    settled(page, server)
    page.goto(server + "/map")
    kinds = page.eval_on_selector_all(
        "#notion option", "os => os.map(o => o.value).filter(v => v && v !== '*')")
    assert "order" in kinds and len(kinds) > 1, kinds
    payments = page.request.get(server + "/export/dfg.json?notion=payment").json()["cases"]
    page.select_option("#notion", "payment")
    page.wait_for_selector("#map[data-version='1']")
    assert "notion=payment" in page.url
    assert page.inner_text("#map-summary").startswith(f"{payments:,} cases (one per payment key)")
    exports = page.eval_on_selector_all(".exports a", "links => links.map(a => a.getAttribute('href'))")
    assert all("notion=payment" in href for href in exports), exports

    page.select_option("#notion", "*")
    page.wait_for_selector("#map[data-version='2']")
    assert page.get_attribute("#map svg", "data-notion") == "objects"
    legend = page.eval_on_selector_all("#map g.legend-kind", "gs => gs.map(g => g.dataset.object)")
    assert sorted(legend) == sorted(kinds)
    drawn = page.eval_on_selector_all("#map g.edge[data-object]", "gs => [...new Set(gs.map(g => g.dataset.object))]")
    assert sorted(drawn) == sorted(kinds), "every kind draws its paths"
    assert re.search(r"objects? of \d+ types", page.inner_text("#map-summary"))
