"""Onboarding in one call: the dossiers accepted from a discovery, created or updated together.

Each item is a dossier save of its own (``settings.write_dossier``: the same checks, the conditional
creation, the update of the given fields only), so each is all or nothing, and one refused item does
not stop the others. Each item answers its outcome:

- ``created`` / ``updated``; ``unchanged`` when the dossier already has every value the item (with
  the shared defaults) gives: nothing is written, so repeating the same call writes nothing;
- ``conflict``: the id is another firm's, the payroll dossier number is already another paysync
  dossier's in this firm (one payroll dossier synced into two sets of books, or twice), or a
  concurrent save of that dossier won;
- ``invalid``: the item could not be read (the API's validation, field by field) or the rules refuse
  it (a creation without a name, an id given twice in one call), with the French reason;
- ``failed``: not done (an unexpected error, logged; or the call's time ran out): the same call can be
  sent again, what was saved answers ``unchanged``.

The bulk writes no secret: its dossiers use the firm's payroll credentials and cabinet token, as the
discovery that proposed them did. The payroll numbers are checked against the firm's dossiers as
listed at the start of the call (and those the call saves): a concurrent save elsewhere is not
serialised with it, as it is not with a single dossier save.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from paysync.domain.access import Principal
from paysync.domain.models import Dossier
from paysync.observability import logger
from paysync.usecases import settings
from paysync.usecases.errors import Conflict, InvalidInput, NotFound, RequestRefused
from paysync.usecases.services import Services
from paysync.usecases.settings import DossierChange

__all__ = ["MAX_ITEMS", "BulkItem", "BulkReport", "ItemResult", "Outcome", "Problem", "save_dossiers"]

MAX_ITEMS = 500  # per call; the API refuses more (a 422 saying so)
# Items not started after this many seconds answer ``failed`` (send again): API Gateway waits 29 s.
TIME_BUDGET_SECONDS = 20.0


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    INVALID = "invalid"
    FAILED = "failed"


@dataclass(frozen=True)
class Problem:
    """A field at fault in an item, and why (French)."""

    field: str
    message: str


@dataclass(frozen=True)
class BulkItem:
    """One item as the API read it: the change to save, or the problems that kept it from being read
    (``dossier_id`` then only when it was readable)."""

    dossier_id: str | None
    change: DossierChange | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class ItemResult:
    """What became of one item of a bulk save: its outcome and, when refused or failed, why (French)."""

    index: int  # the item's position in the request
    dossier_id: str | None
    outcome: Outcome
    message: str | None = None
    details: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class BulkReport:
    """A bulk save's answer: one result per item, in the request's order."""

    firm_id: str
    results: tuple[ItemResult, ...]

    def counts(self) -> dict[str, int]:
        found = Counter(r.outcome for r in self.results)
        return {outcome.value: found[outcome] for outcome in Outcome}


_UNREADABLE = "Cet élément est invalide : rien n'a été enregistré pour ce dossier."
_OUT_OF_TIME = (
    "Non traité faute de temps : rien n'a été enregistré pour ce dossier. Renvoyez la même demande : "
    "les dossiers déjà enregistrés resteront inchangés."
)
_UNEXPECTED = (
    "Erreur interne : ce dossier n'a peut-être pas été enregistré. Renvoyez la même demande : ce qui "
    "est déjà enregistré restera inchangé."
)


def save_dossiers(
    services: Services,
    principal: Principal,
    firm_id: str,
    defaults: DossierChange,
    items: Sequence[BulkItem],
    *,
    time_budget: float = TIME_BUDGET_SECONDS,
) -> BulkReport:
    """Save each item, merged over ``defaults`` (an item's own values win), in the firm ``firm_id``."""
    settings.get_firm(services, principal, firm_id)  # a firm the caller does not reach: 404, as missing
    numbers = _PayrollNumbers(services.config.list_dossiers_of_firm(firm_id))
    seen: set[str] = set()
    deadline = time.monotonic() + time_budget
    results: list[ItemResult] = []
    for index, item in enumerate(items):
        if item.change is None or item.dossier_id is None:
            result = ItemResult(index, item.dossier_id, Outcome.INVALID, _UNREADABLE, item.problems)
        elif item.dossier_id in seen:
            message = (
                f"Le dossier « {item.dossier_id} » figure déjà plus haut dans la demande : cet élément-ci "
                "n'a pas été enregistré."
            )
            result = ItemResult(
                index, item.dossier_id, Outcome.INVALID, message, (Problem("dossier_id", message),)
            )
        elif time.monotonic() > deadline:
            result = ItemResult(index, item.dossier_id, Outcome.FAILED, _OUT_OF_TIME)
        else:
            change = _merged(defaults, item.change, firm_id)
            result = _save_one(
                services, principal, numbers, index=index, dossier_id=item.dossier_id, change=change
            )
        if item.dossier_id is not None:
            seen.add(item.dossier_id)
        results.append(result)
    report = BulkReport(firm_id, tuple(results))
    logger.info("dossiers saved in bulk", extra={"firm_id": firm_id, "outcomes": report.counts()})
    return report


def _merged(defaults: DossierChange, item: DossierChange, firm_id: str) -> DossierChange:
    given = {
        name: getattr(item, name) for name in DossierChange.model_fields if getattr(item, name) is not None
    }
    return defaults.model_copy(update={**given, "firm_id": firm_id})


def _save_one(
    services: Services,
    principal: Principal,
    numbers: _PayrollNumbers,
    *,
    index: int,
    dossier_id: str,
    change: DossierChange,
) -> ItemResult:
    def result(outcome: Outcome, message: str | None = None, *details: Problem) -> ItemResult:
        return ItemResult(index, dossier_id, outcome, message, details)

    try:
        current = services.config.get_dossier(dossier_id)
        same_firm = current is not None and current.firm_id == change.firm_id
        if current is not None and same_firm and settings.changes_nothing(services, current, change):
            return result(Outcome.UNCHANGED)
        clash = numbers.clash(dossier_id, change.payroll_dossier_number)
        if clash is not None:
            return result(Outcome.CONFLICT, clash)
        saved = settings.write_dossier(services, principal, dossier_id, change, current)
    except InvalidInput as refused:
        return result(Outcome.INVALID, refused.message, Problem(refused.field, refused.message))
    except (Conflict, NotFound) as refused:
        return result(Outcome.CONFLICT, refused.message)
    except RequestRefused as refused:
        return result(Outcome.INVALID, refused.message)
    except Exception:  # one item's failure must not stop the others
        logger.exception("a dossier of a bulk save failed", extra={"dossier_id": dossier_id})
        return result(Outcome.FAILED, _UNEXPECTED)
    numbers.saved(saved)
    return result(Outcome.CREATED if current is None else Outcome.UPDATED)


class _PayrollNumbers:
    """Which paysync dossiers of the firm use each payroll dossier number."""

    def __init__(self, dossiers: Sequence[Dossier]) -> None:
        self._owners: dict[str, dict[str, int | None]] = {}
        for dossier in dossiers:
            self.saved(dossier)

    def saved(self, dossier: Dossier) -> None:
        for owners in self._owners.values():
            owners.pop(dossier.dossier_id, None)
        if dossier.payroll_dossier_number:
            self._owners.setdefault(dossier.payroll_dossier_number, {})[dossier.dossier_id] = (
                dossier.society_id
            )

    def clash(self, dossier_id: str, number: str | None) -> str | None:
        """Why ``dossier_id`` may not take ``number``: another dossier of the firm has it."""
        others = {d: s for d, s in (self._owners.get(number or "") or {}).items() if d != dossier_id}
        if not others:
            return None
        other, society = sorted(others.items())[0]
        where = f" (société MyUnisoft {society})" if society is not None else ""
        return (
            f"Le dossier de paie {number} est déjà associé au dossier paysync « {other} »{where} : rien n'a "
            f"été enregistré. Pour changer sa société, mettez à jour « {other} » plutôt que d'en créer un autre."
        )
