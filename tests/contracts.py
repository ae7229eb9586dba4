"""Where the vendors' contracts live: ../shared/contracts beside the project (never copied in).

Tests that need them call ``contract_file(...)``, which skips with a clear reason when absent.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def contracts_dir() -> Path:
    override = os.environ.get("PAYSYNC_CONTRACTS_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "contracts"


def contract_file(*parts: str) -> Path:
    path = contracts_dir().joinpath(*parts)
    if not path.is_file():
        pytest.skip(
            f"vendor contract {'/'.join(parts)} not found at {path}: these tests read the vendors' own files "
            "from ../shared/contracts (set PAYSYNC_CONTRACTS_DIR to point elsewhere); they are never copied "
            "into the project"
        )
    return path


@cache
def _load(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_contract(*parts: str) -> Any:
    return _load(str(contract_file(*parts)))
