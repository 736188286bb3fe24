"""`make bench` companion: pm4py's XES import and DFG discovery time on the same log, measured
on this machine in the same run as Flowsight's bench (pm4py is test-only: AGPL).

Usage: bench_pm4py.py XES_FILE [RUNS]
"""

import statistics
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import pm4py  # noqa: E402


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    imports, dfgs = [], []
    for _ in range(runs):
        start = time.perf_counter()
        log = pm4py.read_xes(path, show_progress_bar=False)
        imports.append(time.perf_counter() - start)
        start = time.perf_counter()
        pm4py.discover_dfg(log)
        dfgs.append(time.perf_counter() - start)
    print(f"bench pm4py        {path}: {len(log)} events, median of {runs}")
    print(f"  pm4py           import {statistics.median(imports):.3f} s   discovery {statistics.median(dfgs):.3f} s (DFG)")


if __name__ == "__main__":
    main()
