"""The Model page in headless Chromium: the model Flowsight discovers from a store of generated
orders, configured as the reference model, is drawn by the vendored bpmn-js with every task
overlaid by its figures (waiting now, past the limit, deviating, frequency), each linking to
the instances behind it, and the figures agree with the store."""

import json
import subprocess

import pytest
from flowsight import BIN, CONFIG, get, get_json, processes  # noqa: F401  (a fixture)

ORDERS = 400


@pytest.fixture()
def server(processes, tmp_path):
    stream, store, model = tmp_path / "orders.ndjson", tmp_path / "store", tmp_path / "order.bpmn"
    subprocess.run([BIN, "generate", "--orders", str(ORDERS), "--out", str(stream)], check=True)
    subprocess.run([BIN, "import", str(stream), "--store", str(store), "--config", str(CONFIG)],
                   check=True, capture_output=True)
    subprocess.run([BIN, "export", "model", "--store", str(store), "--config", str(CONFIG), "--out", str(model)],
                   check=True, capture_output=True)
    config = tmp_path / "tracked.toml"
    config.write_text(CONFIG.read_text() + f'\n[tracking]\nmodel = "{model}"\n')
    return processes(["serve"], store, config=config).url


def test_the_model_page_draws_every_task_with_its_figures(server, browser):
    figures = get_json(server + "/api/model")
    tasks = {t["id"]: t for t in figures["tasks"]}
    assert len(tasks) >= 8 and all(t["events"] > 0 for t in tasks.values()), figures["unmatched_tasks"]
    overview = get_json(server + "/api/overview")
    waiting = {s["step"]: s for s in overview["steps"]}
    for task in tasks.values():
        standing = waiting.get(task["activity"])
        assert task["waiting"] == (standing["waiting"] if standing else 0), task
        assert task["breaching"] == (standing["stuck"] if standing else 0), task
    assert sum(t["breaching"] for t in tasks.values()) > 0, "the generated orders include stuck ones"

    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/model")
    page.wait_for_selector("#model-status[data-drawn]", timeout=15_000)
    assert page.get_attribute("#model-status", "data-drawn") == str(len(tasks)), page.inner_text("#model-status")
    drawn = page.eval_on_selector_all(".djs-overlay .task-figures", "boxes => boxes.map(b => b.dataset.task)")
    assert sorted(drawn) == sorted(tasks), drawn
    shapes = page.eval_on_selector_all(".djs-element.djs-shape[data-element-id]",
                                       "els => els.map(e => e.getAttribute('data-element-id'))")
    assert set(tasks) <= set(shapes)
    heated = page.eval_on_selector_all("[class*='heat-']", "els => els.length")
    assert heated == len(tasks)
    # A task's badge links to the instances waiting there, and the list holds as many.
    stuck_task = next(t for t in tasks.values() if t["breaching"] > 0)
    href = page.get_attribute(f".task-figures[data-task='{stuck_task['id']}'] a.breach", "href")
    assert href.startswith("/instances?status=stuck&at=")
    listed = get_json(server + "/api/instances" + href[len("/instances"):])
    assert listed["total"] == stuck_task["breaching"]
    assert page.is_visible(".bjs-powered-by"), "the bpmn.io watermark stays visible (its license)"

    # A stuck instance's page draws its path: the tasks it did, and the one the model expects next.
    stuck = listed["instances"][0]
    page.goto(server + f"/instances/{stuck['id']}")
    page.wait_for_selector("#model-status[data-drawn]", timeout=15_000)
    done = page.eval_on_selector_all(".djs-element.path-done", "els => els.map(e => e.getAttribute('data-element-id'))")
    expected = page.eval_on_selector_all(".djs-element.path-waiting", "els => els.map(e => e.getAttribute('data-element-id'))")
    did = {e["activity"] for e in get_json(server + f"/api/instances/{stuck['id']}")["events"]}
    assert {tasks[t]["activity"] for t in done} <= did and len(done) >= 3, done
    assert expected and not {tasks[t]["activity"] for t in expected} & {stuck["last_activity"]}, expected
    assert page.get_attribute("#model-status", "data-drawn") == str(len(done) + len(expected) + page.eval_on_selector_all(".djs-element.path-deviating", "els => els.length"))
    assert not errors, errors


def test_a_model_uploaded_on_the_page_is_kept_with_the_store_and_drawn(processes, tmp_path, browser):
    """Without a configured model, the page offers an upload: a broken file is refused naming
    what is wrong; a good one is kept with the store, drawn at once, and still in force for a
    server started again on the store."""
    stream, store, model = tmp_path / "orders.ndjson", tmp_path / "store", tmp_path / "order.bpmn"
    subprocess.run([BIN, "generate", "--orders", "120", "--out", str(stream)], check=True)
    subprocess.run([BIN, "import", str(stream), "--store", str(store), "--config", str(CONFIG)],
                   check=True, capture_output=True)
    subprocess.run([BIN, "export", "model", "--store", str(store), "--config", str(CONFIG), "--out", str(model)],
                   check=True, capture_output=True)
    broken = tmp_path / "broken.bpmn"
    broken.write_text('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">\n<process id="p">\n'
                      '<sequenceFlow id="f" sourceRef="nowhere" targetRef="t"/>\n<task id="t" name="T"/>\n</process></definitions>')

    first = processes(["serve"], store)
    page = browser.new_page()
    page.goto(first.url + "/model")
    assert "upload one below" in page.inner_text("#model-missing")
    page.set_input_files("#model-upload input[type=file]", str(broken))
    page.click("#model-upload button")
    message = page.inner_text("#upload-message")
    assert "not kept" in message and "nowhere" in message, message

    page.set_input_files("#model-upload input[type=file]", str(model))
    page.click("#model-upload button")
    assert "kept with the store" in page.inner_text("#upload-message")
    page.wait_for_selector("#model-status[data-drawn]", timeout=15_000)
    drawn = int(page.get_attribute("#model-status", "data-drawn"))
    assert drawn == len(get_json(first.url + "/api/model")["tasks"]) >= 8
    first.stop()

    again = processes(["serve"], store)
    assert get(again.url + "/model.bpmn").decode() == model.read_text()
    page.goto(again.url + "/model")
    page.wait_for_selector("#model-status[data-drawn]", timeout=15_000)
    assert page.get_attribute("#model-status", "data-drawn") == str(drawn)
