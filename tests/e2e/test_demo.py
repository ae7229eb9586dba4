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
    # The morning after: one email per firm (reminder + failures), then nothing more.
    assert "→ 2 e-mail(s), un par cabinet" in out
    assert (
        "Objet : Votre clé d'API de paie expire dans 6 jours et 2 synchronisations ont échoué — Fiduciaire Lemoine"
        in out
    )
    assert "Objet : La synchronisation de la paie a échoué pour 2 dossiers — Cabinet Dupont & Associés" in out
    assert "Gestion des clients secrets" in out
    assert "0 e-mail envoyé (jamais deux fois le même)" in out
    # The books stay true to Silae: a correction after posting, found, replaced once.
    assert "PAIE-MODIFIEE — L'OD de paie de" in out and "compte 641100 : 23780.50 → 24230.50" in out
    assert "annulation de la version 1" in out and "nouvelle version 2" in out
    assert "Solde par compte égal à l'OD de paie actuelle de Silae : oui" in out
    assert "Remplacement relancé : 0 écriture envoyée" in out
    for firm in ("fiduciaire-lemoine", "cabinet-dupont"):
        html = REPO_ROOT / ".demo" / "emails" / f"{firm}.html"
        assert f"(version HTML : .demo/emails/{firm}.html)" in out and html.is_file()
    # Secrets of the demo world never reach the output.
    for secret in (
        "secret-dupont-71b2",
        "secret-lemoine-0c4d",
        "key-dupont-aa01",
        "tok-cabinet-dupont",
        "demo-partner-secret-9f8e7d",
    ):
        assert secret not in out and secret not in result.stderr
