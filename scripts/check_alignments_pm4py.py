"""Conformance parity with pm4py: `flowsight check LOG --model MODEL.bpmn --json` against
`pm4py.fitness_alignments` on the Petri net pm4py converts the same BPMN to, within 1e-6.

Pairs: each shared BPMN model with its log, and models Flowsight discovers (`mine --bpmn`,
noise 0 and 0.2) from shared logs. Usage: check_alignments_pm4py.py FLOWSIGHT SHARED_FIXTURES"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pm4py

BIN, SHARED = sys.argv[1], Path(sys.argv[2])
LOGS = ["running-example.xes", "03_repairExample.xes.gz", "roadtraffic100traces.xes", "08_receipt.xes.gz"]
KEYS = ["traces", "fitting_traces", "average_trace_fitness", "percentage_fitting_traces"]


def flowsight(log, model):
    started = time.time()
    out = subprocess.run([BIN, "check", str(log), "--model", str(model), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out), time.time() - started


def pm4py_figures(log, model):
    started = time.time()
    events = pm4py.read_xes(str(log))
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(model)))
    r = pm4py.fitness_alignments(events, net, im, fm, multi_processing=False)
    traces = len(pm4py.convert_to_event_log(events))
    return {
        "traces": traces,
        "fitting_traces": round(r["percentage_of_fitting_traces"] * traces / 100),
        "average_trace_fitness": r["average_trace_fitness"],
        "percentage_fitting_traces": r["percentage_of_fitting_traces"],
    }, time.time() - started


def compare(log, model, what):
    ours, our_time = flowsight(log, model)
    assert ours["not_computed_variants"] == 0, (what, ours)
    theirs, their_time = pm4py_figures(log, model)
    for key in KEYS:
        assert abs(ours[key] - theirs[key]) <= 1e-6, f"{what}: {key} {ours[key]} != pm4py {theirs[key]}"
    print(f"{what}: equal to pm4py (fitness {ours['average_trace_fitness']:.6f}, "
          f"{ours['percentage_fitting_traces']:.2f}% fitting; flowsight {our_time:.2f} s, pm4py {their_time:.1f} s)")


pairs = [("xes/running-example.xes", "bpmn/running-example.bpmn"), ("xes/08_receipt.xes.gz", "bpmn/receipt.bpmn")]
for log, model in pairs:
    compare(SHARED / log, SHARED / model, f"{log} against {model}")
with tempfile.TemporaryDirectory() as tmp:
    for name in LOGS:
        for noise in ["0", "0.2"]:
            model = Path(tmp) / f"{name}-{noise}.bpmn"
            subprocess.run([BIN, "mine", str(SHARED / "xes" / name), "--bpmn", str(model), "--noise", noise],
                           check=True, capture_output=True)
            compare(SHARED / "xes" / name, model, f"xes/{name} against its IMf model (noise {noise})")
