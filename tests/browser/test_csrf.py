"""Cross-origin writes in a real browser: a page served from another origin tries every way a
page can send a request that changes something (a text/plain form post, a no-cors fetch, a
FormData upload to the Import page); none of them may store anything. The same requests from
Flowsight's own pages go through."""

import http.server
import json
import threading
import urllib.request

import pytest
from flowsight import processes  # noqa: F401  (a fixture)

EVENT = {"type": "OrderPlacedEvent", "id": "csrf-1", "time": "2026-01-05T08:00:00Z", "data": {"orderId": "1"}}


@pytest.fixture()
def flowsight(processes, tmp_path):
    return processes(["serve"], tmp_path / "store").url


def attacker_page(target):
    body = json.dumps(EVENT)
    return f"""<!doctype html><html><body>
<form id="f" method="post" action="{target}/api/events" enctype="text/plain">
  <input name='{body[:-1]}, "x": "' value='"}}'>
</form>
<script>
  window.done = (async () => {{
    try {{ await fetch("{target}/api/events", {{method: "POST", mode: "no-cors", body: '{body.replace('csrf-1', 'csrf-2')}'}}); }} catch (e) {{}}
    const upload = new FormData();
    upload.append("file", new Blob(['{{"type":"X","id":"csrf-3","time":"2026-01-05T08:00:00Z"}}\\n']), "evil.ndjson");
    try {{ await fetch("{target}/import", {{method: "POST", mode: "no-cors", body: upload}}); }} catch (e) {{}}
    return true;
  }})();
</script></body></html>"""


@pytest.fixture()
def attacker(flowsight):
    page = attacker_page(flowsight).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def events(url):
    with urllib.request.urlopen(url + "/api/overview", timeout=10) as r:
        return json.loads(r.read())["events"]


def test_pages_of_another_origin_store_nothing(browser, flowsight, attacker):
    page = browser.new_page()
    page.goto(attacker)
    page.wait_for_function("window.done")
    with page.expect_navigation():
        page.evaluate("document.getElementById('f').submit()")
    assert events(flowsight) == 0, "no cross-origin request may store anything"

    # Flowsight's own page may: the Import page's upload works.
    own = browser.new_page()
    own.goto(flowsight + "/import")
    own.set_input_files("input[type=file]", files=[{
        "name": "own.ndjson", "mimeType": "application/octet-stream",
        "buffer": (json.dumps(EVENT) + "\n").encode()}])
    with own.expect_navigation():
        own.click("button[type=submit]")
    assert "Imported own.ndjson" in own.content()
    assert events(flowsight) == 1
