"""The OTLP tests use the flowsight processes of tests/support/flowsight.py."""

from flowsight import processes  # noqa: F401  (a fixture)
