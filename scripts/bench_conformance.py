"""`make bench` companion: conformance of a log against its IMf model (noise 0.2), Flowsight's
`check` beside pm4py's `fitness_alignments` on the same machine: wall time, peak memory, and
the figures (which must agree). pm4py is test-only (AGPL).

Usage: bench_conformance.py FLOWSIGHT XES_FILE [PM4PY_TIMEOUT_SECONDS]
pm4py runs in a child process; past the timeout it is stopped and reported as slower than that.
"""

import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")


def pm4py_run(log_path, model_path, out):
    import pm4py

    log = pm4py.read_xes(log_path, show_progress_bar=False)
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(model_path))
    started = time.perf_counter()
    r = pm4py.fitness_alignments(log, net, im, fm, multi_processing=False)
    out.put((time.perf_counter() - started, r["average_trace_fitness"], r["percentage_of_fitting_traces"],
             resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def main():
    flowsight, log = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 3600
    with tempfile.TemporaryDirectory() as tmp:
        model = str(Path(tmp) / "model.bpmn")
        subprocess.run([flowsight, "mine", log, "--bpmn", model, "--noise", "0.2"], check=True, capture_output=True)
        started = time.perf_counter()
        out = subprocess.run(["/usr/bin/time", "-f", "%M", flowsight, "check", log, "--model", model, "--json"],
                             check=True, capture_output=True, text=True)
        ours = time.perf_counter() - started
        figures = json.loads(out.stdout)
        rss = int(out.stderr.strip().splitlines()[-1]) / 1024
        print(f"bench conformance  {log} against its IMf model (noise 0.2): {figures['traces']} traces, {figures['variants']} variants")
        print(f"  flowsight check  {ours:.1f} s, peak {rss:.0f} MiB: fitness {figures['average_trace_fitness']:.6f}, "
              f"{figures['percentage_fitting_traces']:.2f}% fitting, {figures['not_computed_variants']} variants not computed")
        queue = multiprocessing.Queue()
        child = multiprocessing.Process(target=pm4py_run, args=(log, model, queue))
        child.start()
        child.join(timeout)
        if child.is_alive():
            child.terminate()
            print(f"  pm4py            stopped after {timeout:.0f} s (more than {timeout / ours:.0f}x flowsight)")
            return
        seconds, fitness, fitting, peak = queue.get()
        print(f"  pm4py            {seconds:.1f} s, peak {peak:.0f} MiB: fitness {fitness:.6f}, {fitting:.2f}% fitting "
              f"({seconds / ours:.0f}x flowsight's time)")


if __name__ == "__main__":
    main()
