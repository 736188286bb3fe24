"""An instance page of the demo in headless Chromium: its timeline and its Gantt chart of
trace spans share one time axis, so each tick (time since the instance began) is at the same
place on screen in both, and the axis names the zone."""

import re

from test_map import server  # noqa: F401  (the demo server fixture)


def test_the_timeline_and_the_gantt_chart_line_up(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server + "/instances?activity=pick%20goods&status=completed")
    page.click("table.list a[href^='/instances/']")
    page.wait_for_url(re.compile(r"/instances/\d+"))
    ticks = {}
    for chart in ["svg.instance-timeline", "svg.span-gantt"]:
        ticks[chart] = page.eval_on_selector_all(
            f"{chart} g.axis text.tick",
            "ts => ts.map(t => [t.dataset.at, Math.round(t.getBoundingClientRect().x)])")
    assert len(ticks["svg.instance-timeline"]) == 5
    assert ticks["svg.instance-timeline"] == ticks["svg.span-gantt"], ticks
    assert "UTC" in page.text_content("svg.instance-timeline g.axis")
    assert page.inner_text("#events thead").startswith("Time (UTC)")
