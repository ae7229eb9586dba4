"""`make bench` cannot rot: every benchmark runs at a toy size and writes results of the right shape.

No figure is checked here (at this size they mean nothing, and no test asserts a wall-clock time):
only that each benchmark ran, through the real handlers, and said what it compared with.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KEYS = {"name", "value", "unit", "goal", "compared_with", "bound", "verdict", "pass", "details", "context"}


def test_every_benchmark_runs_at_a_tiny_size_and_writes_its_results(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    answer = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", "benchmarks.run", "--tiny", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang (a shared 2-CPU machine under load needs minutes)
        check=False,
    )
    # 1: a goal missed, which a toy size may well do; anything else is a crash.
    assert answer.returncode in (0, 1), answer.stderr[-3000:]
    results = json.loads(output.read_text(encoding="utf-8"))
    assert isinstance(results, list) and results
    for result in results:
        assert set(result) == KEYS, result["name"]
        assert result["verdict"] in ("pass", "fail", "info")
        assert result["pass"] is (None if result["verdict"] == "info" else result["verdict"] == "pass")
        assert "could not run" not in result["name"], result["details"]
        assert isinstance(result["value"], int | float), result
        assert result["context"]["machine"]["cpu_count"] and result["context"]["machine"]["python"]
    names = [r["name"] for r in results]
    for number in "12345":
        assert any(name.startswith(f"{number}.") for name in names), number
    # Every handler is measured, including those added after the benchmark was written.
    for app in REPO.glob("functions/*/app.py"):
        assert f"3. cold start {app.parent.name} / boto3" in names
    for month in ("cold", "steady"):
        night = next(r for r in results if r["name"] == f"1. night makespan / floor ({month})")
        assert night["details"]["problems"] == [] and night["details"]["group_overlaps"] == 0
    for month in ("cold", "steady"):
        big = next(r for r in results if r["name"] == f"1b. 2000-dossier night makespan / floor ({month})")
        assert big["details"]["problems"] == [] and big["details"]["group_overlaps"] == 0
        assert big["details"]["time"] == "virtual" and big["details"]["clock_advances"] > 0
    assert any(name.startswith("1b. 2000-dossier night, tokens of ") for name in names)
    # The table is printed, with the machine it ran on.
    assert "CPU, Python" in answer.stdout and "1. night makespan / floor (steady)" in answer.stdout
