"""The process map's view in headless Chromium at 1440×900: BPI Challenge 2012 (a map of
thousands of pixels) is fitted so every activity is inside the box; the wheel and the buttons
zoom around a point, a drag pans, the view survives a redraw, Fit and the 0 key bring the
whole map back; hovering an activity or a path shows its statistics, equal to the DFG export."""

import os
import subprocess

import pytest
from flowsight import BIN, get_json, processes  # noqa: F401  (a fixture)

SHARED = os.environ.get("FLOWSIGHT_SHARED", os.path.join(os.getcwd(), "..", "shared"))


@pytest.fixture()
def server(processes, tmp_path):
    store = tmp_path / "bpic"
    subprocess.run([BIN, "import", os.path.join(SHARED, "fixtures", "xes", "bpic2012.xes.gz"), "--store", str(store)],
                   check=True, capture_output=True)
    return processes(["serve"], store, config=None).url


def inside(page):
    """How many activities of the map lie wholly inside its box, and how many there are."""
    return page.evaluate("""() => {
        const box = document.getElementById('map').getBoundingClientRect();
        const nodes = [...document.querySelectorAll('#map g.node, #map g.terminal')];
        const fits = nodes.filter(n => {
            const r = n.getBoundingClientRect();
            return r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
        });
        return [fits.length, nodes.length];
    }""")


def view_box(page):
    return [float(v) for v in page.get_attribute("#map svg", "viewBox").split()]


def test_bpic_fits_zooms_pans_and_shows_statistics_on_hover(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server + "/map?activities=100&paths=100")
    page.wait_for_selector("#map[data-zoom=fit] svg g.node")
    fits, nodes = inside(page)
    assert nodes >= 24 and fits == nodes, (fits, nodes)

    whole = view_box(page)
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 3, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    page.wait_for_selector("#map[data-zoom=user]")
    zoomed = view_box(page)
    assert zoomed[2] < whole[2] and zoomed[3] < whole[3]
    assert inside(page)[0] < nodes, "zoomed in, some activities are out of the box"

    page.mouse.move(box["x"] + 300, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 500, box["y"] + 380, steps=5)
    page.mouse.up()
    panned = view_box(page)
    assert panned[0] < zoomed[0] and panned[1] < zoomed[1] and panned[2] == zoomed[2]

    # A redraw (the slider) keeps the view; Fit and the 0 key show the whole map again.
    page.fill("#paths", "90")
    page.wait_for_selector("#map[data-version='1'] svg")
    assert page.get_attribute("#map", "data-zoom") == "user" and view_box(page) == panned
    page.click("#zoom-fit")
    assert inside(page)[0] == inside(page)[1]
    page.click("#zoom-in")
    assert view_box(page)[2] < whole[2]
    page.focus("#map")
    page.keyboard.press("0")
    assert page.get_attribute("#map", "data-zoom") == "fit"

    dfg = get_json(server + "/export/dfg.json?activities=100&paths=100")
    activity = max(dfg["activities"], key=lambda a: a["count"])
    page.hover(f"#map g.node[data-activity='{activity['name']}']")
    page.wait_for_selector("#map-tip:not([hidden])")
    tip = page.inner_text("#map-tip")
    assert activity["name"] in tip and f"{activity['count']} events in {activity['cases']} instances" in tip, tip
    # A path's middle may lie under an activity: the pointer is put on the path itself.
    edge = max((e for e in dfg["edges"] if e["from"] != e["to"]), key=lambda e: e["count"])
    page.dispatch_event(f"#map g.edge[data-from='{edge['from']}'][data-to='{edge['to']}'] path", "mousemove")
    tip = page.inner_text("#map-tip")
    assert f"{edge['from']} → {edge['to']}" in tip and "p95" in tip and "max" in tip, tip
