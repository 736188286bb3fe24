"""The Discover page in headless Chromium: over a store imported without key rules, it proposes
the order flow's keys with their evidence; a user renames one, drops another and previews the
instances and the map the edited rules give, before any rule applies."""

import re
import subprocess

import pytest
from flowsight import BIN, get, processes  # noqa: F401  (a fixture)

ORDERS = 150


@pytest.fixture()
def server(processes, tmp_path):
    stream, store = tmp_path / "orders.ndjson", tmp_path / "store"
    subprocess.run([BIN, "generate", "--orders", str(ORDERS), "--out", str(stream)], check=True)
    subprocess.run([BIN, "import", str(stream), "--store", str(store), "--discover-sample", "0"],
                   check=True, capture_output=True, cwd=tmp_path)
    return processes(["serve"], store, config=None).url


def preview(page):
    page.click("#preview-button")
    page.wait_for_selector("#preview-figures:not(:empty)")
    figures = page.inner_text("#preview-figures")
    page.evaluate("document.getElementById('preview-figures').textContent = ''")
    return figures


def test_accept_rename_and_drop_keys_then_preview_before_they_apply(server, browser):
    page = browser.new_page()
    page.goto(server + "/discover")
    assert "no rules" in page.inner_text("#rules-in-force")
    changes = page.inner_text("#changes")
    assert "a key order at /data/orderId, /data/refId" in changes, changes
    kinds = page.eval_on_selector_all("#keys input.kind", "inputs => inputs.map(i => i.value)")
    applied = page.eval_on_selector_all("#keys input.apply", "boxes => boxes.map(b => b.checked)")
    proposals = dict(zip(kinds, applied))
    assert proposals["order"] and proposals["payment"] and not proposals["customer"], proposals

    figures = preview(page)
    assert f"{ORDERS} instances" in figures, figures
    assert page.locator("#preview-map svg g.node").count() >= 8, "the map of the sample is drawn"

    order_row = page.locator("#keys tbody tr", has=page.locator("input.kind[value='order']"))
    order_row.locator("input.kind").fill("purchase")
    figures = preview(page)
    assert f"{ORDERS} instances" in figures, figures
    config = page.text_content("#preview-config")
    assert 'kind = "purchase"' in config and 'kind = "order"' not in config, config

    # Without the order key (and without traces), the order's steps no longer meet.
    order_row.locator("input.apply").uncheck()
    if page.locator("#traces").count():
        page.locator("#traces").uncheck()
    figures = preview(page)
    instances = int(re.search(r"(\d+) instances", figures).group(1))
    assert instances > ORDERS, figures
    href = page.get_attribute("#download", "href")
    assert "k0=" not in href and "traces" not in href, href
    downloaded = get(server + href).decode()
    assert 'kind = "purchase"' not in downloaded and "[[mapping.keys]]" in downloaded

    order_row.locator("input.kind").fill("not a name")
    order_row.locator("input.apply").check()
    page.click("#preview-button")
    page.wait_for_selector("#preview-problem:not([hidden])")
    assert "is not a key name" in page.inner_text("#preview-problem")
