"""Live figures in headless Chromium: with a page open, events posted to the ingest show in
its header counts within 2 s, without a reload (Server-Sent Events from /api/live)."""

import json
import time

from flowsight import post_ndjson, processes  # noqa: F401  (a fixture)


def events(order, n):
    lines = [json.dumps({"specversion": "1.0", "type": step, "id": f"{order}-{i}", "source": "shop",
                         "time": f"2026-03-01T10:00:0{i}Z", "data": {"orderId": order}})
             for i, step in enumerate(["OrderPlacedEvent", "RetrievePaymentCommand", "PaymentReceivedEvent"][:n])]
    return ("\n".join(lines) + "\n").encode()


def figure(page, name):
    return page.inner_text(f"#fig-{name}")


def test_posted_events_show_in_the_header_of_an_open_page_within_2_s(processes, tmp_path, browser):
    server = processes(["serve"], tmp_path / "store")
    post_ndjson(server.url + "/api/events", events("1", 3))
    page = browser.new_page()
    page.goto(server.url + "/instances")
    page.wait_for_selector("#figures[data-updates]")
    assert (figure(page, "events"), figure(page, "instances")) == ("3", "1")
    loaded = page.evaluate("() => performance.timeOrigin")

    post_ndjson(server.url + "/api/events", events("2", 2))
    posted = time.monotonic()
    while figure(page, "events") != "5" and time.monotonic() - posted < 2:
        time.sleep(0.05)
    assert figure(page, "events") == "5", "shown within 2 s"
    assert figure(page, "instances") == "2"
    assert page.evaluate("() => performance.timeOrigin") == loaded, "without a reload"


def test_an_open_map_list_and_chart_follow_new_events_keeping_their_filters(processes, tmp_path, browser):
    server = processes(["serve"], tmp_path / "store")
    post_ndjson(server.url + "/api/events", events("1", 3))
    pages = {}
    for path in ["/map?absent=SurpriseEvent", "/instances?min_duration=1s", "/charts"]:
        page = browser.new_page()
        page.goto(server.url + path)
        page.wait_for_selector("#figures[data-updates]")
        pages[path] = (page, page.evaluate("() => performance.timeOrigin"))
    surprise = json.dumps({"specversion": "1.0", "type": "SurpriseEvent", "id": "2-9", "source": "shop",
                           "time": "2026-03-01T10:00:09Z", "data": {"orderId": "2"}})
    post_ndjson(server.url + "/api/events", events("2", 2) + (surprise + "\n").encode())
    page, loaded = pages["/map?absent=SurpriseEvent"]
    page.wait_for_selector("#map[data-version='1']", timeout=2000)
    assert page.url.endswith("absent=SurpriseEvent"), "the filter stays"
    assert "SurpriseEvent" not in page.eval_on_selector_all("#map g.node", "ns => ns.map(n => n.dataset.activity)")
    page, loaded = pages["/instances?min_duration=1s"]
    page.wait_for_selector("body[data-live-updates]", timeout=2000)
    assert "2 instances" in page.inner_text("#list-summary"), "both orders last a second or more"
    assert page.evaluate("() => performance.timeOrigin") == loaded, "without a reload"
    page, loaded = pages["/charts"]
    page.wait_for_selector("body[data-live-updates]", timeout=2000)
    started = page.eval_on_selector_all("#chart-cases-over-time rect.started", "bs => bs.map(b => Number(b.dataset.count))")
    assert sum(started) == 2
    assert page.evaluate("() => performance.timeOrigin") == loaded
