"""Independent oracle: pm4py (AGPL, test-only, never a product dependency) mines each shared
XES log, and `flowsight mine --json` must report the same cases, events, activities,
variants, start/end activities and every directly-follows edge count.

Usage: check_pm4py.py FLOWSIGHT_BINARY XES_FILE...
Prints one line per log and a closing 'N passed, N failed' line; exits 1 on any difference.
"""

import json
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")
import pm4py  # noqa: E402


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


def main():
    binary, logs = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    for path in logs:
        expected, got = pm4py_summary(path), flowsight_summary(binary, path)
        diff = [k for k in expected if expected[k] != got.get(k)]
        if diff:
            failed += 1
            print(f"FAIL {path}: differs in {', '.join(diff)}")
        else:
            passed += 1
            print(f"ok   {path}: {got['cases']} cases, {got['events']} events, {got['df_edges']} edges equal pm4py")
    print(f"pm4py: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
