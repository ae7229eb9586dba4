"""The demo path, as a user runs it: `python -m local.demo` over moto server and the fakes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.contracts import REPO_ROOT

pytestmark = pytest.mark.e2e


def test_make_demo_path_runs_the_night_twice_and_posts_nothing_twice() -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "SILAE_", "MYUNISOFT_"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "local.demo"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr[-3000:]
    assert "8 dossier(s) dû(s), 8 run(s) créé(s)" in out
    for expected in (
        "SILAE10 — Vous n'avez pas de droits en paie sur le dossier",
        "SILAE6 — Aucun journal d'OD PAIE n'est paramétré.",
        "SILAE4 — Aucun code dossier n'est paramétré",
        "SubscriptionKeyConflict",
        "COMPTE2 — Le compte suivant n'existe pas dans MyUnisoft : 438600",
        "statut : PARTIEL",
    ):
        assert expected in out, expected
    assert out.count("statut : OK") == 3
    assert "écritures nouvelles dans MyUnisoft : 0" in out
    # Secrets of the demo world never reach the output.
    for secret in (
        "secret-dupont-71b2",
        "key-dupont-aa01",
        "tok-cabinet-dupont",
        "demo-partner-secret-9f8e7d",
    ):
        assert secret not in out and secret not in result.stderr
