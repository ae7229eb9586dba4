"""One connection test under way: what it tests (``Target``), its time budget, the checks so far and
the clients to close. Both vendors' checks work on it, one after the other."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol, TypeVar

from paysync.domain.models import PayrollCredentialsInfo
from paysync.storage.secrets import Level, PayrollSecret
from paysync.usecases.connection_check.report import Check
from paysync.usecases.services import Services

CHECK_TIMEOUT_SECONDS = 4.0


def one_short_attempt(timeout_seconds: float, limit: float = CHECK_TIMEOUT_SECONDS) -> dict[str, Any]:
    """What a check changes in a vendor's client settings: a short timeout, a single attempt."""
    return {"timeout_seconds": min(timeout_seconds, limit), "max_attempts": 1}


class PayrollInForce(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """The Silae credentials a test uses: the firm's or a dossier's own, saved or only candidates."""

    level: Level
    owner_id: str
    secret: PayrollSecret
    info: PayrollCredentialsInfo
    saved: bool  # False: candidate credentials, not stored (nothing is recorded about them)


@dataclass
class Target:
    """What to test: saved settings, candidate ones, or both."""

    firm_id: str
    dossier_id: str | None
    payroll: PayrollInForce | None
    firm_payroll: PayrollInForce | None  # the firm's, to tell the seed's conflict from a wrong key
    dossier_number: str | None
    number_required: bool
    myunisoft_token: str | None
    access_kind: Literal["cabinet", "societe"] | None  # which MyUnisoft token
    society_id: int | None
    society_required: bool


class Budget:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + seconds

    @property
    def spent(self) -> bool:
        return self._clock() >= self._end


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class Trial:
    def __init__(self, services: Services, target: Target, budget: Budget) -> None:
        self.services = services
        self.target = target
        self.budget = budget
        self.now = services.clock()
        self.checks: list[Check] = []
        self._clients: list[_Closable] = []

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check

    def opened(self, client: C) -> C:
        """A client to close when the test ends."""
        self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()


class Side:
    """One vendor's checks, added to the trial in order."""

    def __init__(self, trial: Trial) -> None:
        self.trial = trial
        self.s = trial.services
        self.t = trial.target
        self.budget = trial.budget
        self.now = trial.now
        self.add = trial.add
