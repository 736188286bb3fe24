"""The filter bar in headless Chromium: a filter typed on the map redraws it, goes into the
URL and every export link, follows the user to the other pages (each counting the same
instances), and the instances behind a clicked activity stay under it."""

import re

from test_map import server  # noqa: F401  (the demo server fixture)

ORDERS = 600
FILTER = "PaymentFailedEvent"


def instances_in(text):
    return int(re.search(r"([\d,]+) instances?", text).group(1).replace(",", ""))


def settled(page, server):
    for _ in range(100):  # every order of the demo stored, so that counts hold still
        if page.request.get(server + "/api/overview").json()["instances"] == ORDERS:
            return
        page.wait_for_timeout(100)


def test_a_filter_set_on_the_map_holds_on_every_page_and_export(server, browser):  # noqa: F811
    page = browser.new_page()
    settled(page, server)
    expected = page.request.get(server + f"/api/instances?absent={FILTER}&limit=1000").json()["total"]
    assert 0 < expected < ORDERS
    page.goto(server + "/map")
    page.fill("input[name=absent]", FILTER)
    page.press("input[name=absent]", "Enter")
    page.wait_for_selector("#map[data-version='1']")  # a selector: the UI's CSP forbids eval
    assert instances_in(page.inner_text("#map-summary")) == expected
    assert f"absent={FILTER}" in page.url
    drawn = page.eval_on_selector_all("#map g.node", "nodes => nodes.map(n => n.dataset.activity)")
    assert FILTER not in drawn and "OrderPlacedEvent" in drawn
    exports = page.eval_on_selector_all(".exports a", "links => links.map(a => a.getAttribute('href'))")
    assert exports and all(f"absent={FILTER}" in href for href in exports), exports

    page.click("header.top nav a[href='/variants']")
    page.wait_for_url(re.compile(rf"/variants\?absent={FILTER}$"))
    assert page.input_value("input[name=absent][type=hidden]") == FILTER, "kept beside the field that adds one more"
    assert instances_in(page.inner_text("p.summary")) == expected
    assert FILTER not in page.inner_text("#variants")

    page.click("header.top nav a[href='/bottlenecks']")
    page.wait_for_url(re.compile(rf"/bottlenecks\?absent={FILTER}$"))
    assert instances_in(page.inner_text("p.summary")) == expected

    page.click("header.top nav a[href='/charts']")
    page.wait_for_url(re.compile(rf"/charts\?absent={FILTER}$"))
    binned = page.eval_on_selector_all("#chart-durations rect.bin", "bs => bs.map(b => Number(b.dataset.count))")
    assert sum(binned) == expected, "the histogram holds each filtered instance once"
    started = page.eval_on_selector_all("#chart-cases-over-time rect.started", "bs => bs.map(b => Number(b.dataset.count))")
    assert sum(started) == expected
    drawn = page.eval_on_selector_all("#chart-dotted circle.dot", "ds => ds.map(d => d.dataset.activity)")
    assert drawn and FILTER not in drawn

    page.click("header.top nav a[href='/instances']")
    page.wait_for_url(re.compile(rf"/instances\?absent={FILTER}$"))
    summary = page.inner_text("p.summary")
    assert instances_in(summary) == expected and f"without {FILTER}" in summary
    log = page.eval_on_selector("a[href^='/export/log.xes']", "a => a.getAttribute('href')")
    assert page.request.get(server + log).text().count("<trace") == expected

    # An activity clicked on the filtered map lists the instances behind it under the filter.
    page.goto(server + f"/map?absent={FILTER}")
    page.locator('#map g.node[data-activity="FetchGoodsCommand"]').click()
    page.wait_for_url(re.compile(r"/instances\?.*activity=FetchGoodsCommand"))
    assert f"absent={FILTER}" in page.url
    both = page.request.get(
        server + f"/api/instances?absent={FILTER}&activity=FetchGoodsCommand&limit=1000").json()["total"]
    assert instances_in(page.inner_text("p.summary")) == both

    # A second activity clicked on a map already filtered by one joins it, as the map counted.
    page.goto(server + f"/map?absent={FILTER}&activity=OrderPlacedEvent")
    page.locator('#map g.node[data-activity="FetchGoodsCommand"]').click()
    page.wait_for_url(re.compile(r"/instances\?.*activity=FetchGoodsCommand"))
    assert "activity=OrderPlacedEvent" in page.url and f"absent={FILTER}" in page.url
    three = page.request.get(
        server + f"/api/instances?absent={FILTER}&activity=OrderPlacedEvent&activity=FetchGoodsCommand&limit=1000"
    ).json()["total"]
    assert instances_in(page.inner_text("p.summary")) == three

    # Each of them can be left out alone.
    page.click("#bar-in-force a.chip:has-text('containing FetchGoodsCommand')")
    page.wait_for_url(re.compile(r"/instances\?"))
    assert "FetchGoodsCommand" not in page.url and "activity=OrderPlacedEvent" in page.url
    one = page.request.get(
        server + f"/api/instances?absent={FILTER}&activity=OrderPlacedEvent&limit=1000").json()["total"]
    assert instances_in(page.inner_text("p.summary")) == one


def test_a_wrong_filter_is_named_on_the_page(server, browser):  # noqa: F811
    page = browser.new_page()
    response = page.goto(server + "/variants?min_duration=2d&max_duration=1h")
    assert response.status == 400
    assert "min_duration (2d) is longer than max_duration (1h)" in page.inner_text("body")


def test_a_status_chosen_on_the_map_draws_only_those_instances(server, browser):  # noqa: F811
    page = browser.new_page()
    settled(page, server)
    running = page.request.get(server + "/api/instances?status=running&limit=1").json()["total"]
    assert 0 < running < ORDERS
    page.goto(server + "/map")
    page.select_option("select[name=status]", "running")
    page.wait_for_selector("#map[data-version='1']")
    assert instances_in(page.inner_text("#map-summary")) == running
    assert "status=running" in page.url
    ends = page.eval_on_selector_all("#map g.edge[data-to='■ end']", "es => es.map(e => Number(e.dataset.count))")
    assert sum(ends) == running, "each running instance ends its path once"
    page.click("header.top nav a[href='/variants']")
    page.wait_for_url(re.compile(r"/variants\?status=running$"))
    assert instances_in(page.inner_text("p.summary")) == running
    assert page.input_value("select[name=status]") == "running"
