"""The Compare page in headless Chromium on a demo whose generator slows the goods fetching
of most orders from order 401 on: splitting at that order's time shows the wait for the goods
(from the request to the picking span) as the biggest change in time per case, drawn red on
the map, and the exports agree."""

import re

from flowsight import get_json, processes, wait_for  # noqa: F401  (a fixture)

ORDERS = 800


def test_the_periods_around_a_release_show_the_path_it_slowed(processes, tmp_path, browser):  # noqa: F811
    demo = processes(["demo", "--orders", str(ORDERS), "--slow-fetches-from", "401"], tmp_path / "store", config=None)
    wait_for("every order stored", lambda: get_json(demo.url + "/api/overview")["instances"] == ORDERS)
    first = get_json(demo.url + "/api/instances?key=order%3D401")["instances"][0]["first_event"]
    last = get_json(demo.url + f"/api/instances?key=order%3D{ORDERS}")["instances"][0]["first_event"]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(demo.url + "/compare")
    assert "Pick a date" in page.inner_text("main")
    split = page.evaluate(f"() => new Date({first} / 1000).toISOString()")
    assert last > first
    page.goto(demo.url + "/compare?split=" + split.replace(":", "%3A"))
    first_row = page.locator("#by-time tbody tr").first.inner_text()
    # The goods wait after they are requested: before the picking span starts, on traced orders.
    source, target = first_row.split("\t")[:2]
    assert (source, target) == ("FetchGoodsCommand", "pick goods"), first_row
    assert "+" in first_row.split("\t")[-1]
    edge = page.locator(f'#map g.edge[data-from="{source}"][data-to="{target}"]')
    change = float(edge.get_attribute("data-time-change"))
    assert change > 3_600e6, change
    stroke = edge.locator("path").get_attribute("stroke")
    red, green, _ = (int(v) for v in re.findall(r"\d+", stroke))
    assert red > green, f"drawn red: {stroke}"
    exports = page.eval_on_selector_all(".exports a", "links => links.map(a => a.getAttribute('href'))")
    assert len(exports) == 4 and all("split=" in href for href in exports), exports
    answer = get_json(demo.url + [e for e in exports if "compare.json" in e][0])
    assert (answer["paths"][0]["from"], answer["paths"][0]["to"]) == (source, target)
