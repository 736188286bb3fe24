"""Independent oracle: pm4py (AGPL, test-only, never a product dependency) mines each shared
XES log, and `flowsight mine --json` must report the same cases, events, activities,
variants, start/end activities and every directly-follows edge count.

Round trip: each log is imported into a fresh Flowsight store and exported again as XES;
pm4py reading the exported file must find the same statistics as reading the original, and
every column it reads from the original (event attributes and `case:` trace attributes) with
the same type and values, and no column the original lacks. fixtures/xes/every-attribute-type.xes
holds every XES attribute type at trace and event level.

OCEL: each OCEL 2.0 file given (but those relating events to objects they do not declare,
which pm4py drops and Flowsight keeps) is imported and exported again as OCEL 2.0 JSON and SQLite;
pm4py must read the same numbers of events, objects, event-object and object-object relations
and activities from the export as from the original, the same event and object ids, every
relation with its qualifier (an event related twice to one object with two qualifiers too), and
every object attribute value with the time it was set.

Case notions: for each OCEL file and each object type, the map whose cases are the objects of
that type (`export dfg --notion TYPE`) must have pm4py's DFG, start and end activities and case
count of the log flattened on that type (pm4py.ocel_flattening). Events at the same time keep
the file's order in Flowsight; pm4py's SQLite reader reorders them by event type, so the
flattened log is put back in the file's order before pm4py discovers its DFG.

Models: for the running example and the receipt log, the BPMN that Flowsight's Inductive Miner
writes at noise 0 must pass pm4py's BPMN reader and fit every trace: alignments on pm4py's own
BPMN → Petri net conversion must find 100% of traces fitting. (Alignments, not token-based
replay: token replay guesses paths through silent transitions and can miss fitting ones.)

ClickHouse: when FLOWSIGHT_CLICKHOUSE names a server (clickhouse://HOST:PORT, as
scripts/with-clickhouse.sh sets it), each XES log is also imported into a fresh ClickHouse
database: its exported DFG (counts and times) and variants must equal the embedded store's
exports (exactly, but for the medians, p95, minima and maxima the embedded store reads from its
quantile sketch: within 0.5 %), and its DFG, start/end activities and variant count must equal
pm4py's.

Interval logs: fixtures/xes/interval.xes carries pm4py's start_timestamp beside time:timestamp
(activities overlap): mine and the store order by start, then completion, as pm4py's DFG does,
and the store's service times equal pm4py's get_service_time.

Inductive Miner with noise: for each log, Flowsight's IMf model at noise 0, 0.2 and 0.5 must
hold every activity of the log, as pm4py's IMf does; fitness and precision of both (token-based
replay) are printed beside each other.

The generated demo flow (2,000 orders, NDJSON through the demo's mapping rules) is checked
too: imported, exported as XES, and that XES taken through every check above.

Usage: check_pm4py.py FLOWSIGHT_BINARY XES_FILE...
Prints one line per log and a closing 'N passed, N failed' line; exits 1 on any difference.
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
import pm4py  # noqa: E402
from pm4py.util import constants as pm4py_constants  # noqa: E402

# Keep CI logs readable: no progress bars from pm4py's importers and replays.
pm4py_constants.SHOW_PROGRESS_BAR = False


def pm4py_summary(path_or_log):
    log = pm4py.read_xes(path_or_log, show_progress_bar=False) if isinstance(path_or_log, str) else path_or_log
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


def attribute_differences(original, exported):
    """Every column pm4py reads from the original log (event and `case:` trace attributes) must
    come back from the export with the same type and values, event by event."""
    def ordered(df):
        return df.sort_values(["case:concept:name", "time:timestamp"], kind="mergesort").reset_index(drop=True)
    original, exported = ordered(original), ordered(exported)
    problems = []
    for column in original.columns:
        if column not in exported.columns:
            problems.append(f"{column} is missing")
        elif str(original[column].dtype) != str(exported[column].dtype):
            problems.append(f"{column} is {exported[column].dtype}, not {original[column].dtype}")
        elif not original[column].astype(str).equals(exported[column].astype(str)):
            problems.append(f"{column} has other values")
    invented = [c for c in exported.columns if c not in original.columns]
    if invented:
        problems.append(f"invented {', '.join(invented)}")
    return problems


def service_time_differences(binary, path, workdir, log):
    """For an interval log (events with start_timestamp): the service time of each activity in
    the store's bottleneck export must equal pm4py's mean service time."""
    store = os.path.join(workdir, "store")
    out = os.path.join(workdir, "bottlenecks.json")
    subprocess.run([binary, "import", "--store", store, path], check=True, capture_output=True)
    subprocess.run([binary, "export", "bottlenecks", "--format", "json", "--store", store, "--out", out],
                   check=True, capture_output=True)
    with open(out, encoding="utf-8") as f:
        ours = {a["activity"]: a["service"]["mean_s"] for a in json.load(f)["activities"]}
    theirs = pm4py.get_service_time(log, start_timestamp_key="start_timestamp", aggregation_measure="mean")
    return [f"{a}: {ours.get(a)} s, pm4py {v} s" for a, v in theirs.items()
            if ours.get(a) is None or abs(ours[a] - v) > 1e-6 * max(1.0, abs(v))]


# Figures the embedded store reads from its quantile sketch (within 0.5 %, see the README's
# "Always on"); every other figure must be equal.
SKETCHED = ("median_s", "p95_s", "min_s", "max_s")


def same_figures(exact, sketched, key=None):
    """Whether two exports hold the same figures: equal, but for sketched quantiles, which may
    differ by 0.5 % (and a microsecond of rounding)."""
    if isinstance(exact, dict) and isinstance(sketched, dict):
        return exact.keys() == sketched.keys() and all(same_figures(exact[k], sketched[k], k) for k in exact)
    if isinstance(exact, list) and isinstance(sketched, list):
        return len(exact) == len(sketched) and all(same_figures(a, b, key) for a, b in zip(exact, sketched))
    if key in SKETCHED and isinstance(exact, (int, float)) and isinstance(sketched, (int, float)):
        return abs(exact - sketched) <= 0.005 * abs(exact) + 1e-6
    return exact == sketched


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
                for what in ("dfg", "variants")
                if not same_figures(exports["clickhouse", what], exports["embedded", what])]
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


IMF_NOISE = (0.0, 0.2, 0.5)
# Token replay of these logs takes minutes in pm4py; their models are checked for activities only.
REPLAY_SKIPPED = ("bpic2012.xes.gz",)


def imf_comparison(binary, path, workdir, log):
    """Flowsight's and pm4py's IMf at each noise level: both models must hold every activity of
    the log (none may be filtered away); fitness and precision (token replay) are reported."""
    activities = set(log["concept:name"].unique())
    problems, lines = [], []
    for noise in IMF_NOISE:
        out = os.path.join(workdir, f"imf-{noise}.bpmn")
        subprocess.run([binary, "mine", path, "--bpmn", out, "--noise", str(noise)], check=True, capture_output=True)
        ours = pm4py.convert_to_petri_net(pm4py.read_bpmn(out))
        theirs = pm4py.discover_petri_net_inductive(log, noise_threshold=noise)
        line = f"noise {noise}"
        for who, (net, im, fm) in (("flowsight", ours), ("pm4py", theirs)):
            labels = {t.label for t in net.transitions if t.label is not None}
            if who == "flowsight" and labels != activities:
                problems.append(f"noise {noise}: the model lacks {sorted(activities - labels)}")
            if not path.endswith(REPLAY_SKIPPED):
                fitness = pm4py.fitness_token_based_replay(log, net, im, fm)["log_fitness"]
                precision = pm4py.precision_token_based_replay(log, net, im, fm)
                line += f"; {who} {len(labels)} activities, fitness {fitness:.3f}, precision {precision:.3f}"
            else:
                line += f"; {who} {len(labels)} activities"
        lines.append(line)
    return problems, lines


def ocel_counts(ocel):
    """Counts, and the ids and qualified relations themselves: event ids, (event, object,
    qualifier) and (object, object, qualifier) triples, each a sorted list (duplicates kept)."""
    def triples(frame, columns):
        return sorted(tuple(row) for row in frame[columns].astype(str).values.tolist())
    return {
        "events": len(ocel.events),
        "objects": len(ocel.objects),
        "e2o": len(ocel.relations),
        "o2o": len(ocel.o2o),
        "activities": int(ocel.events["ocel:activity"].nunique()),
        "event ids": sorted(ocel.events["ocel:eid"].astype(str)),
        "object ids": sorted(ocel.objects["ocel:oid"].astype(str)),
        "e2o with qualifiers": triples(ocel.relations, ["ocel:eid", "ocel:oid", "ocel:qualifier"]),
        "o2o with qualifiers": triples(ocel.o2o, ["ocel:oid", "ocel:oid_2", "ocel:qualifier"]),
        "object attributes": object_values(ocel.objects, []),
        "object attribute changes": object_values(ocel.object_changes, ["ocel:timestamp", "ocel:field"]),
    }


def object_values(frame, context):
    """Every set attribute value of objects (or of their changes): sorted (object, context...,
    attribute, value) tuples, numbers written alike whether pandas made them int or float."""
    def text(v):
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    skip = {"ocel:oid", "ocel:type", "@@cumcount", *context}
    attributes = [c for c in frame.columns if c not in skip]
    return sorted(
        (str(row["ocel:oid"]), *(str(row[c]) for c in context), a, text(row[a]))
        for _, row in frame.iterrows() for a in attributes if row[a] == row[a] and row[a] is not None
    )


def ocel_round_trip(binary, path, workdir, encoding):
    """Import an OCEL file into a fresh store, export it as OCEL 2.0 (`jsonocel` or `sqlite`),
    read the export with pm4py."""
    store = os.path.join(workdir, "store")
    out = os.path.join(workdir, "exported." + encoding)
    subprocess.run([binary, "import", "--store", store, path], check=True, capture_output=True)
    subprocess.run([binary, "export", "log", "--format", "ocel", "--store", store, "--out", out], check=True, capture_output=True)
    return ocel_counts(pm4py.read_ocel2(out))


def undeclared_relations(path):
    """How many event-object relations of an OCEL file (SQLite or JSON) name an object it does
    not declare."""
    if path.endswith(".sqlite"):
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM event_object WHERE ocel_object_id NOT IN "
                              "(SELECT ocel_id FROM object)").fetchone()[0]
    if path.endswith(".jsonocel"):
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
        declared = {o["id"] for o in log.get("objects", [])}
        return sum(1 for e in log.get("events", []) for r in e.get("relationships", [])
                   if r["objectId"] not in declared)
    return 0


def notion_differences(binary, path, workdir, ocel):
    """Imports an OCEL file; returns how each object type's case-notion map differs from
    pm4py's DFG of the log flattened on that type, and how many types there were."""
    store = os.path.join(workdir, "store")
    subprocess.run([binary, "import", "--store", store, path], check=True, capture_output=True)
    if path.endswith(".sqlite"):
        with sqlite3.connect(path) as db:
            order = [eid for (eid,) in db.execute("SELECT ocel_id FROM event ORDER BY rowid")]
    else:
        order = list(ocel.events["ocel:eid"])
    rank = {eid: i for i, eid in enumerate(order)}
    problems = []
    types = sorted(ocel.objects["ocel:type"].unique())
    for object_type in types:
        flat = pm4py.ocel_flattening(ocel, object_type)
        flat["file order"] = flat["ocel:eid"].map(rank)
        flat = flat.sort_values(["case:concept:name", "time:timestamp", "file order"], kind="stable")
        dfg, start, end = pm4py.discover_dfg(flat.reset_index(drop=True))
        out = os.path.join(workdir, "notion.json")
        subprocess.run([binary, "export", "dfg", "--format", "json", "--notion", object_type,
                        "--store", store, "--out", out], check=True, capture_output=True)
        with open(out, encoding="utf-8") as f:
            ours = json.load(f)
        expected = {
            "cases": int(flat["case:concept:name"].nunique()),
            "dfg": sorted([a, b, int(c)] for (a, b), c in dfg.items()),
            "start_activities": {k: int(v) for k, v in start.items()},
            "end_activities": {k: int(v) for k, v in end.items()},
        }
        got = {
            "cases": ours["cases"],
            "dfg": sorted([e["from"], e["to"], e["count"]] for e in ours["edges"]),
            "start_activities": ours["start_activities"],
            "end_activities": ours["end_activities"],
        }
        problems += [f"{object_type}: {k} differs" for k in expected if got[k] != expected[k]]
    return problems, len(types)


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
    demo_path = demo_log(binary, demo_dir.name)
    logs.append(demo_path)
    own = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "xes")
    logs += [os.path.join(own, "every-attribute-type.xes"), os.path.join(own, "interval.xes")]

    def verdict(what, problems, detail):
        nonlocal passed, failed
        if problems:
            failed += 1
            print(f"FAIL {what}: {'; '.join(problems)}")
        else:
            passed += 1
            print(f"ok   {what}: {detail}")

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
        dangling = undeclared_relations(path)
        if dangling:
            print(f"skip ocel round-trip {path}: {dangling} event-object relations name objects the file "
                  "does not declare; Flowsight keeps them (type 'object'), pm4py drops them")
        for encoding in ("jsonocel", "sqlite") if not dangling else ():
            with tempfile.TemporaryDirectory() as workdir:
                got = ocel_round_trip(binary, path, workdir, encoding)
            differences = [f"pm4py reads other {k} from our export" for k in expected if got[k] != expected[k]]
            counts = {k: v for k, v in got.items() if isinstance(v, int)}
            verdict(f"ocel round-trip {path} via {encoding}", differences,
                    f"{counts}, ids, qualifiers and object attributes equal")
        with tempfile.TemporaryDirectory() as workdir:
            problems, types = notion_differences(binary, path, workdir, pm4py.read_ocel2(path))
        verdict(f"case notions {path}", problems, f"each of {types} object types' map equals pm4py's flattened DFG")
    for path in logs:
        original = pm4py.read_xes(path, show_progress_bar=False)
        expected = pm4py_summary(original.copy())
        report("mine", path, expected, flowsight_summary(binary, path))
        with tempfile.TemporaryDirectory() as workdir:
            exported = pm4py.read_xes(exported_copy(binary, path, workdir), show_progress_bar=False)
            report("round-trip", path, expected, pm4py_summary(exported.copy()))  # pm4py adds columns
            if path != demo_path:
                verdict(f"attributes round-trip {path}", attribute_differences(original, exported),
                        "every column back with its type and values")
        if os.environ.get("FLOWSIGHT_CLICKHOUSE"):
            with tempfile.TemporaryDirectory() as workdir:
                problems = clickhouse_matches(binary, path, workdir, expected)
            verdict(f"clickhouse {path}", problems, "DFG and variants equal the embedded store's and pm4py's")
        if "start_timestamp" in original.columns:
            with tempfile.TemporaryDirectory() as workdir:
                problems = service_time_differences(binary, path, workdir, original)
            verdict(f"service times {path}", problems, "every activity's mean equals pm4py's")
        if path != demo_path:
            with tempfile.TemporaryDirectory() as workdir:
                problems, lines = imf_comparison(binary, path, workdir, original)
            verdict(f"imf {path}", problems, f"every activity in the model at noise {', '.join(map(str, IMF_NOISE))}")
            for line in lines:
                print(f"     imf {path}: {line}")
        if path.endswith(MODEL_LOGS):
            with tempfile.TemporaryDirectory() as workdir:
                fitness = model_fitness(binary, path, workdir)
            problems = [] if fitness["percentage_of_fitting_traces"] == 100.0 else [str(fitness)]
            verdict(f"model {path}", problems, "pm4py reads the BPMN; alignments fit every trace")
    print(f"pm4py: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
