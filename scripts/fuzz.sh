#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets) for SECONDS each (default 600) with libFuzzer on
# nightly, growing the committed corpus in fuzz/corpus/TARGET; a crash is kept in fuzz/artifacts/TARGET
# and the run stops with its name. Prints one line of figures per target for the README.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(xes csv ocel_json ocel_xml ndjson otlp)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
target_dir=${FUZZ_TARGET_DIR:-$HOME/.cache/flowsight/fuzz-target}
flags=(--features libfuzzer --sanitizer none --target-dir "$target_dir")
cargo +nightly fuzz build "${flags[@]}"
for target in "${targets[@]}"; do
    log=$(mktemp)
    before=$(ls "fuzz/corpus/$target" | wc -l)
    cargo +nightly fuzz run "${flags[@]}" "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 -print_final_stats=1 >"$log" 2>&1 || {
        tail -40 "$log"
        echo "fuzz target $target failed: see fuzz/artifacts/$target" >&2
        exit 1
    }
    # Keep one input per covered edge (not per hit-count bucket): a corpus small enough to commit.
    cargo +nightly fuzz cmin "${flags[@]}" "$target" -- -use_counters=0 -max_len=65536 >/dev/null 2>&1
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    edges=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    echo "$target: ${seconds}s, ${runs} inputs run, ${edges} edges covered, corpus ${before} -> $(ls "fuzz/corpus/$target" | wc -l) files, no crash"
    rm -f "$log"
done
