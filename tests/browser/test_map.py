"""Browser test of the UI in headless Chromium (Debian's package, driven by Playwright).

Starts `flowsight demo` on a temporary store, opens the process map, checks that the
activities of the demo flow are drawn, and that moving the activity slider redraws a
smaller map without a page reload.
"""

import os
import re
import subprocess
import tempfile

import pytest

BINARY = os.environ.get("FLOWSIGHT_BIN", "target/release/flowsight")
DEMO_ACTIVITIES = [
    "OrderPlacedEvent", "RetrievePaymentCommand", "PaymentReceivedEvent", "PaymentFailedEvent",
    "FetchGoodsCommand", "GoodsFetchedEvent", "ShipGoodsCommand", "GoodsShippedEvent",
    "OrderCompletedEvent", "OrderCancelledEvent",
    # the services' own work, reported as trace spans
    "charge card", "pick goods", "print shipping label",
]


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory() as store:
        process = subprocess.Popen(
            [BINARY, "demo", "--orders", "600", "--store", store, "--listen", "127.0.0.1:0",
             "--otlp-http", "127.0.0.1:0", "--otlp-grpc", "127.0.0.1:0"],
            stdout=subprocess.PIPE, text=True,
        )
        try:
            url = None
            for line in process.stdout:
                match = re.search(r"(http://[\d.:]+)/map", line)
                if match:
                    url = match.group(1)
                    break
            assert url, "flowsight demo printed no URL"
            yield url
        finally:
            process.kill()
            process.wait()


def drawn_activities(page):
    return page.eval_on_selector_all("#map g.node", "nodes => nodes.map(n => n.dataset.activity)")


def test_map_draws_the_demo_flow(server, browser):
    page = browser.new_page()
    page.goto(server + "/map")
    assert sorted(drawn_activities(page)) == sorted(DEMO_ACTIVITIES)
    node = page.locator('#map g.node[data-activity="OrderPlacedEvent"] rect')
    box, frame = node.bounding_box(), page.locator("#map").bounding_box()
    assert box and box["width"] > 10 and box["height"] > 4, "nodes are drawn"
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"], "fitted in the box"
    page.click("#zoom-in")
    assert node.bounding_box()["width"] > box["width"], "zooming in makes them larger"
    assert page.locator("#map g.edge").count() >= 12


def test_activity_slider_redraws_a_smaller_map(server, browser):
    page = browser.new_page()
    page.goto(server + "/map")
    before = drawn_activities(page)
    page.eval_on_selector("#activities", "s => { s.value = 30; s.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_selector("#map[data-version='1']")  # a selector: the UI's CSP forbids eval
    after = drawn_activities(page)
    assert 0 < len(after) < len(before)
    assert "OrderPlacedEvent" in after, "the most frequent activities stay"
    assert "OrderCancelledEvent" not in after, "rare ones go"
    assert page.locator("#activities-out").inner_text() == "30%"
    assert "activities=30" in page.url
    exports = page.eval_on_selector_all(".exports a", "links => links.map(a => a.getAttribute('href'))")
    assert len(exports) >= 6 and all("activities=30" in href for href in exports), exports


def test_performance_mode_shows_times(server, browser):
    page = browser.new_page()
    page.goto(server + "/map")
    page.check("input[value=performance]")
    page.wait_for_selector("#map svg[data-mode='performance']")
    labels = page.eval_on_selector_all("#map g.edge text", "ts => ts.map(t => t.textContent)")
    assert any(re.fullmatch(r"\d+[hm] \d+[ms]|\d+s|\d+ms|\d+d \d+h", l) for l in labels), labels
    pick = page.locator('#map g.node[data-activity="pick goods"]').text_content()
    assert "wait" in pick and "service" in pick, f"spans show waiting and service apart: {pick!r}"


def test_the_measure_is_chosen_and_explained_by_the_legend(server, browser):
    page = browser.new_page()
    page.goto(server + "/map")
    assert "Paths: times taken" in page.text_content("#map g.legend")
    page.check("input[value=performance]")
    page.wait_for_selector("#map svg[data-metric='total']")
    assert page.input_value("#metric") == "total", "the performance map ranks by total time"
    assert "Paths: total time" in page.text_content("#map g.legend")
    page.select_option("#metric", "p95")
    page.wait_for_selector("#map svg[data-metric='p95']")
    assert "metric=p95" in page.url
    legend = page.text_content("#map g.legend")
    assert "95th percentile" in legend
    # The legend's largest value is the label of the path drawn thickest.
    widths = page.eval_on_selector_all(
        "#map g.edge", "es => es.map(e => [Number(e.querySelector('path').getAttribute('stroke-width')),"
        " (e.querySelector('text') || {}).textContent])")
    thickest = max(widths, key=lambda w: w[0])
    assert f"up to {thickest[1]}" in legend, (legend, thickest)
    page.select_option("#metric", "cases")
    page.wait_for_selector("#map svg[data-metric='cases']")
    assert page.is_checked("input[value=frequency]"), "a count switches back to the frequency map"


def test_spans_are_drawn_apart_and_can_be_shown_alone(server, browser):
    page = browser.new_page()
    page.goto(server + "/map")
    kinds = dict(page.eval_on_selector_all("#map g.node", "ns => ns.map(n => [n.dataset.activity, n.dataset.kind])"))
    spans = {"charge card", "pick goods", "print shipping label"}
    assert {a for a, k in kinds.items() if k == "span"} == spans, kinds
    assert page.get_attribute('#map g.node[data-kind="span"] rect', "stroke-dasharray"), "spans are dashed"
    page.select_option("#steps", "spans")
    page.wait_for_selector("#map[data-version='1']")
    assert set(drawn_activities(page)) == spans
    assert "steps=spans" in page.url
    page.select_option("#steps", "events")
    page.wait_for_selector("#map[data-version='2']")
    events = set(drawn_activities(page))
    assert events and not events & spans
    assert events | spans == set(DEMO_ACTIVITIES)


def test_a_click_on_an_activity_or_a_path_lists_the_instances_behind_it(server, browser):
    page = browser.new_page()
    for _ in range(100):  # every order of the demo stored, so that counts hold still
        if page.request.get(server + "/api/overview").json()["instances"] == 600:
            break
        page.wait_for_timeout(100)
    page.goto(server + "/map")
    page.locator('#map g.node[data-activity="PaymentFailedEvent"]').click()
    page.wait_for_url(re.compile(r"/instances\?activity=PaymentFailedEvent$"))
    listed = int(re.search(r"([\d,]+) instances?", page.inner_text("p.summary")).group(1).replace(",", ""))
    answer = page.request.get(server + "/api/instances?activity=PaymentFailedEvent&limit=1000").json()
    assert listed == answer["total"] == len(answer["instances"])
    assert 0 < listed < 600, "some orders' payment failed, not all"
    # A path between two activities: the instances where the second directly follows the first.
    page.goto(server + "/map")
    paths = page.eval_on_selector_all(
        "#map g.edge", "es => es.map(e => [e.dataset.from, e.dataset.to, e.dataset.count])")
    source, target, count = next(p for p in paths if p[0] == "OrderPlacedEvent")
    page.locator(f'#map g.edge[data-from="{source}"][data-to="{target}"] path').dispatch_event("click")
    page.wait_for_url(re.compile(r"/instances\?edge="))
    assert f"is directly followed by {target}" in page.inner_text("p.summary")
    answer = page.request.get(server + f"/api/instances?edge={source}%3E{target}&limit=1000").json()
    assert answer["total"] == int(count), "as many instances as the path is taken (once each)"
