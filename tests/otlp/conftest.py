"""The OTLP tests use the flowsight processes of tests/support/flowsight.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from flowsight import processes  # noqa: E402,F401  (a fixture)
