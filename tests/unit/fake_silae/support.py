"""What the fake Silae's tests share: the clock and credentials the ``fake`` fixture sets up, the
operations' paths, and token and API calls over plain httpx."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from paysync.config import SILAE_DEFAULT_SCOPE
from paysync.domain.periods import Period

NOW = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)
CLIENT_ID, SECRET, KEY = "cid", "the-secret", "the-key"
MAY = Period(2030, 5)
LIST = "/payroll/v1/InfosTechniquesDossiers/ListeNumerosDossiers"
ENTRIES = "/payroll/v1/EcrituresComptables/EcrituresComptables4"
FILES = "/payroll/v1/EcrituresComptables/RecupererFichiersEcrituresComptables"
MAY_BODY = {"numeroDossier": "D1", "periodeDebut": "2030-05-01T00:00:00", "periodeFin": "2030-05-31T00:00:00"}


def token_form(**overrides: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "scope": SILAE_DEFAULT_SCOPE,
        **overrides,
    }


def get_token(http: httpx.Client, **overrides: str) -> str:
    response = http.post("/oauth2/v2.0/token", data=token_form(**overrides))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def call(
    http: httpx.Client,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    key: str | None = KEY,
    dossiers: str | None = None,
) -> httpx.Response:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["Ocp-Apim-Subscription-Key"] = key
    if dossiers is not None:
        headers["dossiers"] = dossiers
    return (
        http.post(path, headers=headers, json=body) if body is not None else http.post(path, headers=headers)
    )
