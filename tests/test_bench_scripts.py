"""The benchmarks stay in step with the package: each script starts as it does when run by hand
(`python bench/NAME.py --help`: its imports resolve and its options parse), since a benchmark is
run by hand and nothing else would notice a renamed module."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
# The two modules the scripts share; they have no options of their own.
LIBRARIES = {"harness.py", "stages.py"}


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")))
def test_each_benchmark_starts(script):
    done = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True,
                          timeout=120, cwd=BENCH.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    if script not in LIBRARIES:
        assert "usage:" in done.stdout, done.stdout[-500:]
