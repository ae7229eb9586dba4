"""A script run in a fresh interpreter of this venv with the project's code on its path: what a
module does when a process starts (imports, cold starts) cannot be seen from inside the test run."""

from __future__ import annotations

import subprocess
import sys

from tests.contracts import REPO_ROOT


def run_script(script: str, environment: dict[str, str]) -> str:
    """The script's standard output; ``environment`` is all the child sees besides PYTHONPATH."""
    answer = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        env={"PYTHONPATH": f"{REPO_ROOT / 'layers' / 'paysync'}:{REPO_ROOT}", **environment},
        timeout=120,
    )
    return answer.stdout
