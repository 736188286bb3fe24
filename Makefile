# Flowsight: `make demo` runs the demo, `make test` runs every test (what CI runs).

VENV ?= $(HOME)/.cache/flowsight/venv
SHARED ?= $(abspath $(CURDIR)/../shared)
PROMTOOL ?= $(HOME)/.cache/flowsight/promtool/usr/bin/promtool
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
export FLOWSIGHT_SHARED := $(SHARED)

.PHONY: demo dist test setup lint alert-rules rust-tests long-stream-test clickhouse-tests browser-tests kafka-tests otlp-tests pm4py-check bench

## demo: build, generate 5,000 orders, ingest them over HTTP into ./data and serve http://127.0.0.1:8080
demo:
	cargo build --release
	$(TARGET_DIR)/release/flowsight demo --store ./data --listen 127.0.0.1:8080

## dist: the release binary to ship, without debug information (dist/flowsight, about 27 MB), and
##       that information kept beside it (dist/flowsight.debug; gdb and perf find it through a debug link)
dist:
	cargo build --profile dist
	mkdir -p dist
	objcopy --only-keep-debug $(TARGET_DIR)/dist/flowsight dist/flowsight.debug
	objcopy --strip-debug --add-gnu-debuglink=dist/flowsight.debug $(TARGET_DIR)/dist/flowsight dist/flowsight

## test: lint, the alerting rules (promtool), Rust unit/integration/end-to-end tests, ClickHouse store tests on a real server (and its SQL on current ClickHouse), browser tests,
##       Kafka tests on a real broker, OTLP tests with the OpenTelemetry SDK, pm4py oracle check
test: setup lint alert-rules rust-tests long-stream-test clickhouse-tests browser-tests kafka-tests otlp-tests pm4py-check

setup:
	bash scripts/setup-test-deps.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p flowsight --no-default-features --all-targets -- -D warnings
	! cargo tree -p flowsight --no-default-features -e normal | grep -E 'rdkafka|clickhouse v'
	! cargo tree -p flowsight-miner -e normal | grep -E 'tokio|rusqlite|rdkafka|tonic'
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec deploy/compose.yaml

# The shipped Prometheus alerting rules: valid, and firing as their unit tests say.
alert-rules:
	cd deploy/prometheus && $(PROMTOOL) check rules flowsight-alerts.yml && $(PROMTOOL) test rules flowsight-alerts.test.yml

rust-tests:
	cargo test --workspace

# Two million events through the embedded store: the importer's memory stays flat (a few minutes, alone).
long-stream-test: rust-tests
	cargo test --test long_stream -- --ignored

# The Rust tests that need a ClickHouse server are marked ignored in a plain `cargo test`; here they run against one.
clickhouse-tests: rust-tests
	bash scripts/with-clickhouse.sh cargo test --workspace -- --ignored
	FLOWSIGHT_BIN=$(TARGET_DIR)/debug/flowsight $(VENV)/bin/pytest -q -p no:cacheprovider tests/clickhouse

browser-tests: rust-tests
	FLOWSIGHT_BIN=$(TARGET_DIR)/debug/flowsight $(VENV)/bin/pytest -q -p no:cacheprovider tests/browser

kafka-tests: rust-tests
	FLOWSIGHT_BIN=$(TARGET_DIR)/debug/flowsight bash scripts/with-kafka.sh $(VENV)/bin/pytest -q -p no:cacheprovider tests/kafka

otlp-tests: rust-tests
	FLOWSIGHT_BIN=$(TARGET_DIR)/debug/flowsight $(VENV)/bin/pytest -q -p no:cacheprovider tests/otlp

pm4py-check: rust-tests
	bash scripts/with-clickhouse.sh $(VENV)/bin/python scripts/check_pm4py.py $(TARGET_DIR)/debug/flowsight $(wildcard $(SHARED)/fixtures/xes/*.xes) $(wildcard $(SHARED)/fixtures/xes/*.xes.gz) $(wildcard $(SHARED)/fixtures/ocel/ocel20_example.*) $(wildcard $(SHARED)/fixtures/ocel/logistics.sqlite)
	$(VENV)/bin/python scripts/check_alignments_pm4py.py $(TARGET_DIR)/debug/flowsight $(SHARED)/fixtures 2>/dev/null

## bench: XES import and discovery on BPIC 2012 beside process_mining and pm4py; the Inductive Miner on 200-2,000 activities; HTTP ingest rate and page render times on demo data;
##        embedded store append rate; page answers from the process state up to 10M events; collector memory per live key; OTLP/HTTP spans/s; Kafka -> store throughput and the collector's peak memory;
##        key discovery over 100,000 sampled messages; conformance of BPIC 2012 against its IMf model beside pm4py;
##        ClickHouse ingest of 10M events and the map query on ClickHouse beside the embedded store;
##        how soon a Kafka collector killed with SIGKILL consumes again after its restart
bench: setup
	cargo bench -p flowsight-miner --bench xes_dfg
	cargo bench -p flowsight-miner --bench inductive
	$(VENV)/bin/python scripts/bench_pm4py.py $(SHARED)/fixtures/xes/bpic2012.xes.gz 3 2>/dev/null
	cargo build --release
	$(VENV)/bin/python scripts/bench_conformance.py $(TARGET_DIR)/release/flowsight $(SHARED)/fixtures/xes/bpic2012.xes.gz 3600 2>/dev/null
	cargo bench -p flowsight-web --bench pages
	cargo bench -p flowsight-collector --bench append
	cargo bench -p flowsight-collector --bench process_state
	cargo bench -p flowsight-collector --bench live_memory
	cargo bench -p flowsight-collector --bench otlp
	cargo bench -p flowsight-collector --bench discover
	bash scripts/with-clickhouse.sh cargo bench -p flowsight-collector --bench clickhouse
	cargo build --release
	PYTHONPATH=tests/support:tests/kafka bash scripts/with-kafka.sh $(VENV)/bin/python scripts/bench_kafka.py $(TARGET_DIR)/release/flowsight 127.0.0.1:9092 50000
	bash scripts/with-kafka.sh $(VENV)/bin/python scripts/kafka_restart_delay.py $(TARGET_DIR)/release/flowsight
