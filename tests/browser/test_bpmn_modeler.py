"""The BPMN that Flowsight's Inductive Miner exports opens in a real BPMN modeler: bpmn-js (the
modeler behind Camunda's and bpmn.io's tools) imports it in headless Chromium without errors or
warnings and draws every task, gateway and flow of the file.
"""

import os
import re
import subprocess
import tempfile

import pytest

BINARY = os.environ.get("FLOWSIGHT_BIN", "target/release/flowsight")
MODELER = os.path.join(
    os.environ.get("FLOWSIGHT_NPM", os.path.expanduser("~/.cache/flowsight/npm")),
    "node_modules/bpmn-js/dist/bpmn-modeler.production.min.js",
)
SHARED = os.environ.get("FLOWSIGHT_SHARED", os.path.join(os.getcwd(), "..", "shared"))
LOGS = ["running-example.xes", "08_receipt.xes.gz"]


@pytest.mark.parametrize("log", LOGS)
def test_exported_bpmn_opens_in_bpmn_js(browser, log):
    with tempfile.TemporaryDirectory() as workdir:
        out = os.path.join(workdir, "model.bpmn")
        subprocess.run([BINARY, "mine", os.path.join(SHARED, "fixtures", "xes", log), "--bpmn", out],
                       check=True, capture_output=True)
        with open(out, encoding="utf-8") as f:
            xml = f.read()
    page = browser.new_page()
    page.set_content('<div id="canvas" style="width: 1600px; height: 1000px"></div>')
    page.add_script_tag(path=MODELER)
    result = page.evaluate(
        """async (xml) => {
            const modeler = new BpmnJS({ container: '#canvas' });
            const { warnings } = await modeler.importXML(xml);
            const registry = modeler.get('elementRegistry');
            const count = (type) => registry.filter(e => e.type === type).length;
            return {
                warnings: warnings.map(w => w.message),
                tasks: count('bpmn:Task'),
                gateways: count('bpmn:ExclusiveGateway') + count('bpmn:ParallelGateway'),
                flows: count('bpmn:SequenceFlow'),
                drawn: document.querySelectorAll('.djs-element').length,
            };
        }""",
        xml,
    )
    assert result["warnings"] == []
    assert result["tasks"] == len(re.findall(r"<task ", xml))
    assert result["gateways"] == len(re.findall(r"<(exclusive|parallel)Gateway ", xml))
    assert result["flows"] == len(re.findall(r"<sequenceFlow ", xml))
    assert result["drawn"] >= result["tasks"] + result["gateways"] + result["flows"]
