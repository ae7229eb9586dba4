"""What the fake MyUnisoft's tests share: the world the ``fake`` fixture sets up, request headers,
the error shape every refusal must have, a dossier's books and an entry body."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from local.fakes.myunisoft import CATALOGUE, FakeMyUnisoft

SECRET = "partner-secret-1"
TOKEN = "society-token-1"
CABINET = "cabinet-token-1"
SOCIETY, OTHER_SOCIETY, FOREIGN_SOCIETY = 3, 4, 99


def auth(token: str = TOKEN, secret: str | None = SECRET, society: int | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if secret is not None:
        headers["X-Third-Party-Secret"] = secret
    if society is not None:
        headers["society-id"] = str(society)
    return headers


def assert_error(response: httpx.Response, code: str, status: int | None = None) -> dict[str, Any]:
    """The documented error shape, the catalogue's message, request ids that agree."""
    assert response.status_code == (status or CATALOGUE[code][0]), response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert error["message"] == CATALOGUE[code][1] or "%1" in CATALOGUE[code][1]
    details = error["details"]
    assert {"url", "method", "requestedAt", "requestId"} <= set(details)
    assert details["requestId"] == response.headers["request-id"]
    assert details["method"] == response.request.method
    assert details["url"].endswith(response.request.url.raw_path.decode())
    return dict(error)


def setup_books(fake: FakeMyUnisoft, society: int = SOCIETY) -> dict[str, int]:
    ids = {
        "diary": fake.add_diary(society, "30", "JOURNAL DE PAIE"),
        "421": fake.add_account(society, "421000", "PERSONNEL REMUNERATIONS DUES"),
        "641": fake.add_account(society, "641100", "SALAIRES"),
        "open": fake.add_exercice(society, "2024-01-01", "2024-12-31"),
        "closed": fake.add_exercice(society, "2023-01-01", "2023-12-31", closed=True),
    }
    return ids


def entry_body(ids: dict[str, int], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "entry_list": [
            {
                "account_id": ids["641"],
                "label": "Salaires",
                "debit": 1234.56,
                "credit": 0,
                "deadline": "2024-03-31",
            },
            {
                "account_id": ids["421"],
                "label": "Net à payer",
                "debit": 0,
                "credit": 1234.56,
                "deadline": "2024-03-31",
            },
        ],
        "date_piece": "2024-03-31",
        "period_from": "2024-03-01",
        "period_to": "2024-03-31",
        "etablissement_id": SOCIETY,
        "diary_id": ids["diary"],
        "entry_origin_partner_id": "paysync-3-2024-03-a",
        "json": '{"source": "paysync"}',
        "pj_list": [
            {"name": "journal.pdf", "type": "application/pdf", "content": base64.b64encode(b"%PDF").decode()}
        ],
    }
    body.update(overrides)
    return body
