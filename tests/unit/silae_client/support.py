"""What the SilaeClient tests share: the firm's credentials, the payroll the fake serves, a sleep
that only remembers, and the check that no secret leaked into an error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from paysync.domain.periods import Period
from paysync.silae.client import SilaeClient

PARIS_OFFSET_SUMMER = timedelta(hours=2)
CLIENT_ID = "client-cabinet-1"
SECRET = "s3cr3t-Client-Secret-value"
KEY = "primary-subscription-key-0123"
MAY = Period(2024, 5)
# For clients whose transport is mocked: no request reaches these hosts.
MOCKED_URLS = {"auth_url": "https://auth.test/token", "api_url": "https://api.test/payroll"}
RUPTURES: list[dict[str, Any]] = [
    {
        "libelle": "Paie mai 2024",
        "totalDebit": 2345.67,
        "totalCredit": 2345.67,
        "ecritures": [
            {"codeJournal": "PA", "compte": "641000", "libelle": "Salaires", "sens": "D", "valeur": 2345.67},
            {
                "codeJournal": "PA",
                "compte": "421000",
                "libelle": "Net à payer",
                "sens": "D",
                "valeur": -1800.1,
            },
            {"codeJournal": "PA", "compte": "431000", "libelle": "URSSAF", "sens": "C", "valeur": 545.57},
            {"codeJournal": "PA", "compte": "437000", "libelle": "Néant", "sens": "C", "valeur": 0.0},
        ],
    },
    {
        "libelle": "Tout à zéro",
        "totalDebit": 0,
        "totalCredit": 0,
        "ecritures": [
            {"codeJournal": "PA", "compte": "641100", "libelle": "Primes", "sens": "D", "valeur": 0}
        ],
    },
]


class Sleeps(list[float]):
    """An injected no-op sleep that remembers what it was asked."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


MakeClient = Callable[..., SilaeClient]


def assert_no_secret(exc: BaseException, *secrets: str) -> None:
    for secret in (SECRET, KEY, *secrets):
        assert secret not in str(exc)
        assert secret not in repr(exc)
        assert all(secret not in str(arg) for arg in exc.args)
