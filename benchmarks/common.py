"""What every benchmark returns, and how the table and results.json are written."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results.json"

Verdict = Literal["pass", "fail", "info"]


@dataclass
class Result:
    """One measured value, the goal it is held to, and what it was compared with.

    ``compared_with`` names the bound or baseline (``bound``: its value); ``verdict`` is ``info``
    for a value reported without a goal.
    """

    name: str
    value: float | None  # None: could not be measured (see details["error"])
    unit: str
    goal: str
    compared_with: str
    bound: float | None
    verdict: Verdict
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["pass"] = None if self.verdict == "info" else self.verdict == "pass"
        return data


def verdict(ok: bool) -> Verdict:
    return "pass" if ok else "fail"


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
    }


def _number(value: float | None) -> str:
    if value is None:
        return "error"
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def table(results: Sequence[Result]) -> str:
    rows = [("benchmark", "value", "unit", "goal", "compared with", "")]
    for r in results:
        mark = {"pass": "PASS", "fail": "FAIL", "info": "-"}[r.verdict]
        bound = f" ({_number(r.bound)})" if r.bound is not None else ""
        rows.append((r.name, _number(r.value), r.unit, r.goal, r.compared_with + bound, mark))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write(results: Sequence[Result], path: Path, extra: dict[str, Any] | None = None) -> None:
    """``path``: a JSON list of result objects (the machine and settings are repeated in each)."""
    context = {"machine": machine(), **(extra or {})}
    data = [{**r.as_dict(), "context": context} for r in results]
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
