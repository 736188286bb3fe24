"""Independent oracle: pm4py (AGPL, test-only, never a product dependency) mines each shared
XES log, and `flowsight mine --json` must report the same cases, events, activities,
variants, start/end activities and every directly-follows edge count.

Round trip: each log is imported into a fresh Flowsight store and exported again as XES;
pm4py reading the exported file must find the same statistics as reading the original.

OCEL: each OCEL 2.0 file given is imported and exported again as OCEL 2.0 JSON; pm4py must
read the same numbers of events, objects, event-object and object-object relations and
activities from the export as from the original.

Models: for the running example and the receipt log, the BPMN that Flowsight's Inductive Miner
writes at noise 0 must pass pm4py's BPMN reader and fit every trace: alignments on pm4py's own
BPMN → Petri net conversion must find 100% of traces fitting. (Alignments, not token-based
replay: token replay guesses paths through silent transitions and can miss fitting ones.)

ClickHouse: when FLOWSIGHT_CLICKHOUSE names a server (clickhouse://HOST:PORT, as
scripts/with-clickhouse.sh sets it), each XES log is also imported into a fresh ClickHouse
database: its exported DFG (counts and times) and variants must equal the embedded store's
exports exactly, and its DFG, start/end activities and variant count must equal pm4py's.

The generated demo flow (2,000 orders, NDJSON through the demo's mapping rules) is checked
too: imported, exported as XES, and that XES taken through every check above.

Usage: check_pm4py.py FLOWSIGHT_BINARY XES_FILE...
Prints one line per log and a closing 'N passed, N failed' line; exits 1 on any difference.
"""

import json
import os
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
import pm4py  # noqa: E402
from pm4py.util import constants as pm4py_constants  # noqa: E402

# Keep CI logs readable: no progress bars from pm4py's importers and replays.
pm4py_constants.SHOW_PROGRESS_BAR = False


def pm4py_summary(path):
    log = pm4py.read_xes(path, show_progress_bar=False)
    dfg, start, end = pm4py.discover_dfg(log)
    variants = pm4py.get_variants(log)
    return {
        "cases": int(log["case:concept:name"].nunique()),
        "events": int(len(log)),
        "activities": int(log["concept:name"].nunique()),
        "variants": len(variants),
        "df_edges": len(dfg),
        "dfg": sorted([a, b, int(c)] for (a, b), c in dfg.items()),
        "start_activities": {k: int(v) for k, v in start.items()},
        "end_activities": {k: int(v) for k, v in end.items()},
    }


def flowsight_summary(binary, path):
    out = subprocess.run([binary, "mine", path, "--json"], check=True, capture_output=True, text=True).stdout
    ours = json.loads(out)
    ours["dfg"] = sorted(list(e) for e in ours["dfg"])
    return ours


def exported_copy(binary, path, workdir):
    store = os.path.join(workdir, "store")
    out = os.path.join(workdir, "exported.xes")
    subprocess.run([binary, "import", "--store", store, path], check=True, capture_output=True)
    subprocess.run([binary, "export", "log", "--store", store, "--out", out], check=True, capture_output=True)
    return out


def clickhouse_matches(binary, path, workdir, expected):
    """Imports `path` into an embedded store and into a fresh ClickHouse database; returns the
    differences between their DFG and variant exports, and between ClickHouse's and pm4py's."""
    server = os.environ["FLOWSIGHT_CLICKHOUSE"].rstrip("/")
    name = "".join(c if c.isalnum() else "_" for c in os.path.basename(path))
    stores = {
        "embedded": os.path.join(workdir, "store"),
        "clickhouse": f"{server}/pm4py_{name}_{os.getpid()}",
    }
    exports = {}
    for kind, store in stores.items():
        subprocess.run([binary, "import", "--store", store, path], check=True, capture_output=True)
        for what in ("dfg", "variants"):
            out = os.path.join(workdir, f"{kind}-{what}.json")
            subprocess.run([binary, "export", what, "--format", "json", "--store", store, "--out", out],
                           check=True, capture_output=True)
            with open(out, encoding="utf-8") as f:
                exports[kind, what] = json.load(f)
    problems = [f"{what} differs from the embedded store's"
                for what in ("dfg", "variants") if exports["clickhouse", what] != exports["embedded", what]]
    dfg = exports["clickhouse", "dfg"]
    got = {
        "dfg": sorted([e["from"], e["to"], e["count"]] for e in dfg["edges"]),
        "start_activities": dfg["start_activities"],
        "end_activities": dfg["end_activities"],
        "variants": len(exports["clickhouse", "variants"]),
    }
    problems += [f"{k} differs from pm4py's" for k in got if got[k] != expected[k]]
    return problems


MODEL_LOGS = ("running-example.xes", "08_receipt.xes.gz")


def model_fitness(binary, path, workdir):
    out = os.path.join(workdir, "model.bpmn")
    subprocess.run([binary, "mine", path, "--bpmn", out, "--noise", "0"], check=True, capture_output=True)
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(out))
    log = pm4py.read_xes(path, show_progress_bar=False)
    return pm4py.fitness_alignments(log, net, im, fm)


def ocel_counts(ocel):
    return {
        "events": len(ocel.events),
        "objects": len(ocel.objects),
        "e2o": len(ocel.relations),
        "o2o": len(ocel.o2o),
        "activities": int(ocel.events["ocel:activity"].nunique()),
    }


def ocel_round_trip(binary, path, workdir, encoding):
    """Import an OCEL file into a fresh store, export it as OCEL 2.0 (`jsonocel` or `sqlite`),
    read the export with pm4py."""
    store = os.path.join(workdir, "store")
    out = os.path.join(workdir, "exported." + encoding)
    subprocess.run([binary, "import", "--store", store, path], check=True, capture_output=True)
    subprocess.run([binary, "export", "log", "--format", "ocel", "--store", store, "--out", out], check=True, capture_output=True)
    return ocel_counts(pm4py.read_ocel2(out))


def demo_log(binary, workdir):
    """The generated order flow as XES: generated, imported with the demo's rules, exported."""
    stream = os.path.join(workdir, "orders.ndjson")
    store = os.path.join(workdir, "demo-store")
    out = os.path.join(workdir, "demo-orders.xes")
    subprocess.run([binary, "generate", "--orders", "2000", "--out", stream], check=True, capture_output=True)
    config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "order-flow.toml")
    subprocess.run([binary, "import", "--config", config, "--store", store, stream], check=True, capture_output=True)
    subprocess.run([binary, "export", "log", "--store", store, "--out", out], check=True, capture_output=True)
    return out


def main():
    binary, logs = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    demo_dir = tempfile.TemporaryDirectory()
    logs.append(demo_log(binary, demo_dir.name))

    def report(what, path, expected, got):
        nonlocal passed, failed
        diff = [k for k in expected if expected[k] != got.get(k)]
        if diff:
            failed += 1
            print(f"FAIL {what} {path}: differs in {', '.join(diff)}")
        else:
            passed += 1
            print(f"ok   {what} {path}: {got['cases']} cases, {got['events']} events, {got['df_edges']} edges equal pm4py")

    ocel_logs = [p for p in logs if p.endswith((".jsonocel", ".xmlocel", ".sqlite"))]
    logs = [p for p in logs if p not in ocel_logs]
    for path in ocel_logs:
        expected = ocel_counts(pm4py.read_ocel2(path))
        for encoding in ("jsonocel", "sqlite"):
            with tempfile.TemporaryDirectory() as workdir:
                got = ocel_round_trip(binary, path, workdir, encoding)
            if got == expected:
                passed += 1
                print(f"ok   ocel round-trip {path} via {encoding}: {got}")
            else:
                failed += 1
                print(f"FAIL ocel round-trip {path} via {encoding}: pm4py reads {got} from our export, {expected} from the original")
    for path in logs:
        expected = pm4py_summary(path)
        report("mine", path, expected, flowsight_summary(binary, path))
        with tempfile.TemporaryDirectory() as workdir:
            report("round-trip", path, expected, pm4py_summary(exported_copy(binary, path, workdir)))
        if os.environ.get("FLOWSIGHT_CLICKHOUSE"):
            with tempfile.TemporaryDirectory() as workdir:
                problems = clickhouse_matches(binary, path, workdir, expected)
            if problems:
                failed += 1
                print(f"FAIL clickhouse {path}: {'; '.join(problems)}")
            else:
                passed += 1
                print(f"ok   clickhouse {path}: DFG and variants equal the embedded store's and pm4py's")
        if path.endswith(MODEL_LOGS):
            with tempfile.TemporaryDirectory() as workdir:
                fitness = model_fitness(binary, path, workdir)
            if fitness["percentage_of_fitting_traces"] == 100.0:
                passed += 1
                print(f"ok   model {path}: pm4py reads the BPMN; alignments fit every trace")
            else:
                failed += 1
                print(f"FAIL model {path}: {fitness}")
    print(f"pm4py: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
